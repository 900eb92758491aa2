/**
 * The DynamoDB store against dynalite (in-process, in-memory): the shared Store contract, then what is specific to
 * the older engine's tables (layout, items it wrote, failures, paging over several DynamoDB pages).
 */
import { createServer, type AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { startDynalite } from '../../test/helpers/dynalite.js';
import { storeContract } from './contract.js';
import { isoTimestamp } from './dynamodb-tables.js';
import { createDynamoStore, type DynamoStoreOptions } from './dynamodb.js';
import { encodeCursor, type FunctionCallRecord, type Put, type Store } from './index.js';

// Started at load time, so it is up before the contract's own beforeAll runs.
const db = await startDynalite();
afterAll(() => db.close());

const region = 'us-east-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const rawClient = (extra: DynamoDBClientConfig = {}) =>
  new DynamoDBClient({ endpoint: db.endpoint, region, credentials, ...extra });

/** A client that notes the Query inputs it sends. */
function recordingClient() {
  const queries: Record<string, unknown>[] = [];
  const client = rawClient();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'QueryCommand')
        queries.push({ ...(args.input as Record<string, unknown>) });
      return next(args);
    },
    { step: 'initialize' },
  );
  return { client, queries };
}

let prefixes = 0;
/** An initialised store on tables of its own (a fresh prefix unless one is given). */
async function open(extra: DynamoStoreOptions = {}): Promise<Store> {
  const store = createDynamoStore({
    endpoint: db.endpoint,
    region,
    credentials,
    tablePrefix: `t${++prefixes}-`,
    ...extra,
  });
  await store.init();
  return store;
}

storeContract('DynamoDB (dynalite)', () => open({ tablePrefix: '' }));

function call(
  partition: string,
  uuid: string,
  extra: Partial<FunctionCallRecord> = {},
): Put<FunctionCallRecord> {
  return {
    partition_key: partition,
    mcp_function_call_uuid: uuid,
    name: 'echo',
    mcp_type: 'tool',
    arguments: { uuid },
    content: [{ type: 'text', text: uuid }],
    content_in_s3: false,
    status: 'completed',
    notes: null,
    time_spent: 0.5,
    updated_by: 'x',
    ...extra,
  };
}

describe('DynamoDB store: tables', () => {
  it('creates the four tables of the older engine with their exact names, keys and LSIs, idempotently', async () => {
    const store = await open({ tablePrefix: '' });
    await store.init();
    await Promise.all([open({ tablePrefix: '' }), open({ tablePrefix: '' })]);
    const client = rawClient();
    const describe = async (name: string) =>
      (await client.send(new DescribeTableCommand({ TableName: name }))).Table;
    const expected = {
      'mcp-modules': ['module_name', ['package_name-index']],
      'mcp-functions': ['name', ['mcp_type-index']],
      'mcp-function_calls': ['mcp_function_call_uuid', ['name-index', 'mcp_type-index', 'updated_at-index']],
      'mcp-settings': ['setting_id', []],
    } as const;
    for (const [name, [range, indexes]] of Object.entries(expected)) {
      const table = await describe(name);
      expect(table?.TableStatus).toBe('ACTIVE');
      expect(table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table?.KeySchema).toEqual([
        { AttributeName: 'partition_key', KeyType: 'HASH' },
        { AttributeName: range, KeyType: 'RANGE' },
      ]);
      const lsis = table?.LocalSecondaryIndexes ?? [];
      expect(lsis.map((i) => i.IndexName).sort()).toEqual([...indexes].sort());
      for (const lsi of lsis) {
        expect(lsi.KeySchema).toEqual([
          { AttributeName: 'partition_key', KeyType: 'HASH' },
          { AttributeName: lsi.IndexName?.replace(/-index$/, ''), KeyType: 'RANGE' },
        ]);
        expect(lsi.Projection?.ProjectionType).toBe('ALL');
      }
    }
    client.destroy();
    await store.close();
  });

  it('copes with another process creating the same tables at once', async () => {
    const first = await open({ tablePrefix: 'race-' });
    // The second store's DescribeTable says "missing", as if both had asked before either created the tables.
    let missing = 4; // the first DescribeTable of each table; the waiter's later ones get the truth
    const client = rawClient();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'DescribeTableCommand' && missing-- > 0) {
          throw Object.assign(new Error('Requested resource not found'), {
            name: 'ResourceNotFoundException',
          });
        }
        return next(args);
      },
      { step: 'initialize' },
    );
    const second = await open({ client, tablePrefix: 'race-' });
    await first.settings.put({ partition_key: 'p', setting_id: 's', setting: {}, updated_by: 'x' });
    expect((await second.settings.get('p', 's'))?.setting).toEqual({});
    await first.close();
    client.destroy();
  });

  it('leaves an existing table alone and uses only the indexes it has', async () => {
    const client = rawClient();
    await client.send(
      new CreateTableCommand({
        TableName: 'old-mcp-functions',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'partition_key', AttributeType: 'S' },
          { AttributeName: 'name', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'partition_key', KeyType: 'HASH' },
          { AttributeName: 'name', KeyType: 'RANGE' },
        ],
      }),
    );
    const store = await open({ tablePrefix: 'old-' });
    const table = (await client.send(new DescribeTableCommand({ TableName: 'old-mcp-functions' }))).Table;
    expect(table?.LocalSecondaryIndexes).toBeUndefined();
    for (const [name, mcp_type] of [
      ['a', 'tool'],
      ['b', 'prompt'],
      ['c', 'tool'],
    ] as const) {
      await store.functions.put({
        partition_key: 'p',
        name,
        mcp_type,
        description: null,
        data: {},
        annotations: null,
        module_name: null,
        class_name: null,
        function_name: null,
        return_type: null,
        is_async: false,
        updated_by: 'x',
      });
    }
    expect(await store.functions.count('p', { equals: { mcp_type: 'tool' } })).toBe(2);
    client.destroy();
    await store.close();
  });
});

describe('DynamoDB store: items of the older engine', () => {
  it('reads what PynamoDB wrote, filling missing attributes and keeping unknown ones', async () => {
    const store = await open({ tablePrefix: 'legacy-' });
    const client = rawClient();
    const put = (table: string, item: Record<string, AttributeValue>) =>
      client.send(new PutItemCommand({ TableName: `legacy-${table}`, Item: item }));
    const S = (s: string) => ({ S: s });
    const stamps = {
      updated_by: S('admin'),
      created_at: S('2024-05-01T10:00:00.000000+0000'),
      updated_at: S('2024-05-02T11:30:00.123456+0000'),
    };
    await put('mcp-functions', {
      partition_key: S('ep'),
      name: S('legacy'),
      mcp_type: S('tool'),
      description: S('An old tool'),
      data: { M: { inputSchema: { M: { type: S('object'), required: { L: [S('a')] } } } } },
      module_name: S('mod'),
      class_name: S('Cls'),
      function_name: S('legacy'),
      return_type: S('text'),
      is_async: { BOOL: true },
      legacy_flag: S('kept'),
      ...stamps,
    });
    await put('mcp-modules', {
      partition_key: S('ep'),
      module_name: S('mod'),
      package_name: S('pkg'),
      ...stamps,
    });
    await put('mcp-function_calls', {
      partition_key: S('ep'),
      mcp_function_call_uuid: S('u1'),
      name: S('legacy'),
      mcp_type: S('tool'),
      status: S('completed'),
      content: S('plain text content'),
      time_spent: { N: '2' },
      ...stamps,
    });
    await put('mcp-settings', { partition_key: S('ep'), setting_id: S('s'), updated_by: S('admin') });

    const fn = await store.functions.get('ep', 'legacy');
    expect(fn).toEqual({
      partition_key: 'ep',
      name: 'legacy',
      mcp_type: 'tool',
      description: 'An old tool',
      data: { inputSchema: { type: 'object', required: ['a'] } },
      annotations: null,
      module_name: 'mod',
      class_name: 'Cls',
      function_name: 'legacy',
      return_type: 'text',
      is_async: true,
      legacy_flag: 'kept',
      updated_by: 'admin',
      created_at: '2024-05-01T10:00:00.000Z',
      updated_at: '2024-05-02T11:30:00.123Z',
    });
    expect(
      (await store.functions.list('ep', { limit: 5, filter: { equals: { mcp_type: 'tool' } } })).items,
    ).toEqual([fn]);
    expect(await store.functions.count('ep', { equals: { mcp_type: 'tool' } })).toBe(1);
    expect(await store.modules.get('ep', 'mod')).toMatchObject({
      package_name: 'pkg',
      classes: [],
      source: null,
      bundle_version: null,
      bundle_sha256: null,
    });
    expect(await store.calls.get('ep', 'u1')).toMatchObject({
      arguments: {},
      content: 'plain text content',
      content_in_s3: false,
      notes: null,
      time_spent: 2,
    });
    expect(await store.settings.get('ep', 's')).toEqual({
      partition_key: 'ep',
      setting_id: 's',
      setting: {},
      updated_by: 'admin',
      created_at: '',
      updated_at: '',
    });

    // Writing over it keeps created_at (in its original format) and attributes this engine does not know.
    const { created_at: _c, updated_at: _u, ...rest } = fn!;
    const updated = await store.functions.put({ ...rest, description: 'new' });
    expect(updated.created_at).toBe('2024-05-01T10:00:00.000Z');
    expect(updated.updated_at > '2024-05-02').toBe(true);
    const raw = (
      await client.send(
        new GetItemCommand({
          TableName: 'legacy-mcp-functions',
          Key: { partition_key: S('ep'), name: S('legacy') },
        }),
      )
    ).Item;
    expect(raw?.['created_at']).toEqual(S('2024-05-01T10:00:00.000000+0000'));
    expect(raw?.['legacy_flag']).toEqual(S('kept'));
    expect(raw?.['annotations']).toEqual({ NULL: true });
    client.destroy();
    await store.close();
  });

  it('writes JSON as native maps and lists, booleans as BOOL and numbers as N', async () => {
    const store = await open();
    const client = rawClient();
    await store.calls.put(call('ep', 'c1', { content_in_s3: true, time_spent: 12.375 }));
    await store.settings.put({
      partition_key: 'ep',
      setting_id: 'big',
      setting: { big: 2 ** 60, s: '', list: [] },
      updated_by: 'x',
    });
    const raw = (
      await client.send(
        new GetItemCommand({
          TableName: `t${prefixes}-mcp-function_calls`,
          Key: { partition_key: { S: 'ep' }, mcp_function_call_uuid: { S: 'c1' } },
        }),
      )
    ).Item;
    expect(raw?.['arguments']).toEqual({ M: { uuid: { S: 'c1' } } });
    expect(raw?.['content']).toEqual({ L: [{ M: { type: { S: 'text' }, text: { S: 'c1' } } }] });
    expect(raw?.['content_in_s3']).toEqual({ BOOL: true });
    expect(raw?.['time_spent']).toEqual({ N: '12.375' });
    expect(raw?.['notes']).toEqual({ NULL: true });
    expect((await store.settings.get('ep', 'big'))?.setting).toEqual({ big: 2 ** 60, s: '', list: [] });
    client.destroy();
    await store.close();
  });

  it('stores an empty index attribute by leaving it out, and still finds it', async () => {
    const store = await open();
    await store.calls.put(call('ep', 'a', { name: '' }));
    await store.calls.put(call('ep', 'b'));
    expect((await store.calls.get('ep', 'a'))?.name).toBe('');
    const empty = await store.calls.list('ep', { limit: 5, filter: { equals: { name: '' } } });
    expect(empty.items.map((c) => c.mcp_function_call_uuid)).toEqual(['a']);
    expect(await store.calls.count('ep', { equals: { name: '' } })).toBe(1);
    await store.close();
  });
});

describe('DynamoDB store: timestamps of the older engine', () => {
  it('turns them into ISO-8601 and keeps what it cannot read', () => {
    expect(isoTimestamp('2024-05-01T10:00:00.000Z')).toBe('2024-05-01T10:00:00.000Z');
    expect(isoTimestamp('2024-05-01T10:00:00.123456+0000')).toBe('2024-05-01T10:00:00.123Z');
    expect(isoTimestamp('2024-05-01 10:00:00')).toBe('2024-05-01T10:00:00.000Z');
    expect(isoTimestamp('2024-05-01T12:00:00.5+02:00')).toBe('2024-05-01T10:00:00.500Z');
    expect(isoTimestamp('2024-13-45T99:00:00Z')).toBe('2024-13-45T99:00:00Z');
    expect(isoTimestamp('yesterday')).toBe('yesterday');
    expect(isoTimestamp(1714557600)).toBe(1714557600);
  });
});

describe('DynamoDB store: failures', () => {
  it('rejects with MCPD_STORE_UNAVAILABLE, quickly and without credentials, when DynamoDB cannot be reached', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = srv.address() as AddressInfo;
        srv.close(() => resolve(p));
      });
    });
    const secret = 'wJalrXUtnFEMI-very-secret';
    const client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${port}`,
      region,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: secret },
      maxAttempts: 1,
      requestHandler: { connectionTimeout: 500, requestTimeout: 1000 },
    });
    const store = createDynamoStore({ client });
    const started = Date.now();
    for (const attempt of [
      store.init(),
      store.functions.get('p', 'x'),
      store.calls.list('p', { limit: 1 }),
    ]) {
      const err: unknown = await attempt.catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'StoreError', code: 'MCPD_STORE_UNAVAILABLE' });
      expect((err as Error).cause).toBeDefined();
      expect((err as Error).message).not.toContain(secret);
      expect((err as Error).message).not.toContain('AKIDEXAMPLE');
    }
    expect(Date.now() - started).toBeLessThan(5000);
    await store.close(); // leaves our own client open
    client.destroy();
  });

  it('reports a table it cannot create, and a later init tries again', async () => {
    let failures = 1;
    const client = rawClient();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'CreateTableCommand' && failures-- > 0) {
          throw Object.assign(new Error('Too many tables'), { name: 'LimitExceededException' });
        }
        return next(args);
      },
      { step: 'initialize' },
    );
    const store = createDynamoStore({ client, tablePrefix: 'nocreate-' });
    await expect(store.init()).rejects.toMatchObject({
      code: 'MCPD_STORE_UNAVAILABLE',
      message: expect.stringContaining('LimitExceededException'),
    });
    await store.init();
    expect(await store.settings.count('p')).toBe(0);
    client.destroy();
  });

  it('names the service error it got', async () => {
    const store = await open();
    await expect(
      store.settings.put({ partition_key: '', setting_id: 's', setting: {}, updated_by: 'x' }),
    ).rejects.toMatchObject({ code: 'MCPD_STORE_UNAVAILABLE', message: expect.stringMatching(/HTTP 400/) });
    await store.close();
  });

  it('answers nothing for empty keys and partitions without asking DynamoDB', async () => {
    const store = await open();
    expect(await store.modules.get('', 'x')).toBeUndefined();
    expect(await store.modules.get('p', '')).toBeUndefined();
    expect(await store.modules.delete('p', '')).toBe(false);
    expect(await store.modules.getMany('', ['x'])).toEqual([]);
    expect(await store.modules.getMany('p', [''])).toEqual([]);
    expect(await store.modules.list('p', { limit: 0 })).toEqual({ items: [] });
    expect(await store.modules.list('', { limit: 5 })).toEqual({ items: [] });
    expect(await store.modules.count('')).toBe(0);
    await expect(store.modules.list('p', { limit: 1, cursor: encodeCursor('') })).rejects.toMatchObject({
      code: 'MCPD_STORE_INVALID_CURSOR',
    });
    await store.close();
  });
});

describe('DynamoDB store: batches and pages', () => {
  it('gets many over several BatchGetItem chunks, in the order asked', async () => {
    const store = await open();
    for (const id of ['k005', 'k120', 'k149']) {
      await store.settings.put({ partition_key: 'p', setting_id: id, setting: { id }, updated_by: 'x' });
    }
    const keys = Array.from({ length: 150 }, (_, i) => `k${String(149 - i).padStart(3, '0')}`);
    const got = await store.settings.getMany('p', [...keys, 'k005']);
    expect(got.map((s) => s.setting_id)).toEqual(['k149', 'k120', 'k005']);
    await store.close();
  });

  it('retries unprocessed keys, within bounds', async () => {
    let drops = 2;
    const client = rawClient();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'BatchGetItemCommand' || drops-- <= 0) return next(args);
        const input = args.input as { RequestItems?: unknown };
        return {
          output: { $metadata: {}, Responses: {}, UnprocessedKeys: input.RequestItems },
          response: {},
        } as never;
      },
      { step: 'initialize' },
    );
    const store = await open({ client, tablePrefix: 'retry-' });
    await store.settings.put({ partition_key: 'p', setting_id: 'a', setting: {}, updated_by: 'x' });
    expect((await store.settings.getMany('p', ['a', 'b'])).map((s) => s.setting_id)).toEqual(['a']);
    expect(drops).toBe(-1);
    drops = Infinity;
    await expect(store.settings.getMany('p', ['a'])).rejects.toMatchObject({
      code: 'MCPD_STORE_UNAVAILABLE',
    });
    client.destroy();
  });

  it('pages by offset over 25 records, reading several DynamoDB pages', async () => {
    for (const queryPageSize of [undefined, 4]) {
      const store = await open(queryPageSize ? { queryPageSize } : {});
      const ids = Array.from({ length: 25 }, (_, i) => `s${String(i).padStart(2, '0')}`);
      for (const id of [...ids].reverse()) {
        await store.settings.put({ partition_key: 'p', setting_id: id, setting: {}, updated_by: 'x' });
      }
      const seen: string[] = [];
      for (let offset = 0; offset < 30; offset += 10) {
        const page = await store.settings.list('p', { limit: 10, offset });
        seen.push(...page.items.map((s) => s.setting_id));
        expect(page.cursor !== undefined).toBe(offset + 10 < 25);
      }
      expect(seen).toEqual(ids);
      expect((await store.settings.list('p', { limit: 10, offset: 25 })).items).toEqual([]);
      expect(await store.settings.count('p')).toBe(25);
      await store.close();
    }
  });

  it('fills a filtered page from sparse matches spread over many DynamoDB pages', async () => {
    const { client, queries } = recordingClient();
    const store = await open({ client, queryPageSize: 3 });
    const ids = Array.from({ length: 40 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    const failed = ids.filter((_, i) => i % 7 === 3); // c03 c10 c17 c24 c31 c38
    for (const id of ids) {
      await store.calls.put(call('p', id, { status: failed.includes(id) ? 'failed' : 'completed' }));
    }
    const filter = { equals: { status: 'failed' } };
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.calls.list('p', { limit: 2, filter, ...(cursor ? { cursor } : {}) });
      expect(page.items).toHaveLength(2);
      seen.push(...page.items.map((c) => c.mcp_function_call_uuid));
      cursor = page.cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(failed);
    expect(pages).toBe(3);
    expect(queries.every((q) => q['Limit'] === 3 && q['IndexName'] === undefined)).toBe(true);
    queries.length = 0;
    const byOffset = await store.calls.list('p', { limit: 2, filter, offset: 3 });
    expect(byOffset.items.map((c) => c.mcp_function_call_uuid)).toEqual(['c24', 'c31']);
    expect(byOffset.cursor).toBeDefined();
    // c00..c17 are walked past reading keys only (6 requests of 3), then full items from c18 to c38 (the peek).
    expect(queries.map((q) => q['ProjectionExpression'] ?? 'all')).toEqual([
      ...Array<string>(6).fill('#pk, #sk'),
      ...Array<string>(7).fill('all'),
    ]);
    expect((await store.calls.list('p', { limit: 2, filter, offset: 6 })).items).toEqual([]);
    expect(await store.calls.count('p', filter)).toBe(6);
    client.destroy();
  });

  it('counts through the LSIs and the base table alike', async () => {
    const { client, queries } = recordingClient();
    const store = await open({ client, queryPageSize: 2 });
    const stamps: string[] = [];
    for (const [id, name, mcp_type, status] of [
      ['a', 'echo', 'tool', 'completed'],
      ['b', 'other', 'tool', 'failed'],
      ['c', 'echo', 'resource', 'failed'],
      ['d', 'echo', 'tool', 'completed'],
    ] as const) {
      stamps.push((await store.calls.put(call('p', id, { name, mcp_type, status }))).updated_at);
      await new Promise((r) => setTimeout(r, 3));
    }
    /** The count, and the index its last Query used. */
    const count = async (filter: Parameters<Store['calls']['count']>[1]) => [
      await store.calls.count('p', filter),
      queries.at(-1)?.['IndexName'] ?? 'table',
    ];
    expect(await count({ equals: { name: 'echo' } })).toEqual([3, 'name-index']);
    expect(await count({ equals: { name: 'echo', status: 'failed' } })).toEqual([1, 'name-index']);
    expect(await count({ equals: { status: 'completed', mcp_type: 'tool' } })).toEqual([2, 'mcp_type-index']);
    expect(await count({ updatedAfter: stamps[1]! })).toEqual([2, 'updated_at-index']);
    expect(await count({ updatedBefore: stamps[1]! })).toEqual([1, 'updated_at-index']);
    expect(await count({ updatedAfter: stamps[0]!, updatedBefore: stamps[3]! })).toEqual([2, 'table']);
    expect(await count({ equals: { status: 'failed' }, updatedAfter: stamps[1]! })).toEqual([
      1,
      'updated_at-index',
    ]);
    expect(await count({ equals: { mcp_function_call_uuid: 'b', name: 'other' } })).toEqual([1, 'table']);
    expect(await count({ equals: { name: 'echo' } })).toEqual([3, 'name-index']);
    const exact = await store.calls.list('p', {
      limit: 5,
      filter: { equals: { mcp_function_call_uuid: 'c' } },
    });
    expect(exact.items.map((c) => c.mcp_function_call_uuid)).toEqual(['c']);
    const after = await store.calls.list('p', { limit: 5, filter: { updatedAfter: stamps[0]! } });
    expect(after.items.map((c) => c.mcp_function_call_uuid)).toEqual(['b', 'c', 'd']);
    expect(queries.at(-1)?.['IndexName']).toBeUndefined(); // lists keep the table's order
    client.destroy();
  });
});
