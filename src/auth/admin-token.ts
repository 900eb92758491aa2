/**
 * The static admin token (ADMIN_STATIC_TOKEN, or one generated on first start into `<dataDir>/admin-token`): a
 * bootstrap/CI bypass that authenticates as the global admin. Compared in constant time (sha256 digests through
 * `timingSafeEqual`); the token itself is never logged or returned by anything here except `ensureAdminToken`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../config/errors.js';
import type { Principal } from './principal.js';

export const MIN_ADMIN_TOKEN_LENGTH = 32;
export const ADMIN_TOKEN_FILE = 'admin-token';

export const ADMIN_PRINCIPAL: Principal = Object.freeze({
  id: 'admin-token',
  name: 'admin-token',
  kind: 'admin-token',
  globalAdmin: true,
  roles: new Map(),
  scopes: Object.freeze([]),
});

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

export class AdminTokenVerifier {
  readonly #digest: Buffer;

  /** `token`: ADMIN_STATIC_TOKEN (at least 32 characters) or the generated one. */
  constructor(token: string, name = 'ADMIN_STATIC_TOKEN') {
    if (token.length < MIN_ADMIN_TOKEN_LENGTH) {
      throw new ConfigError(
        `${name} must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters long (e.g. \`openssl rand -hex 32\`)`,
      );
    }
    this.#digest = digest(token);
  }

  /** Constant-time comparison (the time does not depend on where the candidate differs, nor on its length). */
  matches(candidate: string): boolean {
    return timingSafeEqual(digest(candidate), this.#digest);
  }
}

export interface EnsuredAdminToken {
  readonly token: string;
  /** Where it is stored; the caller prints this path (never the token). */
  readonly path: string;
  /** True when this call generated it. */
  readonly created: boolean;
}

/**
 * Returns the admin token stored in `<dataDir>/admin-token`, generating it (32 random bytes, base64url) with mode
 * 0600 when the file does not exist. Creation is atomic and exclusive, so instances starting together agree on one
 * token.
 * An existing file readable by others is tightened to 0600.
 */
export async function ensureAdminToken(dataDir: string): Promise<EnsuredAdminToken> {
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  // Written whole under a temporary name, then linked into place: the link is atomic and fails if the file
  // exists, so a concurrent start never reads a half-written token.
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, `${token}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, path);
    return { token, path, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temporary);
  }
  if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
  const existing = (await readFile(path, 'utf8')).trim();
  if (existing.length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new ConfigError(`${path} must hold a token of at least ${MIN_ADMIN_TOKEN_LENGTH} characters`);
  }
  return { token: existing, path, created: false };
}
