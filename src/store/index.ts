/**
 * The Store port: where registries (modules, functions, settings) and call history live. Two adapters implement
 * it, SQLite (the embedded default) and DynamoDB (the older engine's tables, read as is), and one contract suite
 * (`contract.ts`) runs against both. Records keep the older engine's snake_case field names; every record sits in a
 * partition (`endpoint_id`, or `endpoint_id#part_id`) and has a sort key named per table.
 */

export interface Audit {
  updated_by: string;
  /** ISO-8601 timestamps; `created_at` is kept across updates. */
  created_at: string;
  updated_at: string;
}

export interface ModuleRecord extends Audit {
  partition_key: string;
  module_name: string;
  package_name: string;
  /** The older engine's `[{class_name, setting_id}]`, kept as given. */
  classes: Record<string, unknown>[];
  source: string | null;
  /** Content-addressed bundle version (`sha256` hex prefix) when the bundle came through the blob store. */
  bundle_version?: string | null;
  bundle_sha256?: string | null;
  /** Folder of the module inside its bundle (the manifest's relative `source`), when not the bundle's root. */
  bundle_path?: string | null;
}

export type McpType = 'tool' | 'resource' | 'prompt';

export interface FunctionRecord extends Audit {
  partition_key: string;
  name: string;
  mcp_type: string;
  description: string | null;
  /** inputSchema / uri / arguments …: the MCP definition minus name and description. */
  data: Record<string, unknown>;
  annotations: string | null;
  module_name: string | null;
  class_name: string | null;
  function_name: string | null;
  return_type: string | null;
  is_async: boolean;
  /** Per-function time limit (ms) at the worker and process levels; absent: the daemon's MCPD_CALL_TIMEOUT_MS. */
  timeout_ms?: number | null;
}

export type CallStatus = 'initial' | 'in_process' | 'completed' | 'failed';

export interface FunctionCallRecord extends Audit {
  partition_key: string;
  mcp_function_call_uuid: string;
  name: string;
  mcp_type: string;
  arguments: unknown;
  content: unknown;
  content_in_s3: boolean;
  status: string;
  notes: string | null;
  /** Milliseconds, with sub-millisecond precision. */
  time_spent: number | null;
  /** Recorded by the daemon beside the older engine's fields. */
  endpoint_id?: string;
  principal?: string;
  bundle_version?: string | null;
  /** Protocol version the call was made in (`2026-07-28` for the stateless era). */
  era?: string;
  session_id?: string | null;
  request_id?: string | number | null;
  isolation?: string;
  /** The daemon instance that ran the call (crash recovery marks its unfinished calls failed). */
  instance_id?: string;
  structured_content?: unknown;
}

export interface SettingRecord extends Audit {
  partition_key: string;
  setting_id: string;
  setting: Record<string, unknown>;
}

/** Equality filters on a table's fields; `updated_at` also takes a range. */
export interface ListFilter {
  readonly equals?: Readonly<Record<string, string | boolean>>;
  readonly updatedAfter?: string;
  readonly updatedBefore?: string;
}

export interface ListQuery {
  readonly limit: number;
  readonly filter?: ListFilter;
  /** Opaque cursor from a previous page (keyset pagination: no partition scan per page). */
  readonly cursor?: string;
  /** Records to skip (the older API's `pageNumber`); ignored when a cursor is given. */
  readonly offset?: number;
}

export interface Page<T> {
  readonly items: T[];
  /** Present when more records follow. */
  readonly cursor?: string;
}

/** Input of `put`: the audit timestamps are set by the store. */
export type Put<T extends Audit> = Omit<T, 'created_at' | 'updated_at'>;

export interface Table<T extends Audit> {
  /** The name of the sort key field (`module_name`, `name`, `mcp_function_call_uuid`, `setting_id`). */
  readonly sortKey: keyof T & string;
  get(partition: string, key: string): Promise<T | undefined>;
  /** Several records of one partition in one round trip; missing keys are left out. */
  getMany(partition: string, keys: readonly string[]): Promise<T[]>;
  /** Inserts or replaces; keeps `created_at` of an existing record. Returns the stored record. */
  put(record: Put<T>): Promise<T>;
  /**
   * Writes complete records (timestamps as given), replacing any with the same key, in as few round trips as the
   * store allows (one transaction on SQLite, BatchWriteItem on DynamoDB). For the call recorder's batches.
   */
  putMany(records: readonly T[]): Promise<void>;
  /** Returns whether a record was deleted. */
  delete(partition: string, key: string): Promise<boolean>;
  /** Records of a partition in sort-key order. */
  list(partition: string, query: ListQuery): Promise<Page<T>>;
  count(partition: string, filter?: ListFilter): Promise<number>;
}

/** What a store's call writer tells about a batch handed over to it. */
export interface HandOverEvents {
  /** The batch is written (after failed attempts too), but for records `refused` told about. */
  written(): void;
  /**
   * Records of the batch the store refuses whatever happens (a constraint), told before `written`: they were
   * dropped, so that they do not keep the records behind them from being written.
   */
  refused(err: Error, records: number): void;
  /**
   * A write of the batch failed. With `retrying`, the writer keeps it and tries again, first in line; without, its
   * records are lost (the writer stopped, or holds as many records as it may while writes fail).
   */
  failed(err: Error, retrying: boolean): void;
}

/**
 * A store's own writer for call records, which takes them over: it writes them in the order they came and retries a
 * failed batch itself, so the caller keeps no copy. Reads of the store see records handed over at once.
 */
export interface CallHandOver {
  handOver(records: readonly FunctionCallRecord[], events: HandOverEvents): void;
  /** Records handed over and not yet written. */
  readonly backlog: number;
}

export interface Store {
  readonly kind: string;
  /** Set when the store writes call records through a writer of its own (SQLite's writer thread). */
  readonly callWriter?: CallHandOver | undefined;
  readonly modules: Table<ModuleRecord>;
  readonly functions: Table<FunctionRecord>;
  readonly calls: Table<FunctionCallRecord>;
  readonly settings: Table<SettingRecord>;
  /**
   * Marks the calls a daemon instance left `in_process` (it was killed) as `failed` with `note`, in every partition.
   * Returns how many were marked.
   */
  markInterrupted(instanceId: string, note: string): Promise<number>;
  /** Creates what is missing (tables, migrations). Idempotent. */
  init(): Promise<void>;
  close(): Promise<void>;
}

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code:
      | 'MCPD_STORE_UNAVAILABLE'
      | 'MCPD_STORE_INVALID_CURSOR'
      | 'MCPD_STORE_CONFLICT'
      | 'MCPD_STORE_REFUSED'
      | 'MCPD_STORE_BACKLOG_FULL',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The partition of an endpoint: `endpoint_id`, or `endpoint_id#part_id` for a part (a Part-ID header). */
export function partitionOf(endpointId: string, partId?: string): string {
  return partId ? `${endpointId}#${partId}` : endpointId;
}

/** The endpoint a partition (`endpoint_id` or `endpoint_id#part_id`) belongs to. */
export function endpointOf(partition: string): string {
  const hash = partition.indexOf('#');
  return hash === -1 ? partition : partition.slice(0, hash);
}

/** Sort keys per table, shared by every adapter. */
export const SORT_KEYS = {
  modules: 'module_name',
  functions: 'name',
  calls: 'mcp_function_call_uuid',
  settings: 'setting_id',
} as const;

/** The field each table may be filtered on (the older engine's indexes plus a few plain filters). */
export const FILTER_FIELDS = {
  modules: ['package_name'],
  functions: ['mcp_type', 'module_name', 'class_name', 'function_name'],
  calls: ['mcp_type', 'name', 'status'],
  settings: [],
} as const;

export function encodeCursor(sortKey: string): string {
  return Buffer.from(JSON.stringify([sortKey]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  } catch {
    // fall through
  }
  throw new StoreError('MCPD_STORE_INVALID_CURSOR', 'Invalid pagination cursor');
}
