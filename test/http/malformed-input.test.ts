/**
 * Malformed and hostile input on Streamable HTTP: every failure is a JSON-RPC error (or the right HTTP status)
 * without stack traces, and the daemon keeps serving normal requests afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDaemon } from '../helpers/daemon.js';
import {
  asArray,
  asRecord,
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

let d: RunningDaemon;
let base: string;
let sid: string;

beforeAll(async () => {
  d = await startDaemon();
  base = d.url;
  sid = await initSession(base);
});
afterAll(() => d.close());

describe('bodies that are not JSON-RPC', () => {
  it.each([
    ['truncated object', '{"jsonrpc":"2.0","id":1,"method":'],
    ['plain text', 'hello'],
    ['trailing garbage', '{"jsonrpc":"2.0","id":1,"method":"ping"} x'],
    ['empty body', ''],
  ])('invalid JSON (%s) gets 400 with a -32700 error and id null', async (_label, body) => {
    const reply = await postMcp(base, sid, body);
    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.json).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    expectNoStack(reply.text);
    await expectServes(base, sid);
  });

  it('invalid JSON without a session (plain-JSON call) also gets -32700', async () => {
    const reply = await send(`${base}/default/mcp`, {
      headers: { 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ id: null, error: { code: -32700 } });
  });

  it.each([
    ['jsonrpc "1.0"', { jsonrpc: '1.0', id: 7, method: 'ping' }, 7],
    ['jsonrpc missing', { id: 8, method: 'ping' }, 8],
    ['method a number', { jsonrpc: '2.0', id: 9, method: 42 }, 9],
    ['params an array', { jsonrpc: '2.0', id: 10, method: 'tools/list', params: [1, 2] }, 10],
    ['params a string', { jsonrpc: '2.0', id: 11, method: 'tools/list', params: 'x' }, 11],
    ['id an object', { jsonrpc: '2.0', id: { a: 1 }, method: 'ping' }, null],
    ['id null', { jsonrpc: '2.0', id: null, method: 'ping' }, null],
    ['id a fraction', { jsonrpc: '2.0', id: 1.5, method: 'ping' }, null],
  ])('a request-shaped message with %s gets -32600', async (_label, body, id) => {
    const reply = await postMcp(base, sid, body);
    expect(reply.status).toBeLessThan(500);
    expect(reply.json).toMatchObject({ jsonrpc: '2.0', id, error: { code: -32600 } });
    expectNoStack(reply.text);
    await expectServes(base, sid);
  });

  // BUG: the transport answers 202 Accepted (empty body) to anything without both `method` and `id`, before the
  // engine classifies it, so these invalid messages are silently accepted and their -32600 error is dropped.
  // One test for the whole table; the diff lists every input that was answered wrongly.
  it('valid JSON that is not a JSON-RPC message gets -32600, not 202', async () => {
    const cases: Array<[string, unknown]> = [
      ['{"foo":1}', { foo: 1 }],
      ['null', null],
      ['a number', 42],
      ['a string', 'ping'],
      ['neither request nor response', { jsonrpc: '2.0', id: 5 }],
      ['notification with jsonrpc "1.0"', { jsonrpc: '1.0', method: 'notifications/initialized' }],
      [
        'notification with array params',
        { jsonrpc: '2.0', method: 'notifications/initialized', params: [1] },
      ],
      ['notification with a numeric method', { jsonrpc: '2.0', method: 7 }],
    ];
    const wrong: string[] = [];
    for (const [label, body] of cases) {
      const reply = await postMcp(base, sid, JSON.stringify(body));
      expectNoStack(reply.text);
      const code = (reply.json as { error?: { code?: unknown } } | undefined)?.error?.code;
      if (reply.status === 202 || reply.status >= 500 || code !== -32600) {
        wrong.push(`${label}: ${JSON.stringify(body)} -> ${reply.status} ${JSON.stringify(reply.text)}`);
      }
    }
    await expectServes(base, sid);
    expect(wrong).toEqual([]);
  });

  it('the same invalid messages on the plain-JSON path do get -32600', async () => {
    for (const [body, id] of [
      [{ foo: 1 }, null],
      [null, null],
      [{ jsonrpc: '2.0', id: 5 }, 5],
    ] as const) {
      const reply = await send(`${base}/default/mcp`, {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(reply.json).toMatchObject({ id, error: { code: -32600 } });
    }
  });
});

describe('JSON-RPC errors from the engine', () => {
  it('an unknown method gets -32601 with the request id', async () => {
    const reply = await postMcp(base, sid, rpc('m1', 'tools/frobnicate'));
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ id: 'm1', error: { code: -32601 } });
    expect(rpcError(reply.json).message).toMatch(/tools\/frobnicate/);
    await expectServes(base, sid);
  });

  it.each([
    ['an unknown tool', { name: 'nope', arguments: {} }, /Unknown tool: nope/],
    ['no tool name', { arguments: { text: 'x' } }, /tool name/],
    ['a numeric tool name', { name: 5 }, /tool name/],
    ['arguments as an array', { name: 'echo', arguments: ['x'] }, /arguments must be an object/],
    ['arguments as a string', { name: 'echo', arguments: 'x' }, /arguments must be an object/],
  ])('tools/call with %s gets -32602', async (_label, params, message) => {
    const reply = await postMcp(base, sid, rpc(21, 'tools/call', params));
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ id: 21, error: { code: -32602 } });
    expect(rpcError(reply.json).message).toMatch(message);
    expectNoStack(reply.text);
    await expectServes(base, sid);
  });

  it('resources/read of an unknown uri gets -32002 with the uri in data', async () => {
    const reply = await postMcp(base, sid, rpc(22, 'resources/read', { uri: 'demo://missing' }));
    expect(reply.json).toMatchObject({ id: 22, error: { code: -32002, data: { uri: 'demo://missing' } } });
    const empty = await postMcp(base, sid, rpc(23, 'resources/read', {}));
    expect(empty.json).toMatchObject({ id: 23, error: { code: -32602 } });
    const ok = await postMcp(base, sid, rpc(24, 'resources/read', { uri: 'demo://greeting/Ada' }));
    const contents = asArray(rpcResult(ok.json)['contents']);
    expect(asRecord(contents[0])['text']).toBe('Hello, Ada!');
  });

  it('tool input failing its JSON Schema is a tool result with isError, not a protocol error', async () => {
    for (const args of [{}, { text: 5 }]) {
      const reply = await postMcp(base, sid, rpc(25, 'tools/call', { name: 'echo', arguments: args }));
      expect(reply.status).toBe(200);
      const result = rpcResult(reply.json);
      expect(result['isError']).toBe(true);
      expect(firstText(result)).toMatch(/Invalid arguments for tool echo/);
      expectNoStack(reply.text);
    }
    const bounds = await postMcp(
      base,
      sid,
      rpc(26, 'tools/call', { name: 'countdown', arguments: { n: 0 } }),
    );
    expect(rpcResult(bounds.json)['isError']).toBe(true);
    await expectServes(base, sid);
  });
});

describe('HTTP-level refusals', () => {
  it('a wrong Content-Type gets 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'text/event-stream']) {
      const reply = await send(`${base}/default/mcp`, {
        headers: { 'content-type': type, accept: STREAMABLE_HEADERS.accept, 'mcp-session-id': sid },
        body: JSON.stringify(rpc(1, 'ping')),
      });
      expect(reply.status).toBe(415);
      expect(reply.json).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32000 } });
      expectNoStack(reply.text);
    }
    await expectServes(base, sid);
  });

  it('a Content-Type with parameters is accepted', async () => {
    const reply = await postMcp(base, sid, rpc(2, 'ping'), {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(reply.status).toBe(200);
    expect(rpcResult(reply.json)).toEqual({});
  });

  it('a session request whose Accept lacks text/event-stream (or application/json) gets 406', async () => {
    for (const accept of ['application/json', 'text/event-stream', 'text/html']) {
      const reply = await postMcp(base, sid, rpc(3, 'ping'), { accept });
      expect(reply.status).toBe(406);
      expect(reply.json).toMatchObject({ id: null, error: { code: -32000 } });
    }
    const get = await send(`${base}/default/mcp`, {
      method: 'GET',
      headers: { accept: 'application/json', 'mcp-session-id': sid },
    });
    expect(get.status).toBe(406);
    await expectServes(base, sid);
  });

  // A version header outside the handshake era marks a request as 2026-07-28 (dual-era endpoint): without the
  // per-request _meta envelope it is refused with -32602, and GET/DELETE do not exist in that era (405).
  it('a non-handshake MCP-Protocol-Version header is a 2026-07-28 request: POST 400 -32602, GET 405', async () => {
    const post = await postMcp(base, sid, rpc(4, 'ping'), { 'mcp-protocol-version': '2099-01-01' });
    expect(post.status).toBe(400);
    expect(rpcError(post.json).code).toBe(-32602);
    expect(asRecord(post.json)['id']).toBe(4);
    const get = await send(`${base}/default/mcp`, {
      method: 'GET',
      headers: { accept: 'text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': 'garbage' },
    });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const supported = await postMcp(base, sid, rpc(5, 'ping'), { 'mcp-protocol-version': '2025-11-25' });
    expect(supported.status).toBe(200);
    await expectServes(base, sid);
  });

  it('DELETE with a non-handshake MCP-Protocol-Version gets 405 and the session survives', async () => {
    const victim = await initSession(base);
    const del = await send(`${base}/default/mcp`, {
      method: 'DELETE',
      headers: { 'mcp-session-id': victim, 'mcp-protocol-version': '2099-01-01' },
    });
    expect(del.status).toBe(405);
    await expectServes(base, victim);
  });

  it('an endpoint id with bad characters gets 400', async () => {
    for (const path of ['de.fault', 'de%20fault', 'd%C3%A9faut', 'a%2Fb', 'a:b']) {
      const reply = await send(`${base}/${path}/mcp`, {
        headers: { ...STREAMABLE_HEADERS, 'mcp-session-id': sid },
        body: JSON.stringify(rpc(6, 'ping')),
      });
      expect(reply.status).toBe(400);
      expect(rpcError(reply.json).message).toMatch(/endpoint id must match/);
      expectNoStack(reply.text);
    }
    await expectServes(base, sid);
  });

  // BUG (minor): refusals made by Fastify's router (invalid percent-encoding: 400 FST_ERR_BAD_URL; a path
  // parameter over 100 characters: 414 FST_ERR_MAX_PARAM_LENGTH) carry Fastify's default error body
  // {"error":"Bad Request","code":"FST_...","message":...,"statusCode":...}, not a JSON-RPC error like every other refusal.
  it.each([
    ['invalid percent-encoding', '%zz'],
    ['over 128 characters', 'x'.repeat(129)],
  ])('an endpoint id with %s is refused with a JSON-RPC error body', async (_label, path) => {
    const reply = await send(`${base}/${path}/mcp`, {
      headers: { ...STREAMABLE_HEADERS, 'mcp-session-id': sid },
      body: JSON.stringify(rpc(6, 'ping')),
    });
    expect(reply.status).toBeGreaterThanOrEqual(400);
    expect(reply.status).toBeLessThan(500);
    expectNoStack(reply.text);
    expect(reply.json).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: expect.any(Number) } });
    await expectServes(base, sid);
  });

  // BUG (latent): ENDPOINT_ID allows ids of up to 128 characters, but Fastify's default maxParamLength (100)
  // answers 414 for ids of 101-128 characters, so such an endpoint could never be reached over HTTP.
  it('an endpoint id of 128 characters (valid per ENDPOINT_ID) reaches the endpoint lookup (404 no endpoint)', async () => {
    const id = 'x'.repeat(128);
    const reply = await send(`${base}/${id}/mcp`, {
      headers: { ...STREAMABLE_HEADERS, 'mcp-session-id': sid },
      body: JSON.stringify(rpc(6, 'ping')),
    });
    expect(reply.status).toBe(404);
    expect(rpcError(reply.json).message).toBe(`Not Found: no endpoint ${id}`);
  });
});

describe('batches', () => {
  it('a batch under 2025-11-25 gets a single -32600 error', async () => {
    const reply = await postMcp(base, sid, [rpc(1, 'ping'), rpc(2, 'tools/list')]);
    expect(reply.status).toBeLessThan(500);
    expect(Array.isArray(reply.json)).toBe(false);
    expect(reply.json).toMatchObject({ id: null, error: { code: -32600 } });
    expect(rpcError(reply.json).message).toMatch(/batches are not supported in protocol version 2025-11-25/);
    await expectServes(base, sid);
  });

  it('a batch under 2025-03-26 gets an array with one response per request', async () => {
    const old = await initSession(base, '2025-03-26');
    const reply = await postMcp(base, old, [
      rpc(1, 'ping'),
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      rpc(2, 'tools/call', { name: 'echo', arguments: { text: 'batched' } }),
      rpc(3, 'nope/nope'),
      rpc(4, 'initialize', { protocolVersion: '2025-03-26', capabilities: {} }),
    ]);
    expect(reply.status).toBe(200);
    const responses = asArray(reply.json).map((r) => asRecord(r));
    expect(responses).toHaveLength(4);
    const byId = new Map(responses.map((r) => [r['id'], r]));
    expect(byId.get(1)).toMatchObject({ result: {} });
    expect(firstText(rpcResult(byId.get(2)))).toBe('batched');
    expect(byId.get(3)).toMatchObject({ error: { code: -32601 } });
    expect(byId.get(4)).toMatchObject({ error: { code: -32600 } });
    await expectServes(base, old);
  });

  it('a batch of only notifications under 2025-03-26 gets 202', async () => {
    const old = await initSession(base, '2025-03-26');
    const reply = await postMcp(base, old, [
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
    ]);
    expect(reply.status).toBe(202);
    expect(reply.text).toBe('');
  });

  // BUG: an empty array has no request in it, so the transport answers 202 before the engine can reject it.
  it('an empty batch gets -32600, not 202 (under 2025-03-26 and 2025-11-25)', async () => {
    const wrong: string[] = [];
    for (const version of ['2025-03-26', '2025-11-25']) {
      const s = await initSession(base, version);
      const reply = await postMcp(base, s, []);
      const code = (reply.json as { error?: { code?: unknown } } | undefined)?.error?.code;
      if (reply.status === 202 || code !== -32600) {
        wrong.push(`${version}: [] -> ${reply.status} ${JSON.stringify(reply.text)}`);
      }
      await expectServes(base, s);
    }
    expect(wrong).toEqual([]);
  });

  // BUG: same root cause; JSON-RPC 2.0 requires one error response per invalid batch element.
  it('a 2025-03-26 batch of invalid elements gets an array of -32600 errors, not 202', async () => {
    const old = await initSession(base, '2025-03-26');
    const reply = await postMcp(base, old, [1, { foo: 'bar' }]);
    expect(reply.status).not.toBe(202);
    const responses = asArray(reply.json).map((r) => asRecord(r));
    expect(responses).toHaveLength(2);
    for (const r of responses) expect(r).toMatchObject({ id: null, error: { code: -32600 } });
  });
});

describe('body size limit', () => {
  let small: RunningDaemon;
  let smallSid: string;
  beforeAll(async () => {
    small = await startDaemon({ MCPD_BODY_LIMIT: '2048' });
    smallSid = await initSession(small.url);
  });
  afterAll(() => small.close());

  it('an oversized body gets 413 with a JSON-RPC error body', async () => {
    const big = rpc(1, 'tools/call', { name: 'echo', arguments: { text: 'a'.repeat(4096) } });
    const reply = await postMcp(small.url, smallSid, big);
    expect(reply.status).toBe(413);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.json).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32600 } });
    expect(rpcError(reply.json).message).toMatch(/2048 bytes/);
    expectNoStack(reply.text);
    await expectServes(small.url, smallSid);
  });

  it('an oversized plain-JSON call gets 413 too, and a body just under the limit is served', async () => {
    const big = await send(`${small.url}/default/mcp`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(rpc(1, 'tools/call', { name: 'echo', arguments: { text: 'b'.repeat(5000) } })),
    });
    expect(big.status).toBe(413);
    expect(big.json).toMatchObject({ error: { code: -32600 } });
    const text = 'c'.repeat(1800);
    await expectServes(small.url, smallSid, text);
  });
});
