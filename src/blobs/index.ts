/**
 * The BlobStore port: bundles (`{package_name}.zip` and content-addressed versions) and large call payloads
 * (`mcp_content/{uuid}.json`). Adapters: a local folder (the default) and S3. Keys are relative, slash-separated
 * paths; a key that could escape its root (`..`, absolute, backslashes) is refused before any I/O.
 */

export interface BlobStore {
  readonly kind: string;
  /** Stores `body` at `key`, replacing what was there; readers never see a partial object. */
  put(key: string, body: Buffer, contentType?: string): Promise<void>;
  /** The object's bytes, or undefined when there is none. */
  get(key: string): Promise<Buffer | undefined>;
  has(key: string): Promise<boolean>;
  /** Removes the object; no error when it does not exist. */
  delete(key: string): Promise<void>;
  /** Keys under a prefix (`bundles/ep1/`), sorted. */
  list(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

export class BlobError extends Error {
  override readonly name = 'BlobError';
  constructor(
    readonly code: 'MCPD_BLOB_INVALID_KEY' | 'MCPD_BLOB_UNAVAILABLE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const KEY = /^[A-Za-z0-9_.@=+-]+(?:\/[A-Za-z0-9_.@=+#-]+)*$/;

/** Throws unless `key` is a safe relative key; `prefix` may end with a slash. */
export function checkKey(key: string, allowTrailingSlash = false): string {
  const bare = allowTrailingSlash && key.endsWith('/') ? key.slice(0, -1) : key;
  if (bare === '' && allowTrailingSlash) return key;
  if (!KEY.test(bare) || bare.split('/').some((s) => s === '.' || s === '..') || bare.length > 1024) {
    throw new BlobError('MCPD_BLOB_INVALID_KEY', `Invalid blob key: ${JSON.stringify(key)}`);
  }
  return key;
}
