/**
 * The JSON body of a call record in SQLite, as the writer thread stores it: an array of the record's values in the
 * fixed order of `CALL_BODY_FIELDS`, not an object. Keys were nearly half of every body (about 580 bytes as an object,
 * 320 as an array, for an echo call): without them the recorder's JSON costs the event loop about a third less
 * (1.5 → 0.95 µs per record, measured), the writer thread about 0.7 µs less per row, and the table a little over half
 * the disk. Bodies written as objects (before, or through the generic `put`/`putMany`) are read as they are.
 *
 * The order is part of the file format: fields are only ever added at the end (a shorter array reads the missing
 * fields as absent), never moved or removed. `structured_content` stored as null reads as absent (the recorder sets
 * it only when a tool returned some); fields the row holds elsewhere are stored as null (`callBody`).
 */
import { endpointOf, type FunctionCallRecord } from './index.js';

export const CALL_BODY_FIELDS = [
  'partition_key',
  'mcp_function_call_uuid',
  'name',
  'mcp_type',
  'arguments',
  'content',
  'content_in_s3',
  'status',
  'notes',
  'time_spent',
  'endpoint_id',
  'principal',
  'bundle_version',
  'era',
  'session_id',
  'request_id',
  'isolation',
  'instance_id',
  'updated_by',
  'created_at',
  'updated_at',
  'structured_content',
] as const satisfies readonly (keyof FunctionCallRecord)[];

/**
 * The body of a record, as an array. What the row has elsewhere is null here, to be made again when read: the
 * timestamps (columns of their own), the endpoint when it is the partition's, and `updated_by` when it is the
 * principal (as the recorder makes them).
 */
export function callBody(r: FunctionCallRecord): string {
  return JSON.stringify([
    r.partition_key,
    r.mcp_function_call_uuid,
    r.name,
    r.mcp_type,
    r.arguments,
    r.content,
    r.content_in_s3,
    r.status,
    r.notes,
    r.time_spent,
    r.endpoint_id === endpointOf(r.partition_key) ? null : r.endpoint_id,
    r.principal,
    r.bundle_version,
    r.era,
    r.session_id,
    r.request_id,
    r.isolation,
    r.instance_id,
    r.updated_by === r.principal ? null : r.updated_by,
    null,
    null,
    r.structured_content,
  ]);
}

/**
 * A parsed body, whichever shape it was stored in, as the record; `created_at` and `updated_at` are the row's (an
 * array body leaves them to the columns).
 */
export function callRecordOf(parsed: unknown, createdAt: string, updatedAt: string): FunctionCallRecord {
  if (!Array.isArray(parsed)) {
    const record = parsed as FunctionCallRecord;
    record.created_at = createdAt;
    record.updated_at = updatedAt;
    return record;
  }
  const record: Record<string, unknown> = {};
  const n = Math.min(parsed.length, CALL_BODY_FIELDS.length);
  for (let i = 0; i < n; i++) {
    const field = CALL_BODY_FIELDS[i]!;
    const value: unknown = parsed[i];
    if (value === null && field === 'structured_content') continue;
    record[field] = value;
  }
  const r = record as unknown as FunctionCallRecord;
  if (typeof r.partition_key === 'string') r.endpoint_id ??= endpointOf(r.partition_key);
  if (typeof r.principal === 'string') r.updated_by ??= r.principal;
  r.created_at = createdAt;
  r.updated_at = updatedAt;
  return r;
}

/** The SQL path of a field in a body of either shape: `$[i]` for an array, `$.field` for an object. */
export function bodyPaths(field: string): { array: string; object: string } {
  const i = (CALL_BODY_FIELDS as readonly string[]).indexOf(field);
  // A field the array does not hold reads as NULL there, as a missing key does in an object.
  return { array: i === -1 ? '$[#]' : `$[${i}]`, object: `$.${field}` };
}
