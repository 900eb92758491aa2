/**
 * The DynamoDB Store adapter: the older engine's tables (`dynamodb-tables.ts`) read and written as is, JSON fields as
 * native maps/lists, booleans as BOOL. Lists query the base table, so pages come in sort-key order and a cursor is
 * just the last sort key; filters go in a FilterExpression, with Query pages walked until the page is full. Counts
 * use a local secondary index when one fits (order does not matter there). SDK failures become
 * `StoreError('MCPD_STORE_UNAVAILABLE')`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
  type BatchWriteCommandInput,
  type BatchGetCommandInput,
  type BatchGetCommandOutput,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ensureTable, fromItem, TABLES, type TableId, type TableSpec } from './dynamodb-tables.js';
import {
  decodeCursor,
  encodeCursor,
  StoreError,
  type Audit,
  type FunctionCallRecord,
  type FunctionRecord,
  type ListFilter,
  type ModuleRecord,
  type Page,
  type SettingRecord,
  type Store,
  type Table,
} from './index.js';

export interface DynamoStoreOptions {
  region?: string;
  endpoint?: string;
  /** Prepended to the older engine's table names (`mcp-modules` …); default none. */
  tablePrefix?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** A client of your own (retries, timeouts, …); the store then leaves it open on close. */
  client?: DynamoDBClient;
  /** Items DynamoDB evaluates per Query request (default: as many as fit its 1 MB pages). For tests and tuning. */
  queryPageSize?: number;
}

type Item = Record<string, unknown>;
type Key = Record<string, unknown>;
type QueryParts = Omit<QueryCommandInput, 'TableName'>;

const BATCH_GET_MAX = 100;
const BATCH_GET_ATTEMPTS = 6;
const BATCH_WRITE_MAX = 25;

/** The SDK error, named but not quoted (service messages may echo request details), attached as the cause. */
function unavailable(op: string, table: string, err: unknown): StoreError {
  const name = err instanceof Error ? err.name : 'Error';
  const status = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  const detail = status ? `${name}, HTTP ${status}` : name;
  return new StoreError('MCPD_STORE_UNAVAILABLE', `DynamoDB ${op} on ${table} failed (${detail})`, {
    cause: err,
  });
}

const limitOf = (n: number | undefined) => (n === undefined ? {} : { Limit: n });
const startOf = (key: Key | undefined) => (key ? { ExclusiveStartKey: key } : {});

export function createDynamoStore(opts: DynamoStoreOptions = {}): Store {
  const client =
    opts.client ??
    new DynamoDBClient({
      ...(opts.region ? { region: opts.region } : {}),
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
    });
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: {
      removeUndefinedValues: true,
      convertClassInstanceToMap: true,
      allowImpreciseNumbers: true,
    },
    unmarshallOptions: { wrapNumbers: (v: string) => Number(v) },
  });
  const prefix = opts.tablePrefix ?? '';
  const pageSize = opts.queryPageSize;
  const ids = Object.keys(TABLES) as TableId[];
  /** The LSIs each table has: the full layout until `init` has described the real tables. */
  const available = new Map(ids.map((id) => [id, new Set(Object.values(TABLES[id].indexes))]));
  let ready: Promise<void> | undefined;

  async function call<R>(op: string, table: string, fn: () => Promise<R>): Promise<R> {
    try {
      return await fn();
    } catch (err) {
      throw unavailable(op, table, err);
    }
  }

  function makeTable<T extends Audit>(spec: TableSpec): Table<T> {
    const TableName = prefix + spec.name;
    const sk = spec.sortKey;
    const keyOf = (partition: string, key: unknown): Key => ({ partition_key: partition, [sk]: key });
    const query = (input: Omit<QueryCommandInput, 'TableName'>) =>
      call('Query', TableName, () =>
        doc.send(new QueryCommand({ TableName, ConsistentRead: true, ...input })),
      );

    /** Key condition and filter; with `useIndex`, an LSI on an equality field (or a one-sided updated_at range). */
    function parts(partition: string, filter: ListFilter | undefined, useIndex: boolean): QueryParts {
      const names: Record<string, string> = { '#pk': 'partition_key' };
      const values: Item = { ':pk': partition };
      const keyConds = ['#pk = :pk'];
      const conds: string[] = [];
      const equals = filter?.equals ?? {};
      const after = filter?.updatedAfter;
      const before = filter?.updatedBefore;
      const usable = (attr: string) =>
        useIndex &&
        !Object.hasOwn(equals, sk) &&
        available.get(spec.id)?.has(spec.indexes[attr] ?? '') === true;
      let indexed = Object.keys(spec.indexes).find(
        (a) => a !== 'updated_at' && usable(a) && typeof equals[a] === 'string' && equals[a] !== '',
      );
      if (!indexed && usable('updated_at') && (after === undefined) !== (before === undefined)) {
        indexed = 'updated_at';
      }
      let i = 0;
      const ref = (field: string, value: unknown): [string, string] => {
        names[`#f${i}`] = field;
        values[`:f${i}`] = value;
        return [`#f${i}`, `:f${i++}`];
      };
      for (const [field, value] of Object.entries(equals)) {
        const [n, v] = ref(field, value);
        if (field === (indexed ?? sk)) keyConds.push(`${n} = ${v}`);
        else if (value === '' && Object.hasOwn(spec.indexes, field)) {
          conds.push(`(attribute_not_exists(${n}) OR ${n} = ${v})`); // stored without it: see `put`
        } else conds.push(`${n} = ${v}`);
      }
      const range = (bound: string | undefined, op: string) => {
        if (bound === undefined) return;
        const [n, v] = ref('updated_at', bound);
        (indexed === 'updated_at' ? keyConds : conds).push(`${n} ${op} ${v}`);
      };
      range(after, '>');
      range(before, '<');
      return {
        ...(indexed ? { IndexName: spec.indexes[indexed] } : {}),
        KeyConditionExpression: keyConds.join(' AND '),
        ...(conds.length ? { FilterExpression: conds.join(' AND ') } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      };
    }

    /** Walks past `offset` matching items reading key attributes only; answers the key to start after. */
    async function skip(partition: string, p: QueryParts, offset: number): Promise<Key | undefined> {
      let left = offset;
      let start: Key | undefined;
      for (;;) {
        const out = await query({
          ...p,
          ExpressionAttributeNames: { ...p.ExpressionAttributeNames, '#sk': sk },
          ProjectionExpression: '#pk, #sk',
          ...limitOf(p.FilterExpression ? pageSize : Math.min(left, pageSize ?? left)),
          ...startOf(start),
        });
        const got = out.Items ?? [];
        if (got.length >= left) return keyOf(partition, got[left - 1]?.[sk]);
        left -= got.length;
        if (!out.LastEvaluatedKey) return undefined;
        start = out.LastEvaluatedKey;
      }
    }

    return {
      sortKey: sk as keyof T & string,

      async get(partition, key) {
        if (!partition || !key) return undefined;
        const out = await call('GetItem', TableName, () =>
          doc.send(new GetCommand({ TableName, Key: keyOf(partition, key), ConsistentRead: true })),
        );
        return out.Item ? fromItem<T>(spec, out.Item) : undefined;
      },

      async getMany(partition, keys) {
        const wanted = [...new Set(keys.filter((k) => k !== ''))];
        const found = new Map<unknown, T>();
        for (let at = 0; partition && at < wanted.length; at += BATCH_GET_MAX) {
          const chunk = wanted.slice(at, at + BATCH_GET_MAX).map((k) => keyOf(partition, k));
          let request: BatchGetCommandInput['RequestItems'] = {
            [TableName]: { Keys: chunk, ConsistentRead: true },
          };
          for (let attempt = 0; request?.[TableName]?.Keys?.length; attempt++) {
            if (attempt === BATCH_GET_ATTEMPTS) {
              throw new StoreError(
                'MCPD_STORE_UNAVAILABLE',
                `DynamoDB BatchGetItem on ${TableName} kept keys unprocessed`,
              );
            }
            if (attempt) await sleep(25 * 2 ** attempt);
            const input: BatchGetCommandInput = { RequestItems: request };
            const out: BatchGetCommandOutput = await call('BatchGetItem', TableName, () =>
              doc.send(new BatchGetCommand(input)),
            );
            for (const item of out.Responses?.[TableName] ?? []) found.set(item[sk], fromItem<T>(spec, item));
            request = out.UnprocessedKeys;
          }
        }
        return wanted.flatMap((k) => found.get(k) ?? []);
      },

      async put(record) {
        const rec = record as unknown as Item;
        const names: Record<string, string> = { '#ca': 'created_at', '#ua': 'updated_at' };
        const values: Item = { ':now': new Date().toISOString() };
        const sets = ['#ca = if_not_exists(#ca, :now)', '#ua = :now'];
        const removes: string[] = [];
        const skipped = new Set(['partition_key', sk, 'created_at', 'updated_at']);
        let i = 0;
        for (const field of new Set([...Object.keys(spec.defaults), ...Object.keys(rec)])) {
          if (skipped.has(field)) continue;
          const value = rec[field];
          names[`#a${i}`] = field;
          // An empty string cannot be an index key: such an attribute is left out and reads back as ''.
          if (value === undefined || (value === '' && Object.hasOwn(spec.indexes, field)))
            removes.push(`#a${i}`);
          else {
            values[`:a${i}`] = value;
            sets.push(`#a${i} = :a${i}`);
          }
          i++;
        }
        const out = await call('UpdateItem', TableName, () =>
          doc.send(
            new UpdateCommand({
              TableName,
              Key: keyOf(String(rec['partition_key']), rec[sk]),
              UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: values,
              ReturnValues: 'ALL_NEW',
            }),
          ),
        );
        return fromItem<T>(spec, out.Attributes ?? {});
      },

      async putMany(records) {
        const items = records.map((record) => {
          const item: Item = {};
          for (const [field, value] of Object.entries(record as unknown as Item)) {
            // As in `put`: no undefined attributes, and no empty string as an index key.
            if (value === undefined || (value === '' && Object.hasOwn(spec.indexes, field))) continue;
            item[field] = value;
          }
          return item;
        });
        for (let at = 0; at < items.length; at += BATCH_WRITE_MAX) {
          let request: BatchWriteCommandInput['RequestItems'] = {
            [TableName]: items.slice(at, at + BATCH_WRITE_MAX).map((Item) => ({ PutRequest: { Item } })),
          };
          for (let attempt = 0; request?.[TableName]?.length; attempt++) {
            if (attempt === BATCH_GET_ATTEMPTS) {
              throw new StoreError(
                'MCPD_STORE_UNAVAILABLE',
                `DynamoDB BatchWriteItem on ${TableName} kept items unprocessed`,
              );
            }
            if (attempt) await sleep(25 * 2 ** attempt);
            const input: BatchWriteCommandInput = { RequestItems: request };
            const out = await call('BatchWriteItem', TableName, () => doc.send(new BatchWriteCommand(input)));
            request = out.UnprocessedItems;
          }
        }
      },

      async delete(partition, key) {
        if (!partition || !key) return false;
        const out = await call('DeleteItem', TableName, () =>
          doc.send(new DeleteCommand({ TableName, Key: keyOf(partition, key), ReturnValues: 'ALL_OLD' })),
        );
        return out.Attributes !== undefined;
      },

      async list(partition, q): Promise<Page<T>> {
        const limit = Math.floor(q.limit);
        const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
        if (after === '') throw new StoreError('MCPD_STORE_INVALID_CURSOR', 'Invalid pagination cursor');
        let start = after === undefined ? undefined : keyOf(partition, after);
        if (!(limit > 0) || !partition) return { items: [] };
        const p = parts(partition, q.filter, false);
        if (q.cursor === undefined && q.offset !== undefined && q.offset >= 1) {
          start = await skip(partition, p, Math.floor(q.offset));
          if (!start) return { items: [] };
        }
        // One item more than asked tells whether a next page exists.
        const items: Item[] = [];
        do {
          const want = limit + 1 - items.length;
          const out = await query({
            ...p,
            ...limitOf(p.FilterExpression ? pageSize : Math.min(want, pageSize ?? want)),
            ...startOf(start),
          });
          items.push(...(out.Items ?? []));
          start = out.LastEvaluatedKey;
        } while (start && items.length <= limit);
        const page = items.slice(0, limit).map((item) => fromItem<T>(spec, item));
        if (items.length <= limit) return { items: page };
        return { items: page, cursor: encodeCursor(String(items[limit - 1]?.[sk])) };
      },

      async count(partition, filter) {
        if (!partition) return 0;
        const p = parts(partition, filter, true);
        let n = 0;
        let start: Key | undefined;
        do {
          const out = await query({ ...p, Select: 'COUNT', ...startOf(start) });
          n += out.Count ?? 0;
          start = out.LastEvaluatedKey;
        } while (start);
        return n;
      },
    };
  }

  return {
    kind: 'dynamodb',
    modules: makeTable<ModuleRecord>(TABLES.modules),
    functions: makeTable<FunctionRecord>(TABLES.functions),
    calls: makeTable<FunctionCallRecord>(TABLES.calls),
    settings: makeTable<SettingRecord>(TABLES.settings),
    async markInterrupted(instanceId, note) {
      // A scan, once at start-up: the calls table has no index across partitions.
      const TableName = prefix + TABLES.calls.name;
      const now = new Date().toISOString();
      let marked = 0;
      let start: Key | undefined;
      do {
        const out = await call('Scan', TableName, () =>
          doc.send(
            new ScanCommand({
              TableName,
              ConsistentRead: true,
              FilterExpression: '#s = :ip AND #i = :id',
              ProjectionExpression: 'partition_key, mcp_function_call_uuid',
              ExpressionAttributeNames: { '#s': 'status', '#i': 'instance_id' },
              ExpressionAttributeValues: { ':ip': 'in_process', ':id': instanceId },
              ...startOf(start),
            }),
          ),
        );
        for (const key of out.Items ?? []) {
          await call('UpdateItem', TableName, () =>
            doc.send(
              new UpdateCommand({
                TableName,
                Key: key,
                UpdateExpression: 'SET #s = :failed, #n = :note, #u = :now',
                ConditionExpression: '#s = :ip',
                ExpressionAttributeNames: { '#s': 'status', '#n': 'notes', '#u': 'updated_at' },
                ExpressionAttributeValues: {
                  ':failed': 'failed',
                  ':note': note,
                  ':now': now,
                  ':ip': 'in_process',
                },
              }),
            ),
          ).then(
            () => marked++,
            (err: unknown) => {
              // Finished meanwhile (the condition failed): nothing to mark.
              if ((err as { cause?: { name?: string } }).cause?.name !== 'ConditionalCheckFailedException')
                throw err;
            },
          );
        }
        start = out.LastEvaluatedKey;
      } while (start);
      return marked;
    },
    init() {
      ready ??= Promise.all(
        ids.map(async (id) => {
          const name = prefix + TABLES[id].name;
          available.set(id, new Set(await call('init', name, () => ensureTable(client, TABLES[id], name))));
        }),
      ).then(
        () => undefined,
        (err: unknown) => {
          ready = undefined; // a later init may succeed
          throw err;
        },
      );
      return ready;
    },
    async close() {
      if (!opts.client) client.destroy();
    },
  };
}
