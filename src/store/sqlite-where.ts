/**
 * The WHERE clause of the SQLite store's list and count queries: a partition, equality filters (indexed columns,
 * or a field of the JSON body), and an `updated_at` window.
 */
import { bodyPaths } from './call-body.js';
import { FILTER_FIELDS, type ListFilter, SORT_KEYS } from './index.js';
import type { SqlValue } from './sqlite-driver.js';

export type TableName = keyof typeof SORT_KEYS;

/**
 * Columns whose index leaves out one common value (migration 2: a completed call, a tool call). A filter on any
 * other value adds `column <> 'value'`, the index's own condition: SQLite uses a partial index only for a query
 * whose terms contain that condition, literally.
 */
const PARTIAL_INDEXES: Readonly<Record<TableName, Readonly<Record<string, string>>>> = {
  modules: {},
  functions: {},
  calls: { mcp_type: 'tool', status: 'completed' },
  settings: {},
};

export function whereClause(
  table: TableName,
  partition: string,
  filter: ListFilter | undefined,
): { sql: string; params: SqlValue[] } {
  const sortKey = SORT_KEYS[table];
  const columns: readonly string[] = FILTER_FIELDS[table];
  const partial = PARTIAL_INDEXES[table];
  const clauses = ['partition_key = ?'];
  const params: SqlValue[] = [partition];
  for (const [field, value] of Object.entries(filter?.equals ?? {})) {
    if (field === sortKey) clauses.push('sort_key = ?');
    else if (columns.includes(field)) {
      clauses.push(`${field} = ?`);
      const common = partial[field];
      // A constant of this file, never input: safe as a literal.
      if (common !== undefined && value !== common) clauses.push(`${field} <> '${common}'`);
    } else if (table === 'calls') {
      // A call's body is an array or an object (call-body.ts).
      const paths = bodyPaths(field);
      clauses.push(`json_extract(body, CASE WHEN json_type(body) = 'array' THEN ? ELSE ? END) = ?`);
      params.push(paths.array, paths.object);
    } else {
      clauses.push(`json_extract(body, '$.' || ?) = ?`);
      params.push(field);
    }
    params.push(typeof value === 'boolean' ? Number(value) : value);
  }
  if (filter?.updatedAfter !== undefined) {
    clauses.push('updated_at > ?');
    params.push(filter.updatedAfter);
  }
  if (filter?.updatedBefore !== undefined) {
    clauses.push('updated_at < ?');
    params.push(filter.updatedBefore);
  }
  return { sql: clauses.join(' AND '), params };
}
