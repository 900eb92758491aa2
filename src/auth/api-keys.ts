/**
 * API keys: long-lived credentials bound to one endpoint and one role. A key reads `mcpd_<id>_<secret>` (id: 16
 * hex characters, the record's key; secret: 32 random bytes, base64url). Only the sha256 of the whole key is
 * stored (keys are high-entropy, so a slow hash adds nothing); the key itself is returned once, by `createApiKey`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthError } from './errors.js';
import { ENDPOINT_ID_PATTERN, isRole, type Principal, type Role } from './principal.js';
import type { TokenShape, TokenVerifier } from './verifier.js';

export const API_KEY_PREFIX = 'mcpd_';
const API_KEY_PATTERN = /^mcpd_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface ApiKeyRecord {
  /** 16 hex characters, the middle part of the key. */
  readonly id: string;
  readonly endpointId: string;
  readonly role: Role;
  /** sha256 (hex) of the whole key. */
  readonly hash: string;
  /** ISO-8601. */
  readonly created_at: string;
  readonly created_by?: string;
  /** A name for people ("CI deploy key"). */
  readonly label?: string;
  /** ISO-8601; the key is refused from then on. */
  readonly expires_at?: string;
  /** ISO-8601, set when revoked; a revoked key is refused. */
  readonly revoked_at?: string;
}

/** A record as shown to admins: everything but the hash. */
export type ApiKeyInfo = Omit<ApiKeyRecord, 'hash'>;

/** Where key records live (a store table, or memory). */
export interface ApiKeyDirectory {
  get(id: string): Promise<ApiKeyRecord | undefined>;
  /** Inserts or replaces. */
  put(record: ApiKeyRecord): Promise<void>;
  /** Marks a key revoked; false when there is no such key. */
  revoke(id: string, at: string): Promise<boolean>;
  /** The endpoint's keys, revoked ones included, oldest first. */
  list(endpointId: string): Promise<ApiKeyRecord[]>;
}

/** For tests and single-instance deployments (keys are lost on restart). */
export class InMemoryApiKeyDirectory implements ApiKeyDirectory {
  readonly #records = new Map<string, ApiKeyRecord>();

  get(id: string): Promise<ApiKeyRecord | undefined> {
    return Promise.resolve(this.#records.get(id));
  }

  put(record: ApiKeyRecord): Promise<void> {
    this.#records.set(record.id, record);
    return Promise.resolve();
  }

  revoke(id: string, at: string): Promise<boolean> {
    const record = this.#records.get(id);
    if (record !== undefined) this.#records.set(id, { ...record, revoked_at: record.revoked_at ?? at });
    return Promise.resolve(record !== undefined);
  }

  list(endpointId: string): Promise<ApiKeyRecord[]> {
    const records = [...this.#records.values()].filter((r) => r.endpointId === endpointId);
    return Promise.resolve(records.sort((a, b) => a.created_at.localeCompare(b.created_at)));
  }
}

const sha256 = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

export interface CreateApiKeyOptions {
  readonly endpointId: string;
  readonly role: Role;
  readonly label?: string;
  /** Who created it (principal id or name), for audit. */
  readonly createdBy?: string;
  readonly expiresAt?: Date;
  readonly now?: () => number;
}

export interface CreatedApiKey {
  /** The key: show it once, never store or log it. */
  readonly key: string;
  readonly record: ApiKeyRecord;
}

export async function createApiKey(
  dir: ApiKeyDirectory,
  options: CreateApiKeyOptions,
): Promise<CreatedApiKey> {
  if (!ENDPOINT_ID_PATTERN.test(options.endpointId)) throw new TypeError('Invalid endpoint id');
  if (!isRole(options.role)) throw new TypeError('Invalid role');
  const id = randomBytes(8).toString('hex');
  const key = `${API_KEY_PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
  const record: ApiKeyRecord = {
    id,
    endpointId: options.endpointId,
    role: options.role,
    hash: sha256(key),
    created_at: new Date((options.now ?? Date.now)()).toISOString(),
    ...(options.createdBy === undefined ? {} : { created_by: options.createdBy }),
    ...(options.label === undefined ? {} : { label: options.label }),
    ...(options.expiresAt === undefined ? {} : { expires_at: options.expiresAt.toISOString() }),
  };
  await dir.put(record);
  return { key, record };
}

/** The record without its hash, for listings. */
export function apiKeyInfo(record: ApiKeyRecord): ApiKeyInfo {
  const { hash: _hash, ...info } = record;
  return info;
}

/** Whether the token has the API key prefix (and so is routed to the ApiKeyVerifier). */
export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

export class ApiKeyVerifier implements TokenVerifier {
  readonly name = 'api-key';

  constructor(
    private readonly directory: ApiKeyDirectory,
    private readonly options: { readonly now?: () => number } = {},
  ) {}

  accepts(shape: TokenShape): boolean {
    return shape.kind === 'api-key';
  }

  async verify(token: string): Promise<Principal> {
    const id = API_KEY_PATTERN.exec(token)?.[1];
    if (id === undefined) throw new AuthError('MCPD_AUTH_INVALID', 'API key is malformed');
    let record: ApiKeyRecord | undefined;
    try {
      record = await this.directory.get(id);
    } catch (error) {
      throw new AuthError('MCPD_AUTH_UNAVAILABLE', 'API keys cannot be checked right now', { cause: error });
    }
    const expected = Buffer.from(record?.hash ?? sha256(''), 'hex');
    const given = Buffer.from(sha256(token), 'hex');
    const same = expected.length === given.length && timingSafeEqual(expected, given);
    if (record === undefined || !same) throw new AuthError('MCPD_AUTH_INVALID', 'API key is not valid');
    if (record.revoked_at !== undefined) throw new AuthError('MCPD_AUTH_INVALID', 'API key has been revoked');
    const now = (this.options.now ?? Date.now)();
    if (record.expires_at !== undefined && Date.parse(record.expires_at) <= now) {
      throw new AuthError('MCPD_AUTH_EXPIRED', 'API key has expired');
    }
    return {
      id: `api-key:${record.id}`,
      name: record.label ?? `api-key:${record.id}`,
      kind: 'api-key',
      globalAdmin: false,
      roles: new Map([[record.endpointId, record.role]]),
      scopes: [],
      ...(record.expires_at === undefined
        ? {}
        : { expiresAt: Math.floor(Date.parse(record.expires_at) / 1000) }),
    };
  }
}
