/**
 * The S3 BlobStore (AWS S3 or any S3-compatible server: MinIO, s3rver, ...). Objects live at
 * `{prefix}{key}` in one bucket; PutObject is atomic, so readers never see partial bodies. Not-found answers
 * become undefined/false; every other failure (network, permissions, missing bucket) becomes
 * MCPD_BLOB_UNAVAILABLE, with the SDK error as cause and no credentials in the message.
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type BucketLocationConstraint,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { BlobError, checkKey, type BlobStore } from './index.js';

export interface S3BlobOptions {
  bucket: string;
  /** Defaults to the SDK's region chain (AWS_REGION, profile), or `us-east-1` when `endpoint` is set. */
  region?: string;
  /** An S3-compatible server, e.g. `http://127.0.0.1:9000`. */
  endpoint?: string;
  /** Defaults to true when `endpoint` is set. */
  forcePathStyle?: boolean;
  /** Defaults to the SDK's credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /**
   * A ready client (tests, shared connection pools). The store does not destroy it on close, and the options
   * above are ignored; give it `requestChecksumCalculation: 'WHEN_REQUIRED'` when talking to an old emulator.
   */
  client?: S3Client;
  /** Key prefix inside the bucket (`tenants/a/`), so several stores can share one bucket. */
  prefix?: string;
}

export type S3BlobStore = BlobStore & {
  /** Creates the bucket when it does not exist (used by `mcpd init` and tests); idempotent. */
  ensureBucket(): Promise<void>;
};

interface SdkError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

function status(err: unknown): number | undefined {
  return (err as SdkError | undefined)?.$metadata?.httpStatusCode;
}

function errName(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as SdkError).code;
    return code && code !== err.name ? `${err.name} (${code})` : err.name;
  }
  return typeof err;
}

/** A missing object (not a missing bucket, which is a configuration problem). */
function isNotFound(err: unknown): boolean {
  const name = err instanceof Error ? err.name : undefined;
  if (name === 'NoSuchBucket') return false;
  return name === 'NoSuchKey' || name === 'NotFound' || status(err) === 404;
}

/** Builds the client config; flexible checksums only when required, since S3 emulators reject aws-chunked. */
export function s3ClientConfig(opts: Omit<S3BlobOptions, 'bucket' | 'client' | 'prefix'>): S3ClientConfig {
  const region = opts.region ?? (opts.endpoint !== undefined ? 'us-east-1' : undefined);
  return {
    ...(region !== undefined ? { region } : {}),
    ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
    forcePathStyle: opts.forcePathStyle ?? opts.endpoint !== undefined,
    ...(opts.credentials !== undefined ? { credentials: { ...opts.credentials } } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

export function createS3BlobStore(opts: S3BlobOptions): S3BlobStore {
  const { bucket } = opts;
  if (!bucket) throw new TypeError('S3 blob store: bucket is required');
  let prefix = opts.prefix ?? '';
  if (prefix !== '') {
    checkKey(prefix, true);
    if (!prefix.endsWith('/')) prefix += '/';
  }
  const owned = opts.client === undefined;
  const client = opts.client ?? new S3Client(s3ClientConfig(opts));

  function unavailable(op: string, key: string, err: unknown): BlobError {
    const where = key === '' ? `s3://${bucket}` : `s3://${bucket}/${prefix}${key}`;
    const code = status(err);
    const detail = err instanceof Error && err.message ? `: ${err.message}` : '';
    return new BlobError(
      'MCPD_BLOB_UNAVAILABLE',
      `S3 ${op} ${where} failed: ${errName(err)}${code !== undefined ? ` (HTTP ${code})` : ''}${detail}`,
      { cause: err },
    );
  }

  return {
    kind: 's3',

    async put(key, body, contentType) {
      checkKey(key);
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: prefix + key,
            Body: body,
            ContentLength: body.length,
            ...(contentType !== undefined ? { ContentType: contentType } : {}),
          }),
        );
      } catch (err) {
        throw unavailable('put', key, err);
      }
    },

    async get(key) {
      checkKey(key);
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + key }));
        const bytes = out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw unavailable('get', key, err);
      }
    },

    async has(key) {
      checkKey(key);
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: prefix + key }));
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw unavailable('has', key, err);
      }
    },

    async delete(key) {
      checkKey(key);
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: prefix + key }));
      } catch (err) {
        if (isNotFound(err)) return;
        throw unavailable('delete', key, err);
      }
    },

    async list(listPrefix) {
      checkKey(listPrefix, true);
      const keys: string[] = [];
      let token: string | undefined;
      try {
        do {
          const page = await client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix + listPrefix,
              ...(token !== undefined ? { ContinuationToken: token } : {}),
            }),
          );
          for (const object of page.Contents ?? []) {
            const key = object.Key?.slice(prefix.length);
            if (key === undefined || key === '') continue;
            try {
              keys.push(checkKey(key));
            } catch {
              // not one of ours (console "folder" markers, foreign names): skip
            }
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token !== undefined);
      } catch (err) {
        throw unavailable('list', listPrefix, err);
      }
      return keys.sort();
    },

    async close() {
      if (owned) client.destroy();
    },

    async ensureBucket() {
      const exists = async (): Promise<boolean> => {
        try {
          await client.send(new HeadBucketCommand({ Bucket: bucket }));
          return true;
        } catch (err) {
          if (status(err) === 404 || (err instanceof Error && err.name === 'NotFound')) return false;
          throw unavailable('head-bucket', '', err);
        }
      };
      if (await exists()) return;
      try {
        const region = await client.config.region();
        await client.send(
          new CreateBucketCommand({
            Bucket: bucket,
            // us-east-1 is the default location and must not be named
            ...(region && region !== 'us-east-1'
              ? { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }
              : {}),
          }),
        );
      } catch (err) {
        // a concurrent creator won the race: fine when the bucket is now ours to use
        const name = err instanceof Error ? err.name : '';
        if ((name === 'BucketAlreadyOwnedByYou' || name === 'BucketAlreadyExists') && (await exists()))
          return;
        throw unavailable('create-bucket', '', err);
      }
    },
  };
}
