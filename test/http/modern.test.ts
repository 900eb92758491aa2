/**
 * Protocol 2026-07-28 over Streamable HTTP, read off the wire: the validation ladder's HTTP statuses, stateless
 * answers with resultType, SSE without event ids, cancellation by closing the stream, subscriptions/listen, and
 * the handshake era still served beside it on the same endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFORMANCE_CONFIG, type RunningDaemon } from '../helpers/daemon.js';
import {
  asRecord,
  FIXTURE_CONFIG,
  initSession,
  postMcp,
  rpc,
  rawRequest,
  rpcError,
  rpcResult,
  send,
  startDaemon,
} from './support.js';

let d: RunningDaemon;
let url: string;
beforeAll(async () => {
  d = await startDaemon({}, CONFORMANCE_CONFIG);
  url = `${d.url}/default/mcp`;
});
afterAll(async () => d.close());

const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': { elicitation: {} },
};
let nextId = 1;
function modern(method: string, params: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const id = nextId++;
  const name =
    typeof params['name'] === 'string'
      ? params['name']
      : typeof params['uri'] === 'string'
        ? params['uri']
        : undefined;
  return {
    id,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...(name !== undefined ? { 'mcp-name': name } : {}),
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { _meta: META, ...params } }),
  };
}
const post = (r: ReturnType<typeof modern>) => send(url, { headers: r.headers, body: r.body });

describe('2026-07-28 over HTTP', () => {
  it('discovers without a handshake, and answers carry resultType and no session id', async () => {
    const reply = await post(modern('server/discover'));
    expect(reply.status).toBe(200);
    expect(reply.headers.get('mcp-session-id')).toBeNull();
    expect(rpcResult(reply.json)).toMatchObject({
      resultType: 'complete',
      supportedVersions: ['2026-07-28'],
    });
    const call = rpcResult((await post(modern('tools/call', { name: 'test_simple_text' }))).json);
    expect(call['resultType']).toBe('complete');
  });

  it('maps the ladder to HTTP statuses and echoes the request id', async () => {
    const noMeta = modern('tools/list');
    const bare = await send(url, {
      headers: noMeta.headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 900, method: 'tools/list', params: {} }),
    });
    expect(bare.status).toBe(400);
    expect(asRecord(bare.json)['id']).toBe(900);
    expect(rpcError(bare.json).code).toBe(-32602);
    const mismatch = await post(modern('tools/list', {}, { 'mcp-method': 'prompts/list' }));
    expect([mismatch.status, rpcError(mismatch.json).code]).toEqual([400, -32020]);
    const removed = await post(modern('ping'));
    expect([removed.status, rpcError(removed.json).code]).toEqual([404, -32601]);
    const capability = await post(modern('tools/call', { name: 'test_missing_capability' }));
    expect([capability.status, rpcError(capability.json).code]).toEqual([400, -32021]);
    const unknownTool = await post(modern('tools/call', { name: 'nope' }));
    expect([unknownTool.status, rpcError(unknownTool.json).code]).toEqual([200, -32602]);
  });

  it('answers malformed messages without a null id, and acknowledges notifications', async () => {
    const r = modern('tools/list');
    const invalid = await send(url, {
      headers: r.headers,
      body: JSON.stringify({ jsonrpc: '2.0', method: 5 }),
    });
    expect(invalid.status).toBe(400);
    expect('id' in asRecord(invalid.json)).toBe(false);
    const note = await send(url, {
      headers: r.headers,
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized', params: { _meta: META } }),
    });
    expect(note.status).toBe(202);
  });

  it('never answers with a null id: unknown endpoint echoes the id, unparseable JSON leaves it out', async () => {
    const r = modern('tools/list');
    const elsewhere = await send(`${d.url}/nowhere/mcp`, { headers: r.headers, body: r.body });
    expect(elsewhere.status).toBe(404);
    expect(asRecord(elsewhere.json)['id']).toBe(r.id);
    const garbled = await send(url, { headers: r.headers, body: '{not json' });
    expect(garbled.status).toBe(400);
    expect(rpcError(garbled.json).code).toBe(-32700);
    expect('id' in asRecord(garbled.json)).toBe(false);
  });

  it('refuses GET and DELETE with 405', async () => {
    for (const method of ['GET', 'DELETE']) {
      const reply = await send(url, {
        method,
        headers: { accept: 'text/event-stream', 'mcp-protocol-version': '2026-07-28' },
      });
      expect(reply.status).toBe(405);
      expect(reply.headers.get('allow')).toBe('POST');
    }
  });

  it('streams progress as SSE without event ids or priming, then the result', async () => {
    const r = modern('tools/call', {
      name: 'test_tool_with_progress',
      _meta: { ...META, progressToken: 'p1' },
    });
    const stream = await rawRequest(url, { method: 'POST', headers: r.headers, body: r.body });
    expect(stream.headers['x-accel-buffering']).toBe('no');
    const events = await stream.rest();
    expect(events.every((e) => e.id === undefined && e.data !== '')).toBe(true);
    const last = JSON.parse(events.at(-1)?.data ?? '{}') as Record<string, unknown>;
    expect(asRecord(last['result'])['resultType']).toBe('complete');
    expect(events.length).toBeGreaterThan(1);
  });

  it('delivers list changes on a listen stream until the client closes it', async () => {
    const listen = modern('subscriptions/listen', { notifications: { toolsListChanged: true } });
    const stream = await rawRequest(url, { method: 'POST', headers: listen.headers, body: listen.body });
    const ack = JSON.parse((await stream.nextEvent())?.data ?? '{}') as Record<string, unknown>;
    expect(ack['method']).toBe('notifications/subscriptions/acknowledged');
    await post(modern('tools/call', { name: 'test_trigger_tool_change' }));
    const change = JSON.parse((await stream.nextEvent())?.data ?? '{}') as {
      method: string;
      params: { _meta: Record<string, unknown> };
    };
    expect(change.method).toBe('notifications/tools/list_changed');
    expect(change.params._meta['io.modelcontextprotocol/subscriptionId']).toBe(listen.id);
    stream.close();
    for (let i = 0; i < 100 && d.daemon.engine.hub.count() > 0; i += 1)
      await new Promise((res) => setTimeout(res, 10));
    expect(d.daemon.engine.hub.count()).toBe(0);
  });

  it('serves the handshake era beside it on the same endpoint', async () => {
    const sid = await initSession(d.url);
    await post(modern('tools/list'));
    const legacy = rpcResult(
      (await postMcp(d.url, sid, rpc(1, 'tools/call', { name: 'test_simple_text' }))).json,
    );
    expect(legacy['content']).toBeDefined();
    expect(legacy['resultType']).toBeUndefined();
    expect(legacy['_meta']).toBeUndefined();
  });
});

describe('2026-07-28 cancellation', () => {
  let f: RunningDaemon;
  beforeAll(async () => {
    f = await startDaemon({}, FIXTURE_CONFIG);
  });
  afterAll(async () => f.close());

  it('closing the response stream cancels the running tool', async () => {
    const target = `${f.url}/default/mcp`;
    const listen = modern('subscriptions/listen', { notifications: { promptsListChanged: true } });
    const stream = await rawRequest(target, { method: 'POST', headers: listen.headers, body: listen.body });
    await stream.nextEvent();
    const call = modern('tools/call', { name: 'abortable', _meta: { ...META, progressToken: 'c1' } });
    const running = await rawRequest(target, { method: 'POST', headers: call.headers, body: call.body });
    expect(JSON.parse((await running.nextEvent())?.data ?? '{}')).toMatchObject({
      method: 'notifications/progress',
    });
    running.close();
    const change = JSON.parse((await stream.nextEvent())?.data ?? '{}') as { method?: string };
    expect(change.method).toBe('notifications/prompts/list_changed');
    stream.close();
  });
});
