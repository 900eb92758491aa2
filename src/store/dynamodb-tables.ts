/**
 * The DynamoDB layout of the older engine, read as is: one table per record type, hash key `partition_key`, the
 * record's sort key as range key, and the local secondary indexes it created. Also how an item reads (defaults for
 * the attributes older items lack, their timestamps as ISO-8601), and `ensureTable`, which creates a missing table
 * and reports the indexes it has.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  waitUntilTableExists,
  type DescribeTableCommandOutput,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { SORT_KEYS } from './index.js';

export type TableId = keyof typeof SORT_KEYS;

export interface TableSpec {
  readonly id: TableId;
  /** The name without the store's prefix. */
  readonly name: string;
  readonly sortKey: string;
  /** Indexed attribute → LSI name, in order of preference (most selective first). */
  readonly indexes: Readonly<Record<string, string>>;
  /** Attributes the record type knows, with the value a missing one reads as. */
  readonly defaults: Readonly<Record<string, unknown>>;
  readonly booleans: readonly string[];
}

const audit = { updated_by: '' };

export const TABLES: Readonly<Record<TableId, TableSpec>> = {
  modules: {
    id: 'modules',
    name: 'mcp-modules',
    sortKey: SORT_KEYS.modules,
    indexes: { package_name: 'package_name-index' },
    defaults: {
      package_name: '',
      classes: [],
      source: null,
      bundle_version: null,
      bundle_sha256: null,
      bundle_path: null,
      ...audit,
    },
    booleans: [],
  },
  functions: {
    id: 'functions',
    name: 'mcp-functions',
    sortKey: SORT_KEYS.functions,
    indexes: { mcp_type: 'mcp_type-index' },
    defaults: {
      mcp_type: '',
      description: null,
      data: {},
      annotations: null,
      module_name: null,
      class_name: null,
      function_name: null,
      return_type: null,
      is_async: false,
      ...audit,
    },
    booleans: ['is_async'],
  },
  calls: {
    id: 'calls',
    name: 'mcp-function_calls',
    sortKey: SORT_KEYS.calls,
    indexes: { name: 'name-index', mcp_type: 'mcp_type-index', updated_at: 'updated_at-index' },
    defaults: {
      name: '',
      mcp_type: '',
      arguments: {},
      content: null,
      content_in_s3: false,
      status: 'initial',
      notes: null,
      time_spent: null,
      ...audit,
    },
    booleans: ['content_in_s3'],
  },
  settings: {
    id: 'settings',
    name: 'mcp-settings',
    sortKey: SORT_KEYS.settings,
    indexes: {},
    defaults: { setting: {}, ...audit },
    booleans: [],
  },
};

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const LOOSE = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:?\d\d)?$/;

/** ISO-8601 for the older engine's timestamps (`2024-05-01T10:00:00.000000+0000`); anything else is kept. */
export function isoTimestamp(v: unknown): unknown {
  if (typeof v !== 'string' || ISO.test(v)) return v;
  const m = LOOSE.exec(v);
  if (!m) return v;
  const frac = (m[3] ?? '.000').slice(0, 4).padEnd(4, '0');
  const zone = !m[4] || m[4] === 'Z' ? 'Z' : `${m[4].slice(0, 3)}:${m[4].slice(-2)}`;
  const t = new Date(`${m[1]}T${m[2]}${frac}${zone}`);
  return Number.isNaN(t.getTime()) ? v : t.toISOString();
}

function toBool(v: unknown): boolean {
  return typeof v === 'boolean' ? v : v === 1 || v === '1' || v === 'true';
}

/** An item as the record type expects it: missing attributes filled, unknown ones kept. */
export function fromItem<T>(spec: TableSpec, item: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...item };
  for (const [field, dflt] of Object.entries(spec.defaults)) {
    if (out[field] === undefined) out[field] = structuredClone(dflt);
  }
  for (const field of spec.booleans) out[field] = toBool(out[field]);
  out['created_at'] = isoTimestamp(out['created_at'] ?? out['updated_at'] ?? '');
  out['updated_at'] = isoTimestamp(out['updated_at'] ?? out['created_at']);
  return out as T;
}

/** The CreateTable input of the older engine's layout (on demand, LSIs projecting all attributes). */
export function tableDefinition(spec: TableSpec, tableName: string) {
  const attrs = new Set(['partition_key', spec.sortKey, ...Object.keys(spec.indexes)]);
  const lsis = Object.entries(spec.indexes).map(([attr, indexName]) => ({
    IndexName: indexName,
    KeySchema: [
      { AttributeName: 'partition_key', KeyType: 'HASH' as const },
      { AttributeName: attr, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  }));
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [...attrs].map((a) => ({ AttributeName: a, AttributeType: 'S' as const })),
    KeySchema: [
      { AttributeName: 'partition_key', KeyType: 'HASH' as const },
      { AttributeName: spec.sortKey, KeyType: 'RANGE' as const },
    ],
    ...(lsis.length ? { LocalSecondaryIndexes: lsis } : {}),
  };
}

function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

/**
 * Creates the table when it is missing and waits until it is ACTIVE; an existing table is left alone. Answers the
 * names of the LSIs the table really has (an older deployment may lack some), so queries only use those.
 */
export async function ensureTable(
  client: DynamoDBClient,
  spec: TableSpec,
  tableName: string,
): Promise<string[]> {
  let table: TableDescription | undefined;
  try {
    table = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (err) {
    if (errorName(err) !== 'ResourceNotFoundException') throw err;
    try {
      await client.send(new CreateTableCommand(tableDefinition(spec, tableName)));
    } catch (err2) {
      if (errorName(err2) !== 'ResourceInUseException') throw err2; // created meanwhile by someone else
    }
  }
  if (table?.TableStatus !== 'ACTIVE') {
    const waited = await waitUntilTableExists(
      { client, maxWaitTime: 120, minDelay: 0.5, maxDelay: 5 },
      { TableName: tableName },
    );
    table = (waited.reason as DescribeTableCommandOutput | undefined)?.Table ?? table;
  }
  return (table?.LocalSecondaryIndexes ?? []).flatMap((i) => (i.IndexName ? [i.IndexName] : []));
}
