/** Streamable HTTP sessions: initialize, Mcp-Session-Id, JSON replies, 202s, 400/404 for missing/unknown/ended sessions. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDaemon } from '../helpers/daemon.js';
import {
  expectNoStack,
  expectServes,
  firstText,
  initSession,
  postMcp,
  rpc,
  rpcError,
  rpcResult,
  STREAMABLE_HEADERS,
  send,
  startDaemon,
} from './support.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const initialize = (version = '2025-11-25', id: number | string = 1) =>
  rpc(id, 'initialize', {
    protocolVersion: version,
    capabilities: {},
    clientInfo: { name: 't', version: '1' },
  });

let d: RunningDaemon;
let base: string;

beforeAll(async () => {
  d = await startDaemon();
  base = d.url;
});
afterAll(() => d.close());

describe('initialize', () => {
  it('answers with JSON and a random UUID Mcp-Session-Id, distinct for every session', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i += 1) {
      const reply = await postMcp(base, undefined, initialize());
      expect(reply.status).toBe(200);
      expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
      const sid = reply.headers.get('mcp-session-id');
      expect(sid).toMatch(UUID_V4);
      ids.add(sid ?? '');
      const result = rpcResult(reply.json);
      expect(result['protocolVersion']).toBe('2025-11-25');
      expect(result['serverInfo']).toMatchObject({ name: 'mcpd' });
      expect(result['capabilities']).toMatchObject({ tools: { listChanged: true } });
    }
    expect(ids.size).toBe(5);
  });

  it('negotiates its latest version when the client asks for one it does not speak', async () => {
    const reply = await postMcp(base, undefined, initialize('1999-01-01'));
    expect(reply.status).toBe(200);
    expect(reply.headers.get('mcp-session-id')).toMatch(UUID_V4);
    expect(rpcResult(reply.json)['protocolVersion']).toBe('2025-11-25');
  });

  it('keeps the requested version when it is supported', async () => {
    const reply = await postMcp(base, undefined, initialize('2025-03-26'));
    expect(rpcResult(reply.json)['protocolVersion']).toBe('2025-03-26');
  });

  it('treats initialize sent as a notification (no id) as no handshake: 400, no session, no body of []', async () => {
    const reply = await postMcp(base, undefined, { jsonrpc: '2.0', method: 'initialize' });
    expect(reply.status).toBe(400);
    expect(reply.headers.get('mcp-session-id')).toBeNull();
    expect(rpcError(reply.json).message).toMatch(/Mcp-Session-Id header is required/);
  });

  it('creates no session when initialize fails', async () => {
    const reply = await postMcp(base, undefined, rpc(3, 'initialize', { capabilities: {} }));
    expect(reply.status).toBe(200);
    expect(reply.headers.get('mcp-session-id')).toBeNull();
    expect(rpcError(reply.json).code).toBe(-32602);
    expect(reply.json).toMatchObject({ id: 3 });
  });

  it('refuses initialize that carries an Mcp-Session-Id with 400, whether the id is live or not', async () => {
    const sid = await initSession(base);
    for (const carried of [sid, randomUUID()]) {
      const reply = await postMcp(base, carried, initialize());
      expect(reply.status).toBe(400);
      expect(reply.headers.get('mcp-session-id')).toBeNull();
      expect(rpcError(reply.json).message).toMatch(/initialize must not carry Mcp-Session-Id/);
      expectNoStack(reply.text);
    }
    await expectServes(base, sid);
  });
});

describe('requests within a session', () => {
  let sid: string;
  beforeAll(async () => {
    sid = await initSession(base);
  });

  it('answers a plain tools/call (demo echo) with application/json', async () => {
    const reply = await postMcp(
      base,
      sid,
      rpc('req-1', 'tools/call', { name: 'echo', arguments: { text: 'hi' } }),
    );
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.json).toMatchObject({ jsonrpc: '2.0', id: 'req-1' });
    expect(firstText(rpcResult(reply.json))).toBe('hi');
  });

  it('answers tools/list, ping and structured output', async () => {
    const list = await postMcp(base, sid, rpc(1, 'tools/list'));
    const names = (rpcResult(list.json)['tools'] as Array<{ name: string }>).map((t) => t.name);
    expect(names).toEqual(['echo', 'add', 'countdown']);
    const ping = await postMcp(base, sid, rpc(2, 'ping'));
    expect(rpcResult(ping.json)).toEqual({});
    const add = await postMcp(base, sid, rpc(3, 'tools/call', { name: 'add', arguments: { a: 2, b: 3 } }));
    expect(rpcResult(add.json)['structuredContent']).toEqual({ sum: 5 });
  });

  it('accepts a notification with 202 and an empty body', async () => {
    const reply = await postMcp(base, sid, { jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(reply.status).toBe(202);
    expect(reply.text).toBe('');
  });

  it('accepts a client response (to no pending request) with 202 and an empty body', async () => {
    const ok = await postMcp(base, sid, { jsonrpc: '2.0', id: 77, result: {} });
    expect(ok.status).toBe(202);
    expect(ok.text).toBe('');
    const err = await postMcp(base, sid, { jsonrpc: '2.0', id: 78, error: { code: -1, message: 'no' } });
    expect(err.status).toBe(202);
    expect(err.text).toBe('');
    await expectServes(base, sid);
  });
});

describe('missing, unknown and ended sessions', () => {
  it('refuses POST, GET and DELETE without Mcp-Session-Id with 400', async () => {
    const post = await postMcp(base, undefined, rpc(1, 'tools/list'));
    expect(post.status).toBe(400);
    expect(rpcError(post.json)).toMatchObject({
      code: -32000,
      message: expect.stringMatching(/Mcp-Session-Id/),
    });
    expect(post.json).toMatchObject({ id: null });
    const get = await send(`${base}/default/mcp`, {
      method: 'GET',
      headers: { accept: 'text/event-stream' },
    });
    expect(get.status).toBe(400);
    const del = await send(`${base}/default/mcp`, { method: 'DELETE' });
    expect(del.status).toBe(400);
    for (const r of [post, get, del]) expectNoStack(r.text);
  });

  it('refuses an unknown session id with 404 on POST, GET and DELETE', async () => {
    const bogus = randomUUID();
    const post = await postMcp(base, bogus, rpc(1, 'tools/list'));
    expect(post.status).toBe(404);
    expect(rpcError(post.json)).toMatchObject({
      code: -32000,
      message: expect.stringMatching(/Session not found/),
    });
    const get = await send(`${base}/default/mcp`, {
      method: 'GET',
      headers: { accept: 'text/event-stream', 'mcp-session-id': bogus },
    });
    expect(get.status).toBe(404);
    const del = await send(`${base}/default/mcp`, { method: 'DELETE', headers: { 'mcp-session-id': bogus } });
    expect(del.status).toBe(404);
  });

  it('refuses a non-UUID session id with 404', async () => {
    const reply = await postMcp(base, 'not-a-session', rpc(1, 'ping'));
    expect(reply.status).toBe(404);
  });

  it('DELETE ends a session; the id then gets 404 everywhere', async () => {
    const sid = await initSession(base);
    await expectServes(base, sid);
    const del = await send(`${base}/default/mcp`, { method: 'DELETE', headers: { 'mcp-session-id': sid } });
    expect(del.status).toBe(200);
    const post = await postMcp(base, sid, rpc(1, 'tools/list'));
    expect(post.status).toBe(404);
    const get = await send(`${base}/default/mcp`, {
      method: 'GET',
      headers: { accept: 'text/event-stream', 'mcp-session-id': sid },
    });
    expect(get.status).toBe(404);
    const again = await send(`${base}/default/mcp`, { method: 'DELETE', headers: { 'mcp-session-id': sid } });
    expect(again.status).toBe(404);
    // Other sessions are untouched.
    await expectServes(base, await initSession(base));
  });

  it('does not let a session id cross to another endpoint path (only "default" exists: 404 no endpoint)', async () => {
    const sid = await initSession(base);
    const reply = await send(`${base}/other/mcp`, {
      headers: { ...STREAMABLE_HEADERS, 'mcp-session-id': sid },
      body: JSON.stringify(rpc(1, 'tools/list')),
    });
    expect(reply.status).toBe(404);
    expect(rpcError(reply.json).message).toBe('Not Found: no endpoint other');
    const get = await send(`${base}/other/mcp`, {
      method: 'GET',
      headers: { accept: 'text/event-stream', 'mcp-session-id': sid },
    });
    expect(get.status).toBe(404);
    const del = await send(`${base}/other/mcp`, { method: 'DELETE', headers: { 'mcp-session-id': sid } });
    expect(del.status).toBe(404);
    // The session itself is still alive on its own endpoint.
    await expectServes(base, sid);
  });

  it('counts live sessions on /health', async () => {
    const before = await send(`${base}/health`, { method: 'GET' });
    const sid = await initSession(base);
    const during = await send(`${base}/health`, { method: 'GET' });
    expect((during.json as { sessions: number }).sessions).toBe(
      (before.json as { sessions: number }).sessions + 1,
    );
    await send(`${base}/default/mcp`, { method: 'DELETE', headers: { 'mcp-session-id': sid } });
    const after = await send(`${base}/health`, { method: 'GET' });
    expect((after.json as { sessions: number }).sessions).toBe(
      (before.json as { sessions: number }).sessions,
    );
  });
});

describe('idle sessions', () => {
  let idle: RunningDaemon;
  beforeAll(async () => {
    idle = await startDaemon({ MCPD_SESSION_IDLE_MS: '1000' });
  });
  afterAll(() => idle.close());

  it('are closed by the sweeper; their id then gets 404', async () => {
    const sid = await initSession(idle.url);
    const sessions = async () =>
      (await send(`${idle.url}/health`, { method: 'GET' })).json as { sessions: number };
    expect((await sessions()).sessions).toBe(1);
    // Poll /health (not the session, which would keep it alive) until the sweeper has run.
    for (let i = 0; i < 150 && (await sessions()).sessions !== 0; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await sessions()).sessions).toBe(0);
    const reply = await postMcp(idle.url, sid, rpc(1, 'ping'));
    expect(reply.status).toBe(404);
  });
});
