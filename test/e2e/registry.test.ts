/**
 * End to end, on a running daemon and on both storage stacks: deploy a bundle through the management API, call
 * its tool with the official SDK client, deploy a new version and see list_changed arrive and the new behaviour
 * answer, keep tenants apart, delete the tool and get the right error; hostile bundles are refused with nothing
 * half-registered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { rawZip } from '../helpers/raw-zip.js';
import { rawRequest } from '../http/support.js';
import { DEPLOY, graphql, greeter, STACKS, zipOf } from './support.js';

const textOf = (r: unknown) => ((r as { content: { text?: string }[] }).content[0]?.text ?? '') as string;

describe.each(STACKS)('registry end to end on $name', (stack) => {
  let d: RunningDaemon;
  let closeStack: () => Promise<void>;
  let client: Client;
  const changes: number[] = [];
  let onChange: (() => void) | undefined;

  let shared: Record<string, string>;
  const dataDir = mkdtempSync(join(tmpdir(), 'mcpd-e2e-'));

  beforeAll(async () => {
    const s = await stack.start();
    closeStack = s.close;
    // What a second instance needs to share this one's store and blobs (not its data dir or bundle cache).
    shared = {
      ...s.env,
      MCPD_SQLITE_FILE: join(dataDir, 'mcpd.db'),
      MCPD_BLOB_DIR: join(dataDir, 'blobs'),
    };
    d = await startDaemon({ ...shared, MCPD_DATA_DIR: dataDir }, null);
  });
  afterAll(async () => {
    await client?.close();
    await d?.close();
    await closeStack?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const deploy = async (endpoint: string, files: Record<string, string | object>) =>
    graphql(d.url, endpoint, DEPLOY, { zip: await zipOf(files) });

  const nextChange = () =>
    new Promise<void>((resolve) => {
      onChange = resolve;
    });

  it('deploys a bundle and serves its tool to the official SDK client', async () => {
    const reply = await deploy('tenant1', greeter('Hello'));
    expect(reply.errors).toBeUndefined();
    expect(reply.data?.['deployBundle']).toMatchObject({
      ok: true,
      packageName: 'greeter_pkg',
      functions: ['greet'],
      bundleVersion: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown,
    });
    client = new Client({ name: 'e2e', version: '1.0.0' });
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changes.push(Date.now());
      onChange?.();
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${d.url}/tenant1/mcp`)));
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(['greet']);
    expect(textOf(await client.callTool({ name: 'greet', arguments: { name: 'Ada' } }))).toBe('Hello, Ada!');
  });

  it('a new version takes effect on the next call and connected clients hear list_changed', async () => {
    const heard = nextChange();
    const reply = await deploy('tenant1', greeter('Hi', true));
    expect(reply.data?.['deployBundle']).toMatchObject({ ok: true, functions: ['greet', 'farewell'] });
    await heard;
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['farewell', 'greet']);
    expect(textOf(await client.callTool({ name: 'greet', arguments: { name: 'Ada' } }))).toBe('Hi, Ada!');
    expect(textOf(await client.callTool({ name: 'farewell', arguments: {} }))).toBe('Goodbye');
  });

  it('lets a call in flight finish on its version while the next call gets the new one', async () => {
    await deploy('tenant9', greeter('Old', false, true));
    const c = new Client({ name: 'e2e-inflight', version: '1.0.0' });
    await c.connect(new StreamableHTTPClientTransport(new URL(`${d.url}/tenant9/mcp`)));
    const inFlight = c.callTool({ name: 'wait', arguments: { ms: 400 } });
    await new Promise((r) => setTimeout(r, 100));
    await deploy('tenant9', greeter('New', false, true));
    expect(textOf(await c.callTool({ name: 'greet', arguments: { name: 'Jo' } }))).toBe('New, Jo!');
    expect(textOf(await inFlight)).toBe('waited on Old');
    await c.close();
  });

  it('keeps tenants apart: a module of the same name elsewhere is other code', async () => {
    const other = await deploy('tenant2', greeter('Howdy'));
    expect(other.data?.['deployBundle']).toMatchObject({ ok: true });
    const c2 = new Client({ name: 'e2e-2', version: '1.0.0' });
    await c2.connect(new StreamableHTTPClientTransport(new URL(`${d.url}/tenant2/mcp`)));
    expect(textOf(await c2.callTool({ name: 'greet', arguments: { name: 'Bo' } }))).toBe('Howdy, Bo!');
    expect((await c2.listTools()).tools.map((t) => t.name)).toEqual(['greet']);
    await c2.close();
    expect(textOf(await client.callTool({ name: 'greet', arguments: { name: 'Ada' } }))).toBe('Hi, Ada!');
  });

  it('dropping a tool from a new version removes it', async () => {
    const heard = nextChange();
    const reply = await deploy('tenant1', greeter('Hey'));
    expect(reply.data?.['deployBundle']).toMatchObject({ ok: true, removed: ['farewell'] });
    await heard;
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['greet']);
  });

  it('deleting a function through the API removes it at once, with list_changed and an error on call', async () => {
    const heard = nextChange();
    const del = await graphql(
      d.url,
      'tenant1',
      'mutation($n: String!) { deleteMcpFunction(name: $n) { ok } }',
      {
        n: 'greet',
      },
    );
    expect(del.data).toEqual({ deleteMcpFunction: { ok: true } });
    await heard;
    expect((await client.listTools()).tools).toEqual([]);
    await expect(client.callTool({ name: 'greet', arguments: { name: 'Ada' } })).rejects.toMatchObject({
      code: -32602,
    });
  });

  describe('hostile bundles are refused and nothing is half-registered', () => {
    const before = async () =>
      graphql(d.url, 'tenant3', '{ mcpFunctionList { total } mcpModuleList { total } }').then((r) => r.data);

    it.each([
      {
        name: 'zip-slip',
        zip: () => rawZip([{ name: '../../escape.js', data: Buffer.from('x') }]),
        error: /escapes the bundle folder/,
      },
      {
        name: 'symlink',
        zip: () => rawZip([{ name: 'link.js', data: Buffer.from('/etc/passwd'), unixMode: 0o120777 }]),
        error: /symbolic link/,
      },
      {
        name: 'zip bomb',
        zip: () => rawZip([{ name: 'bomb.js', data: Buffer.alloc(120 * 1024 * 1024), method: 8 }]),
        error: /too large|limit/i,
      },
    ])('$name', async ({ zip, error }) => {
      const was = await before();
      const reply = await graphql(d.url, 'tenant3', DEPLOY, { zip: zip().toString('base64') });
      expect(reply.data?.['deployBundle'] ?? null).toBeNull();
      expect(reply.errors?.[0]?.message).toMatch(error);
      expect(reply.errors?.[0]?.extensions?.code).toMatch(/^MCPD_BUNDLE_/);
      expect(await before()).toEqual(was);
    });

    it('a missing entry point', async () => {
      const files = greeter('Hello');
      delete files['greeter.js'];
      const reply = await deploy('tenant3', files);
      expect(reply.errors?.[0]?.message).toMatch(/Module greeter not found/);
      expect(reply.errors?.[0]?.extensions?.code).toBe('MCPD_BUNDLE_INVALID');
      expect(await before()).toEqual({ mcpFunctionList: { total: 0 }, mcpModuleList: { total: 0 } });
    });

    it('a syntax error, reported without host paths', async () => {
      const reply = await deploy('tenant3', { ...greeter('Hello'), 'greeter.js': 'export class Greeter {' });
      expect(reply.errors?.[0]?.message).toMatch(
        /Module greeter does not compile:[^]*Unexpected end of input/,
      );
      expect(reply.errors?.[0]?.message).not.toMatch(/\/tmp\/|mcpd-test-/);
      expect(await before()).toEqual({ mcpFunctionList: { total: 0 }, mcpModuleList: { total: 0 } });
    });

    it('a bundle without a manifest', async () => {
      const reply = await deploy('tenant3', { 'greeter.js': 'export const x = 1;' });
      expect(reply.errors?.[0]?.message).toMatch(/no mcp.json/);
    });
  });

  it('Part-ID selects a sub-partition on the MCP routes, as on the management API', async () => {
    const zip = await zipOf(greeter('Part'));
    const reply = await graphql(d.url, 'tenant5', DEPLOY, { zip }, { 'Part-ID': 'p1' });
    expect(reply.data?.['deployBundle']).toMatchObject({ ok: true });
    const c = new Client({ name: 'e2e-part', version: '1.0.0' });
    await c.connect(
      new StreamableHTTPClientTransport(new URL(`${d.url}/tenant5/mcp`), {
        requestInit: { headers: { 'Part-ID': 'p1' } },
      }),
    );
    expect(textOf(await c.callTool({ name: 'greet', arguments: { name: 'Di' } }))).toBe('Part, Di!');
    await c.close();
    const init = (headers: Record<string, string>) =>
      fetch(`${d.url}/tenant5/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: '2025-11-25',
            capabilities: {},
            clientInfo: { name: 'x', version: '1' },
          },
        }),
      });
    // Without the header it is another partition, which holds nothing.
    expect((await init({})).status).toBe(404);
    expect((await init({ 'Part-ID': 'p2' })).status).toBe(404);
    expect((await init({ 'Part-ID': '../p1' })).status).toBe(400);
  });

  it("serves the older engine's layout: {package_name}.zip in the bucket, rows written through its API", async () => {
    const files = greeter('Legacy');
    delete files['mcp.json'];
    await d.daemon.blobs.put('legacy_pkg.zip', Buffer.from(await zipOf(files), 'base64'));
    const q = (query: string, variables: Record<string, unknown>) =>
      graphql(d.url, 'tenant6', query, variables);
    const setting = await q(
      'mutation($s: JSON) { insertUpdateMcpSetting(settingId: "greeter_setting", setting: $s, updatedBy: "old") { mcpSetting { settingId } } }',
      { s: { punctuation: '?' } },
    );
    expect(setting.errors).toBeUndefined();
    const mod = await q(
      `mutation($c: [JSON]) { insertUpdateMcpModule(moduleName: "greeter", packageName: "legacy_pkg", source: "s3",
        classes: $c, updatedBy: "old") { mcpModule { moduleName bundleVersion } } }`,
      { c: [{ class_name: 'Greeter', setting_id: 'greeter_setting' }] },
    );
    expect(mod.data).toEqual({
      insertUpdateMcpModule: { mcpModule: { moduleName: 'greeter', bundleVersion: null } },
    });
    const fn = await q(
      `mutation($d: JSON) { insertUpdateMcpFunction(name: "greet", mcpType: "tool", data: $d, moduleName: "greeter",
        className: "Greeter", functionName: "greet", returnType: "text", updatedBy: "old") { mcpFunction { name } } }`,
      { d: { inputSchema: { type: 'object', properties: { name: { type: 'string' } } } } },
    );
    expect(fn.errors).toBeUndefined();
    const c = new Client({ name: 'e2e-legacy', version: '1.0.0' });
    await c.connect(new StreamableHTTPClientTransport(new URL(`${d.url}/tenant6/mcp`)));
    expect(textOf(await c.callTool({ name: 'greet', arguments: { name: 'Ed' } }))).toBe('Legacy, Ed?');
    // A changed setting reaches the next call.
    await q(
      'mutation($s: JSON) { insertUpdateMcpSetting(settingId: "greeter_setting", setting: $s, updatedBy: "old") { mcpSetting { settingId } } }',
      { s: { punctuation: '.' } },
    );
    expect(textOf(await c.callTool({ name: 'greet', arguments: { name: 'Ed' } }))).toBe('Legacy, Ed.');
    await c.close();
  });

  it('a deploy reaches legacy SSE sessions and 2026-07-28 listen streams too', async () => {
    await deploy('tenant7', greeter('One'));
    const sse = new Client({ name: 'e2e-sse', version: '1.0.0' });
    let sseHeard: () => void = () => undefined;
    const sseChange = new Promise<void>((resolve) => (sseHeard = resolve));
    sse.setNotificationHandler(ToolListChangedNotificationSchema, () => sseHeard());
    await sse.connect(new SSEClientTransport(new URL(`${d.url}/tenant7/sse`)));
    expect(textOf(await sse.callTool({ name: 'greet', arguments: { name: 'Al' } }))).toBe('One, Al!');
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': {},
      'io.modelcontextprotocol/clientInfo': { name: 'listen', version: '1' },
    };
    const listen = await rawRequest(`${d.url}/tenant7/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'subscriptions/listen',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 77,
        method: 'subscriptions/listen',
        params: { _meta: meta, notifications: { toolsListChanged: true } },
      }),
    });
    const ack = JSON.parse((await listen.nextEvent())?.data ?? '{}') as { method?: string };
    expect(ack.method).toBe('notifications/subscriptions/acknowledged');
    await deploy('tenant7', greeter('Two', true));
    await sseChange;
    const change = JSON.parse((await listen.nextEvent())?.data ?? '{}') as { method?: string };
    expect(change.method).toBe('notifications/tools/list_changed');
    listen.close();
    expect(textOf(await sse.callTool({ name: 'greet', arguments: { name: 'Al' } }))).toBe('Two, Al!');
    await sse.close();
  });

  it('an unknown endpoint is a 404 on MCP routes', async () => {
    const res = await fetch(`${d.url}/nobody-here/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      }),
    });
    expect(res.status).toBe(404);
  });

  it('a restarted daemon serves what the store holds (no bundle cache needed)', async () => {
    await deploy('tenant4', greeter('Again'));
    const again = await startDaemon(shared, null);
    try {
      const c = new Client({ name: 'e2e-restart', version: '1.0.0' });
      await c.connect(new StreamableHTTPClientTransport(new URL(`${again.url}/tenant4/mcp`)));
      expect(textOf(await c.callTool({ name: 'greet', arguments: { name: 'Cy' } }))).toBe('Again, Cy!');
      await c.close();
    } finally {
      await again.close();
    }
  });
});
