/**
 * Starts s3rver (a fake S3 server) in-process on a free loopback port, storing objects in a fresh temp
 * directory that is removed on close. Credentials are s3rver's built-in pair, exported as S3RVER_CREDENTIALS.
 *
 * Node 17+ quirk: s3rver 3.7.1 encrypts ListObjectsV2 continuation tokens with single DES
 * (`crypto.createCipheriv('des', ...)` in lib/controllers/bucket.js), which OpenSSL 3 only ships in its legacy
 * provider, so every truncated listing answers 500 InternalError ("digital envelope routines::unsupported").
 * `shimDes` maps 'des' to 3DES with the key repeated three times (EDE with K1 = K2 = K3 is exactly DES), only
 * when 'des' is unavailable and only for that algorithm name.
 */
import crypto from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** s3rver's hard-coded dummy account. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface RunningS3rver {
  /** e.g. http://127.0.0.1:43121 */
  endpoint: string;
  close(): Promise<void>;
}

type CipherFactory = (algorithm: string, key: unknown, iv: unknown, ...rest: unknown[]) => unknown;

function shimDes(): void {
  try {
    crypto.createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return; // DES works (legacy provider loaded, or already shimmed)
  } catch {
    // OpenSSL 3 without the legacy provider
  }
  const factories = crypto as unknown as Record<'createCipheriv' | 'createDecipheriv', CipherFactory>;
  for (const name of ['createCipheriv', 'createDecipheriv'] as const) {
    const original = factories[name].bind(crypto);
    factories[name] = (algorithm, key, iv, ...rest) =>
      algorithm === 'des' && Buffer.isBuffer(key) && key.length === 8
        ? original('des-ede3-cbc', Buffer.concat([key, key, key]), iv, ...rest)
        : original(algorithm, key, iv, ...rest);
  }
}

export async function startS3rver(): Promise<RunningS3rver> {
  shimDes();
  const directory = await mkdtemp(join(tmpdir(), 'mcpd-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
  let address;
  try {
    address = await server.run();
  } catch (err) {
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    async close() {
      try {
        await server.close();
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    },
  };
}
