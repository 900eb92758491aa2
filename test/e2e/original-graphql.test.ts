/**
 * The older engine's real client, replayed against a running daemon on both storage stacks: every GraphQL
 * operation of its Postman collection (`test/fixtures/original-postman-collection.json`) is sent with its query
 * text and variables exactly as stored, and the answers are checked field by field. Then what this project adds on
 * top (cursor pagination, filters, limit checks, typed and masked errors, DataLoader batching, content offloaded
 * to the blob store) and the admin routes beside MCP (`GET /{id}`, the registry cache routes).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { graphql, type GraphqlReply, STACKS } from './support.js';

interface PostmanRequest {
  method: string;
  header: { key: string; value: string }[];
  url: { raw: string };
  body: { mode: string; graphql: { query: string; variables: string } };
}
interface PostmanItem {
  name: string;
  item?: PostmanItem[];
  request?: PostmanRequest;
}
interface PostmanCollection {
  variable: { key: string; value: string }[];
  item: PostmanItem[];
}

const COLLECTION_FILE = fileURLToPath(
  new URL('../fixtures/original-postman-collection.json', import.meta.url),
);
const collection = JSON.parse(readFileSync(COLLECTION_FILE, 'utf8')) as PostmanCollection;

const flatten = (items: PostmanItem[]): PostmanItem[] =>
  items.flatMap((i) => (i.item ? flatten(i.item) : i.request ? [i] : []));
const OPERATIONS = new Map(flatten(collection.item).map((i) => [i.name, i.request as PostmanRequest]));

const PART = 'part1';
const API_KEY = 'test-api-key';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const iso = () => expect.stringMatching(ISO) as unknown;

/** The variables of an operation as the collection stores them (an empty text means none). */
function variablesOf(name: string): Record<string, unknown> {
  const text = OPERATIONS.get(name)?.body.graphql.variables ?? '';
  return text.trim() === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(STACKS)('the older engine API on $name', (stack) => {
  let d: RunningDaemon;
  let closeStack: () => Promise<void>;

  beforeAll(async () => {
    const s = await stack.start();
    closeStack = s.close;
    d = await startDaemon(s.env, null);
  });
  afterAll(async () => {
    await d?.close();
    await closeStack?.();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /**
   * Sends one operation of the collection as Postman would: its URL with the collection's variables resolved
   * (`{{area}}` is the prefix the older engine's serverless gateway adds; its server, which this daemon
   * replaces, serves `/{endpoint_id}/mcp_core_graphql`), its headers, and `{query, variables}` as stored.
   */
  async function replay(
    name: string,
    endpointId: string,
    partId: string | null = PART,
  ): Promise<GraphqlReply & { url: string; headers: Record<string, string> }> {
    const op = OPERATIONS.get(name);
    if (!op) throw new Error(`no operation ${name} in the collection`);
    const values: Record<string, string> = {
      ...Object.fromEntries(collection.variable.map((v) => [v.key, v.value])),
      api_url: d.url,
      endpoint_id: endpointId,
      api_key: API_KEY,
      part_id: partId ?? '',
    };
    const resolve = (text: string) =>
      text.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => {
        const v = values[key];
        if (v === undefined) throw new Error(`unknown Postman variable ${key}`);
        return v;
      });
    const url = resolve(op.url.raw.replace('/{{area}}', ''));
    const headers: Record<string, string> = {};
    for (const h of op.header) {
      if (h.key.toLowerCase() === 'part-id' && partId === null) continue;
      headers[h.key] = resolve(h.value);
    }
    const res = await fetch(url, {
      method: op.method,
      headers,
      body: JSON.stringify({ query: op.body.graphql.query, variables: variablesOf(name) }),
    });
    const body = (await res.json()) as Omit<GraphqlReply, 'status'>;
    return { status: res.status, url, headers, ...body };
  }

  /** The data of a reply that must have succeeded. */
  const ok = (r: GraphqlReply) => {
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    expect(r.status).toBe(200);
    return r.data as Record<string, Record<string, unknown> | null>;
  };

  describe('the Postman collection, verbatim', () => {
    const EP = `postman-${randomUUID().slice(0, 8)}`;
    const fn = variablesOf('Insert/Update MCP Function');
    const call = variablesOf('Insert/Update MCP Function Call');
    const mod = variablesOf('Insert/Update MCP Module');
    const setting = variablesOf('Insert/Update MCP Setting');

    const expectedFunction = () => ({
      endpointId: EP,
      name: fn['name'],
      mcpType: fn['mcpType'],
      description: fn['description'],
      data: fn['data'],
      annotations: fn['annotations'],
      moduleName: fn['moduleName'],
      className: fn['className'],
      functionName: fn['functionName'],
      returnType: fn['returnType'],
      isAsync: fn['isAsync'],
      updatedBy: fn['updatedBy'],
      createdAt: iso(),
      updatedAt: iso(),
    });
    const expectedCall = () => ({
      endpointId: EP,
      mcpFunctionCallUuid: call['mcpFunctionCallUuid'],
      mcpType: call['mcpType'],
      name: call['name'],
      arguments: call['arguments'],
      // contentInS3 is true but nothing was offloaded: no content, and no error.
      content: null,
      status: call['status'],
      notes: call['notes'],
      timeSpent: call['timeSpent'],
      updatedBy: call['updatedBy'],
      createdAt: iso(),
      updatedAt: iso(),
    });
    const expectedModule = () => ({
      endpointId: EP,
      moduleName: mod['moduleName'],
      packageName: mod['packageName'],
      classes: mod['classes'],
      source: mod['source'],
      updatedBy: mod['updatedBy'],
      createdAt: iso(),
      updatedAt: iso(),
    });
    const expectedSetting = () => ({
      endpointId: EP,
      settingId: setting['settingId'],
      setting: setting['setting'],
      updatedBy: setting['updatedBy'],
      createdAt: iso(),
      updatedAt: iso(),
    });

    it('holds the 18 operations, each with x-api-key and Part-ID headers', () => {
      expect([...OPERATIONS.keys()].sort()).toEqual(
        [
          'Ping',
          'Load MCP Configuration',
          ...['MCP Function', 'MCP Function Call', 'MCP Module', 'MCP Setting'].flatMap((e) => [
            `Insert/Update ${e}`,
            `Get ${e}`,
            `List ${e}s`,
            `Delete ${e}`,
          ]),
        ].sort(),
      );
      for (const op of OPERATIONS.values()) {
        expect(op.method).toBe('POST');
        expect(op.body.mode).toBe('graphql');
        expect(op.header.map((h) => h.key.toLowerCase())).toEqual(
          expect.arrayContaining(['x-api-key', 'part-id']),
        );
      }
    });

    it('Ping', async () => {
      const r = await replay('Ping', EP);
      expect(r.url).toBe(`${d.url}/${EP}/mcp_core_graphql`);
      expect(r.headers).toMatchObject({ 'x-api-key': API_KEY, 'Part-ID': PART });
      expect(ok(r)).toEqual({ ping: 'pong' });
    });

    it('MCP Function: insert, get, list', async () => {
      const inserted = ok(await replay('Insert/Update MCP Function', EP));
      expect(inserted['insertUpdateMcpFunction']).toEqual({ mcpFunction: expectedFunction() });
      const first = (inserted['insertUpdateMcpFunction'] as { mcpFunction: Record<string, unknown> })
        .mcpFunction;
      expect(first['createdAt']).toBe(first['updatedAt']);

      const got = ok(await replay('Get MCP Function', EP))['mcpFunction'];
      expect(got).toEqual(expectedFunction());
      expect(got?.['createdAt']).toBe(first['createdAt']);

      const list = ok(await replay('List MCP Functions', EP))['mcpFunctionList'];
      expect(list).toEqual({
        mcpFunctionList: [expectedFunction()],
        pageSize: 10,
        // pageNumber 0 (what the collection sends) is the first page.
        pageNumber: 1,
        total: 1,
      });

      // Insert/update again: same record, creation time kept.
      await sleep(5);
      const again = ok(await replay('Insert/Update MCP Function', EP))['insertUpdateMcpFunction'] as {
        mcpFunction: Record<string, unknown>;
      };
      expect(again.mcpFunction).toEqual(expectedFunction());
      expect(again.mcpFunction['createdAt']).toBe(first['createdAt']);
      expect((again.mcpFunction['updatedAt'] as string) > (first['updatedAt'] as string)).toBe(true);
      expect(ok(await replay('List MCP Functions', EP))['mcpFunctionList']?.['total']).toBe(1);
    });

    it('MCP Function Call: insert, get, list', async () => {
      const inserted = ok(await replay('Insert/Update MCP Function Call', EP));
      expect(inserted['insertUpdateMcpFunctionCall']).toEqual({ mcpFunctionCall: expectedCall() });
      expect(ok(await replay('Get MCP Function Call', EP))['mcpFunctionCall']).toEqual(expectedCall());
      expect(ok(await replay('List MCP Function Calls', EP))['mcpFunctionCallList']).toEqual({
        mcpFunctionCallList: [expectedCall()],
        pageSize: 10,
        pageNumber: 1,
        total: 1,
      });
    });

    it('MCP Module: insert, get, list', async () => {
      const inserted = ok(await replay('Insert/Update MCP Module', EP));
      expect(inserted['insertUpdateMcpModule']).toEqual({ mcpModule: expectedModule() });
      expect(ok(await replay('Get MCP Module', EP))['mcpModule']).toEqual(expectedModule());
      expect(ok(await replay('List MCP Modules', EP))['mcpModuleList']).toEqual({
        mcpModuleList: [expectedModule()],
        pageSize: 10,
        pageNumber: 1,
        total: 1,
      });
    });

    it('MCP Setting: insert, get, list', async () => {
      const inserted = ok(await replay('Insert/Update MCP Setting', EP));
      expect(inserted['insertUpdateMcpSetting']).toEqual({ mcpSetting: expectedSetting() });
      expect(ok(await replay('Get MCP Setting', EP))['mcpSetting']).toEqual(expectedSetting());
      expect(ok(await replay('List MCP Settings', EP))['mcpSettingList']).toEqual({
        mcpSettingList: [expectedSetting()],
        pageSize: 10,
        pageNumber: 1,
        total: 1,
      });
    });

    it('the records live in partition endpoint#Part-ID, nowhere else', async () => {
      for (const name of ['Get MCP Function', 'Get MCP Function Call', 'Get MCP Module', 'Get MCP Setting']) {
        const data = ok(await replay(name, EP, null));
        expect(Object.values(data)).toEqual([null]);
        expect(Object.values(ok(await replay(name, EP, 'part2')))).toEqual([null]);
      }
      expect(await d.daemon.store.functions.get(`${EP}#${PART}`, 'fetch_data')).toMatchObject({
        partition_key: `${EP}#${PART}`,
        mcp_type: 'tool',
      });
      expect(await d.daemon.store.functions.get(EP, 'fetch_data')).toBeUndefined();
    });

    it.each([
      ['MCP Function Call', 'mcpFunctionCall'],
      ['MCP Function', 'mcpFunction'],
      ['MCP Module', 'mcpModule'],
      ['MCP Setting', 'mcpSetting'],
    ])('%s: delete, then get is null and the list is empty', async (entity, field) => {
      const del = ok(await replay(`Delete ${entity}`, EP));
      expect(Object.values(del)).toEqual([{ ok: true }]);
      expect(ok(await replay(`Get ${entity}`, EP))[field]).toBeNull();
      const list = ok(await replay(`List ${entity}s`, EP))[`${field}List`];
      expect(list).toEqual({ [`${field}List`]: [], pageSize: 10, pageNumber: 1, total: 0 });
      // Deleting what is gone is not an error, and says so.
      expect(Object.values(ok(await replay(`Delete ${entity}`, EP)))).toEqual([{ ok: false }]);
    });

    it('Load MCP Configuration registers fetch_data as a tool of endpoint#Part-ID only', async () => {
      const load = ok(await replay('Load MCP Configuration', EP));
      expect(load['loadMcpConfiguration']).toEqual({ ok: true, message: expect.any(String) as unknown });

      const list = ok(await replay('List MCP Functions', EP))['mcpFunctionList'] as {
        mcpFunctionList: Record<string, unknown>[];
        total: number;
      };
      expect(list.total).toBe(1);
      expect(list.mcpFunctionList).toEqual([
        expect.objectContaining({
          endpointId: EP,
          name: 'fetch_data',
          mcpType: 'tool',
          description: 'Fetch data from API',
          moduleName: 'data_fetcher',
          data: {
            inputSchema: {
              type: 'object',
              properties: { url: { type: 'string' }, method: { type: 'string' } },
            },
          },
        }),
      ]);
      // The module and its settings (the `variables`) were recorded too.
      const module = ok(await replay('Get MCP Module', EP))['mcpModule'];
      expect(module).toMatchObject({ moduleName: 'data_fetcher', packageName: 'mcp_tools' });
      const settings = await d.daemon.store.settings.list(`${EP}#${PART}`, { limit: 10 });
      expect(settings.items.map((s) => s.setting)).toContainEqual(
        variablesOf('Load MCP Configuration')['variables'],
      );

      // The runtime registry of the partition serves it.
      const served = d.daemon.registry.get(`${EP}#${PART}`);
      expect(served?.catalog.toolList.map((t) => t.name)).toEqual(['fetch_data']);

      // Partitions are separate: without Part-ID (or with another one) the function is not there.
      expect(ok(await replay('List MCP Functions', EP, null))['mcpFunctionList']?.['total']).toBe(0);
      expect(ok(await replay('Get MCP Function', EP, null))['mcpFunction']).toBeNull();
      expect(ok(await replay('List MCP Functions', EP, 'part2'))['mcpFunctionList']?.['total']).toBe(0);
      expect(d.daemon.registry.get(EP)?.catalog.toolList ?? []).toEqual([]);
    });
  });

  describe('modern extras', () => {
    it('cursor pagination walks 25 settings in 3 pages, sorted, none twice', async () => {
      const ep = `pages-${randomUUID().slice(0, 8)}`;
      const ids = Array.from({ length: 25 }, (_, i) => `s-${String(i).padStart(2, '0')}`);
      // Inserted out of order: the pages come back in sort-key order anyway.
      for (const id of [...ids].reverse()) {
        const r = await graphql(
          d.url,
          ep,
          'mutation($id: String, $s: JSON) { insertUpdateMcpSetting(settingId: $id, setting: $s, updatedBy: "e2e") { mcpSetting { settingId } } }',
          { id, s: { n: id } },
        );
        expect(r.errors).toBeUndefined();
      }
      const PAGE = `query($after: String) {
        mcpSettingList(limit: 10, after: $after) { mcpSettingList { settingId setting } pageSize total nextCursor }
      }`;
      const seen: string[] = [];
      const sizes: number[] = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const r = await graphql(d.url, ep, PAGE, after ? { after } : {});
        const page = ok(r)['mcpSettingList'] as {
          mcpSettingList: { settingId: string; setting: { n: string } }[];
          pageSize: number;
          total: number;
          nextCursor: string | null;
        };
        expect(page.pageSize).toBe(10);
        expect(page.total).toBe(25);
        for (const s of page.mcpSettingList) expect(s.setting).toEqual({ n: s.settingId });
        seen.push(...page.mcpSettingList.map((s) => s.settingId));
        sizes.push(page.mcpSettingList.length);
        after = page.nextCursor;
        pages++;
      } while (after !== null && pages < 10);
      expect(pages).toBe(3);
      expect(sizes).toEqual([10, 10, 5]);
      expect(new Set(seen).size).toBe(25);
      expect(seen).toEqual(ids);

      // The older offset paging agrees.
      const second = await graphql(
        d.url,
        ep,
        '{ mcpSettingList(pageNumber: 2, limit: 10) { mcpSettingList { settingId } pageNumber } }',
      );
      expect(ok(second)['mcpSettingList']).toEqual({
        mcpSettingList: ids.slice(10, 20).map((settingId) => ({ settingId })),
        pageNumber: 2,
      });
      // A cursor that is not one is the caller's mistake, not a server error.
      const bad = await graphql(d.url, ep, PAGE, { after: 'not-a-cursor' });
      expect(bad.errors?.[0]?.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
      expect(bad.errors?.[0]?.message).not.toBe('Unexpected error.');
    });

    it('filters function calls by status and by updatedAt range', async () => {
      const ep = `calls-${randomUUID().slice(0, 8)}`;
      const INSERT = `mutation($uuid: String, $status: String) {
        insertUpdateMcpFunctionCall(mcpFunctionCallUuid: $uuid, name: "echo", mcpType: "tool", status: $status, updatedBy: "e2e") {
          mcpFunctionCall { mcpFunctionCallUuid updatedAt }
        }
      }`;
      const stamps: Record<string, string> = {};
      for (const [uuid, status] of [
        ['call-a', 'completed'],
        ['call-b', 'failed'],
        ['call-c', 'completed'],
      ] as const) {
        const r = ok(await graphql(d.url, ep, INSERT, { uuid, status }));
        stamps[uuid] = (
          r['insertUpdateMcpFunctionCall'] as { mcpFunctionCall: { updatedAt: string } }
        ).mcpFunctionCall.updatedAt;
        await sleep(15);
      }
      const LIST = `query($status: String, $gt: String, $lt: String) {
        mcpFunctionCallList(status: $status, updatedAtGt: $gt, updatedAtLt: $lt) {
          mcpFunctionCallList { mcpFunctionCallUuid status } total
        }
      }`;
      const uuids = async (vars: Record<string, unknown>) => {
        const page = ok(await graphql(d.url, ep, LIST, vars))['mcpFunctionCallList'] as {
          mcpFunctionCallList: { mcpFunctionCallUuid: string }[];
          total: number;
        };
        expect(page.total).toBe(page.mcpFunctionCallList.length);
        return page.mcpFunctionCallList.map((c) => c.mcpFunctionCallUuid);
      };
      expect(await uuids({})).toEqual(['call-a', 'call-b', 'call-c']);
      expect(await uuids({ status: 'completed' })).toEqual(['call-a', 'call-c']);
      expect(await uuids({ status: 'failed' })).toEqual(['call-b']);
      expect(await uuids({ status: 'in_process' })).toEqual([]);
      expect(await uuids({ gt: stamps['call-a'] })).toEqual(['call-b', 'call-c']);
      expect(await uuids({ lt: stamps['call-c'] })).toEqual(['call-a', 'call-b']);
      expect(await uuids({ gt: stamps['call-a'], lt: stamps['call-c'] })).toEqual(['call-b']);
      expect(await uuids({ status: 'completed', gt: stamps['call-a'] })).toEqual(['call-c']);
    });

    it('filters functions, modules and settings by the older engine arguments', async () => {
      const ep = `filters-${randomUUID().slice(0, 8)}`;
      const WRITE = `mutation {
        a: insertUpdateMcpModule(moduleName: "ma", packageName: "p1", updatedBy: "e2e") { mcpModule { moduleName } }
        b: insertUpdateMcpModule(moduleName: "mb", packageName: "p2", updatedBy: "e2e") { mcpModule { moduleName } }
        c: insertUpdateMcpFunction(name: "f-a", mcpType: "tool", description: "alpha", moduleName: "ma", updatedBy: "e2e") { mcpFunction { name } }
        d: insertUpdateMcpFunction(name: "f-b", mcpType: "prompt", description: "beta", moduleName: "mb", className: "C", functionName: "fb", updatedBy: "e2e") { mcpFunction { name } }
        e: insertUpdateMcpSetting(settingId: "s1", setting: { v: 1 }, updatedBy: "e2e") { mcpSetting { settingId } }
        f: insertUpdateMcpSetting(settingId: "s2", setting: { v: 2 }, updatedBy: "e2e") { mcpSetting { settingId } }
      }`;
      ok(await graphql(d.url, ep, WRITE));
      const names = async (field: string, args: string, key: string) => {
        const r = ok(await graphql(d.url, ep, `{ ${field}(${args}) { total ${field} { ${key} } } }`))[
          field
        ] as ({ total: number } & Record<string, Record<string, string>[]>) | null;
        const items = (r?.[field] ?? []) as Record<string, string>[];
        expect(r?.total).toBe(items.length);
        return items.map((i) => i[key]);
      };
      expect(await names('mcpFunctionList', 'limit: 10', 'name')).toEqual(['f-a', 'f-b']);
      expect(await names('mcpFunctionList', 'mcpType: "prompt"', 'name')).toEqual(['f-b']);
      expect(await names('mcpFunctionList', 'description: "alpha"', 'name')).toEqual(['f-a']);
      expect(await names('mcpFunctionList', 'moduleName: "mb"', 'name')).toEqual(['f-b']);
      expect(await names('mcpFunctionList', 'className: "C", functionName: "fb"', 'name')).toEqual(['f-b']);
      expect(await names('mcpFunctionList', 'functionName: "nope"', 'name')).toEqual([]);
      expect(await names('mcpModuleList', 'moduleName: "mb"', 'moduleName')).toEqual(['mb']);
      expect(await names('mcpModuleList', 'packageName: "p1"', 'moduleName')).toEqual(['ma']);
      expect(await names('mcpSettingList', 'settingId: "s2"', 'settingId')).toEqual(['s2']);
      expect(await names('mcpSettingList', 'limit: 10', 'settingId')).toEqual(['s1', 's2']);
    });

    it.each([0, -1, 5000])('refuses limit %d with BAD_USER_INPUT', async (limit) => {
      const r = await graphql(d.url, 'limits', 'query($l: Int) { mcpFunctionList(limit: $l) { total } }', {
        l: limit,
      });
      expect(r.data).toBeNull();
      expect(r.errors).toHaveLength(1);
      expect(r.errors?.[0]?.message).toMatch(/limit/);
      expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('answers a body that is not JSON with HTTP 400 and says why', async () => {
      const res = await fetch(`${d.url}/errs/mcp_core_graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query": "{ ping }"',
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        data: null,
        errors: [{ message: 'Body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }],
      });
    });

    it.each([
      ['a syntax error', '{ ping ', {}, /^Syntax Error: Expected Name, found <EOF>/],
      ['an unknown field', '{ ping nope }', {}, /Cannot query field "nope" on type "Query"/],
      [
        'a missing required argument',
        '{ mcpFunction { name } }',
        {},
        /argument "name" of type "String!" is required/,
      ],
      [
        'a variable of the wrong type',
        'query($l: Int) { mcpSettingList(limit: $l) { total } }',
        { l: 'ten' },
        /\$l.*Int/,
      ],
    ])('reports %s as GRAPHQL_VALIDATION_FAILED', async (_what, query, variables, message) => {
      // Twice: the second time the query is compiled (jit), and must answer the same.
      for (let i = 0; i < 2; i++) {
        const r = await graphql(d.url, 'errs', query, variables);
        expect(r.status).toBe(400);
        expect(r.data ?? null).toBeNull();
        expect(r.errors).toHaveLength(1);
        expect(r.errors?.[0]?.message).toMatch(message);
        expect(r.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      }
    });

    it('refuses a Part-ID that is not [A-Za-z0-9_-]+ as BAD_USER_INPUT, touching nothing', async () => {
      const spy = vi.spyOn(d.daemon.store.functions, 'put');
      for (const part of ['a/b', 'a#b', '../x', 'x'.repeat(129)]) {
        const r = await graphql(
          d.url,
          'parts',
          'mutation { insertUpdateMcpFunction(name: "f", mcpType: "tool", updatedBy: "e2e") { mcpFunction { name } } }',
          {},
          { 'Part-ID': part },
        );
        expect(r.status).toBe(400);
        expect(r.data ?? null).toBeNull();
        expect(r.errors?.[0]?.message).toMatch(/Part-ID/);
        expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      }
      expect(spy).not.toHaveBeenCalled();
    });

    it('refuses an endpoint id with a bad character in the path', async () => {
      for (const id of ['bad.id', 'bad%24id', 'bad%23id', 'b%20d']) {
        const res = await fetch(`${d.url}/${id}/mcp_core_graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ ping }' }),
        });
        expect([400, 404]).toContain(res.status);
        const body = (await res.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
        expect(body.data ?? null).toBeNull();
        if (res.status === 400) expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      }
    });

    it('batches McpFunction.module: 30 functions, one getMany', async () => {
      const ep = `batch-${randomUUID().slice(0, 8)}`;
      const { store } = d.daemon;
      for (const m of ['mod0', 'mod1', 'mod2']) {
        await store.modules.put({
          partition_key: ep,
          module_name: m,
          package_name: `pkg_${m}`,
          classes: [],
          source: null,
          updated_by: 'e2e',
        });
      }
      // f29 names a module that does not exist: its `module` is null.
      for (let i = 0; i < 30; i++) {
        await store.functions.put({
          partition_key: ep,
          name: `f${String(i).padStart(2, '0')}`,
          mcp_type: 'tool',
          description: null,
          data: {},
          annotations: null,
          module_name: i === 29 ? 'ghost' : `mod${i % 3}`,
          class_name: null,
          function_name: null,
          return_type: null,
          is_async: false,
          updated_by: 'e2e',
        });
      }
      const getMany = vi.spyOn(store.modules, 'getMany');
      const get = vi.spyOn(store.modules, 'get');
      const r = await graphql(
        d.url,
        ep,
        '{ mcpFunctionList(limit: 30) { total mcpFunctionList { name moduleName module { moduleName packageName } } } }',
      );
      const page = ok(r)['mcpFunctionList'] as {
        total: number;
        mcpFunctionList: {
          name: string;
          moduleName: string;
          module: { moduleName: string; packageName: string } | null;
        }[];
      };
      expect(page.total).toBe(30);
      expect(page.mcpFunctionList).toHaveLength(30);
      for (const f of page.mcpFunctionList) {
        if (f.moduleName === 'ghost') expect(f.module).toBeNull();
        else expect(f.module).toEqual({ moduleName: f.moduleName, packageName: `pkg_${f.moduleName}` });
      }
      expect(getMany).toHaveBeenCalledTimes(1);
      expect(get).not.toHaveBeenCalled();
      const [partition, keys] = getMany.mock.calls[0] as [string, readonly string[]];
      expect(partition).toBe(ep);
      expect([...keys].sort()).toEqual(['ghost', 'mod0', 'mod1', 'mod2']);
    });

    it('masks an unexpected internal error as "Unexpected error." without its detail', async () => {
      const ep = `mask-${randomUUID().slice(0, 8)}`;
      const get = vi
        .spyOn(d.daemon.store.settings, 'get')
        .mockRejectedValueOnce(new Error('secret detail /etc/x'));
      const res = await fetch(`${d.url}/${ep}/mcp_core_graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ ping mcpSetting(settingId: "s") { settingId } }' }),
      });
      const text = await res.text();
      expect(get).toHaveBeenCalledTimes(1);
      expect(text).not.toMatch(/secret|\/etc\/x/);
      const body = JSON.parse(text) as GraphqlReply;
      expect(body.errors).toEqual([
        expect.objectContaining({
          message: 'Unexpected error.',
          path: ['mcpSetting'],
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        }),
      ]);
      // The rest of the query still answers.
      expect(body.data).toEqual({ ping: 'pong', mcpSetting: null });
      // And the next request is fine again.
      const again = await graphql(d.url, ep, '{ mcpSetting(settingId: "s") { settingId } }');
      expect(ok(again)).toEqual({ mcpSetting: null });
    });

    it('offloads content given with contentInS3 under the partition and reads it back transparently', async () => {
      const ep = `s3-${randomUUID().slice(0, 8)}`;
      const uuid = randomUUID();
      const content = [
        { type: 'text', text: 'x'.repeat(1000) },
        { type: 'text', text: 'ünïcødé ✓' },
      ];
      const inserted = await graphql(
        d.url,
        ep,
        `
          mutation ($uuid: String, $content: JSON) {
            insertUpdateMcpFunctionCall(
              mcpFunctionCallUuid: $uuid
              name: "big"
              mcpType: "tool"
              content: $content
              contentInS3: true
              status: "completed"
              updatedBy: "e2e"
            ) {
              mcpFunctionCall {
                contentInS3
              }
            }
          }
        `,
        { uuid, content },
        { 'Part-ID': PART },
      );
      expect(ok(inserted)['insertUpdateMcpFunctionCall']).toEqual({ mcpFunctionCall: { contentInS3: true } });
      const stored = await d.daemon.store.calls.get(`${ep}#${PART}`, uuid);
      expect(stored?.content ?? null).toBeNull();
      const blob = await d.daemon.blobs.get(`mcp_content/${ep}#${PART}/${uuid}.json`);
      expect(JSON.parse(blob?.toString('utf8') ?? 'null')).toEqual(content);
      const one = await graphql(
        d.url,
        ep,
        'query($uuid: String!) { mcpFunctionCall(mcpFunctionCallUuid: $uuid) { content contentInS3 } }',
        { uuid },
        { 'Part-ID': PART },
      );
      expect(ok(one)['mcpFunctionCall']).toEqual({ content, contentInS3: true });
      const list = await graphql(
        d.url,
        ep,
        '{ mcpFunctionCallList { mcpFunctionCallList { mcpFunctionCallUuid content } } }',
        {},
        { 'Part-ID': PART },
      );
      expect(ok(list)['mcpFunctionCallList']).toEqual({
        mcpFunctionCallList: [{ mcpFunctionCallUuid: uuid, content }],
      });
    });

    it('reads content the older engine offloaded to mcp_content/{uuid}.json', async () => {
      const ep = `legacy-${randomUUID().slice(0, 8)}`;
      const uuid = randomUUID();
      await d.daemon.store.calls.put({
        partition_key: ep,
        mcp_function_call_uuid: uuid,
        name: 'old',
        mcp_type: 'tool',
        arguments: {},
        content: null,
        content_in_s3: true,
        status: 'completed',
        notes: null,
        time_spent: 3,
        updated_by: 'python-engine',
      });
      await d.daemon.blobs.put(`mcp_content/${uuid}.json`, Buffer.from('[{"type":"text","text":"old"}]'));
      const one = await graphql(
        d.url,
        ep,
        'query($uuid: String!) { mcpFunctionCall(mcpFunctionCallUuid: $uuid) { content contentInS3 } }',
        { uuid },
      );
      expect(ok(one)['mcpFunctionCall']).toEqual({
        content: [{ type: 'text', text: 'old' }],
        contentInS3: true,
      });
    });

    it("a tenant cannot point a record at another tenant's offloaded content", async () => {
      const victim = `victim-${randomUUID().slice(0, 8)}`;
      const uuid = randomUUID();
      const secret = [{ type: 'text', text: 'victim secret' }];
      const put = (ep: string, vars: Record<string, unknown>) =>
        graphql(
          d.url,
          ep,
          `
            mutation ($uuid: String, $content: JSON) {
              insertUpdateMcpFunctionCall(
                mcpFunctionCallUuid: $uuid
                content: $content
                contentInS3: true
                updatedBy: "x"
              ) {
                mcpFunctionCall {
                  content
                  contentInS3
                }
              }
            }
          `,
          vars,
        );
      ok(await put(victim, { uuid, content: secret }));
      const attacker = await put(`attacker-${randomUUID().slice(0, 8)}`, { uuid });
      expect(ok(attacker)['insertUpdateMcpFunctionCall']).toEqual({
        mcpFunctionCall: { content: null, contentInS3: false },
      });
      const traversal = await put('attacker', { uuid: `${victim}/${uuid}` });
      expect(traversal.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });
  });

  describe('admin routes', () => {
    const EP = `admin-${randomUUID().slice(0, 8)}`;
    const OTHER = `admin2-${randomUUID().slice(0, 8)}`;
    const status = async (id: string) => {
      const res = await fetch(`${d.url}/${id}/admin/cache/status`);
      expect(res.status).toBe(200);
      return (await res.json()) as { partition_key: string; is_cached: boolean; cache_info: unknown };
    };
    const info = async (id: string) => {
      const res = await fetch(`${d.url}/${id}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    beforeAll(async () => {
      for (const id of [EP, OTHER]) {
        const load = await replay('Load MCP Configuration', id, null);
        expect(load.data).toEqual({
          loadMcpConfiguration: { ok: true, message: expect.any(String) as unknown },
        });
      }
    });

    it('GET /{id} lists the endpoint tools, resources and prompts', async () => {
      const r = await info(EP);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ endpoint_id: EP, resources: [], prompts: [] });
      expect(r.body['tools']).toEqual([
        {
          name: 'fetch_data',
          description: 'Fetch data from API',
          inputSchema: {
            type: 'object',
            properties: { url: { type: 'string' }, method: { type: 'string' } },
          },
        },
      ]);
      expect(typeof r.body['name']).toBe('string');
      expect(typeof r.body['version']).toBe('string');
    });

    it('GET /{id} of an unknown endpoint is 404, of a bad id 400', async () => {
      expect((await info(`nobody-${randomUUID().slice(0, 8)}`)).status).toBe(404);
      expect((await info('bad.id')).status).toBe(400);
    });

    it('POST /{id}/admin/cache/refresh re-reads the endpoint and returns counts', async () => {
      const res = await fetch(`${d.url}/${EP}/admin/cache/refresh`, { method: 'POST' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        partition_key: EP,
        tools: 1,
        resources: 0,
        prompts: 0,
        modules: 1,
      });
      const unknown = await fetch(`${d.url}/nobody-${randomUUID().slice(0, 8)}/admin/cache/refresh`, {
        method: 'POST',
      });
      expect(unknown.status).toBe(404);
    });

    it('GET …/admin/cache/status follows loads and DELETE /{id}/admin/cache', async () => {
      const del = await fetch(`${d.url}/${EP}/admin/cache`, { method: 'DELETE' });
      expect(del.status).toBe(200);
      expect(await del.json()).toEqual({ partition_key: EP, cleared: true });
      expect(await status(EP)).toEqual({ partition_key: EP, is_cached: false, cache_info: null });
      // Asking for the status does not load it.
      expect((await status(EP)).is_cached).toBe(false);
      expect(d.daemon.registry.get(EP)).toBeUndefined();

      // A request loads it from the store.
      expect((await info(EP)).status).toBe(200);
      expect(await status(EP)).toEqual({
        partition_key: EP,
        is_cached: true,
        cache_info: { tools: 1, resources: 0, prompts: 0 },
      });

      const again = await fetch(`${d.url}/${EP}/admin/cache`, { method: 'DELETE' });
      expect(await again.json()).toEqual({ partition_key: EP, cleared: true });
      expect((await status(EP)).is_cached).toBe(false);
      // Dropping what is not loaded clears nothing.
      const twice = await fetch(`${d.url}/${EP}/admin/cache`, { method: 'DELETE' });
      expect(await twice.json()).toEqual({ partition_key: EP, cleared: false });
    });

    it('DELETE /admin/cache clears everything; the next MCP request reloads the endpoint from the store', async () => {
      // Both loaded.
      expect((await info(EP)).status).toBe(200);
      expect((await info(OTHER)).status).toBe(200);
      const loaded = d.daemon.registry.ids();
      expect(loaded).toEqual(expect.arrayContaining([EP, OTHER]));

      const res = await fetch(`${d.url}/admin/cache`, { method: 'DELETE' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ cleared: loaded.length });
      expect(d.daemon.registry.ids()).toEqual([]);
      expect((await status(EP)).is_cached).toBe(false);
      expect((await status(OTHER)).is_cached).toBe(false);

      // An MCP client on the endpoint: initialize and tools/list work, served from the store again.
      const client = new Client({ name: 'e2e-admin', version: '1.0.0' });
      try {
        await client.connect(new StreamableHTTPClientTransport(new URL(`${d.url}/${EP}/mcp`)));
        expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['fetch_data']);
      } finally {
        await client.close();
      }
      expect(await status(EP)).toMatchObject({ is_cached: true, cache_info: { tools: 1 } });
      // Only what was asked for is loaded again.
      expect((await status(OTHER)).is_cached).toBe(false);
      expect((await info(OTHER)).body['tools']).toEqual([expect.objectContaining({ name: 'fetch_data' })]);
      expect((await status(OTHER)).is_cached).toBe(true);
    });
  });
});
