/**
 * Compatibility with the older engine's clients: plain-JSON POSTs without a session, the legacy HTTP+SSE
 * transport (GET /{endpoint}/sse, POST /{endpoint}/messages?sessionId=…), /health and JSON 404s.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDaemon } from '../helpers/daemon.js';
import {
  asArray,
  asRecord,
  expectNoStack,
  firstText,
  message,
  type RawResponse,
  rawRequest,
  rpc,
  rpcError,
  rpcResult,
  type SseEvent,
  send,
  startDaemon,
} from './support.js';

let d: RunningDaemon;
let base: string;
const open: RawResponse[] = [];

beforeAll(async () => {
  d = await startDaemon();
  base = d.url;
});
afterAll(async () => {
  for (const s of open) s.close();
  await d.close();
});

const plain = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  send(`${base}${path}`, {
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('plain-JSON calls (no Accept text/event-stream, no session)', () => {
  it.each(['/default/mcp', '/default/sse', '/default/messages'])(
    'POST %s answers tools/list and tools/call in the body, without a session',
    async (path) => {
      const list = await plain(path, rpc(1, 'tools/list'));
      expect(list.status).toBe(200);
      expect(list.headers.get('content-type')).toMatch(/^application\/json/);
      expect(list.headers.get('mcp-session-id')).toBeNull();
      const tools = asArray(rpcResult(list.json)['tools']).map((t) => asRecord(t)['name']);
      expect(tools).toEqual(['echo', 'add', 'countdown']);

      const call = await plain(path, rpc('c', 'tools/call', { name: 'echo', arguments: { text: 'legacy' } }));
      expect(call.status).toBe(200);
      expect(call.headers.get('mcp-session-id')).toBeNull();
      expect(call.json).toMatchObject({ jsonrpc: '2.0', id: 'c' });
      expect(firstText(rpcResult(call.json))).toBe('legacy');
    },
  );

  it('works with Accept */* or application/json, as the older clients send', async () => {
    for (const accept of ['*/*', 'application/json']) {
      const reply = await plain(
        '/default/mcp',
        rpc(2, 'tools/call', { name: 'add', arguments: { a: 1, b: 2 } }),
        {
          accept,
        },
      );
      expect(rpcResult(reply.json)['structuredContent']).toEqual({ sum: 3 });
      expect(reply.headers.get('mcp-session-id')).toBeNull();
    }
  });

  it('answers initialize without creating a session', async () => {
    const reply = await plain(
      '/default/mcp',
      rpc(3, 'initialize', {
        protocolVersion: '2024-11-05',
        capabilities: {},
        clientInfo: { name: 'old', version: '0' },
      }),
    );
    expect(reply.status).toBe(200);
    expect(reply.headers.get('mcp-session-id')).toBeNull();
    expect(rpcResult(reply.json)['protocolVersion']).toBe('2024-11-05');
  });

  it('answers a notification with 202 and errors as JSON-RPC errors', async () => {
    const note = await plain('/default/mcp', { jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(note.status).toBe(202);
    expect(note.text).toBe('');
    const unknown = await plain('/default/sse', rpc(4, 'tools/call', { name: 'missing' }));
    expect(unknown.json).toMatchObject({ id: 4, error: { code: -32602 } });
    expectNoStack(unknown.text);
  });

  it('a tool that reports progress still answers with JSON (no stream on this path)', async () => {
    const reply = await plain(
      '/default/mcp',
      rpc(5, 'tools/call', {
        name: 'countdown',
        arguments: { n: 2, delayMs: 0 },
        _meta: { progressToken: 'p' },
      }),
    );
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(firstText(rpcResult(reply.json))).toBe('Hello, countdown from 2 finished');
  });
});

describe('legacy HTTP+SSE transport', () => {
  /** Opens GET /default/sse and reads its `endpoint` and `connected` events. */
  async function connect(): Promise<{
    s: RawResponse;
    postUrl: string;
    endpointEvent: SseEvent;
    connected: SseEvent | undefined;
  }> {
    const s = await rawRequest(`${base}/default/sse`, { headers: { accept: 'text/event-stream' } });
    open.push(s);
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toMatch(/^text\/event-stream/);
    const endpointEvent = await s.nextEvent();
    if (endpointEvent === undefined) throw new Error('no endpoint event');
    const connected = await s.nextEvent();
    return { s, postUrl: `${base}${endpointEvent.data}`, endpointEvent, connected };
  }

  const postTo = (postUrl: string, body: unknown) =>
    send(postUrl, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  /** Reads `message` events until the response with `id` arrives. */
  async function responseFor(s: RawResponse, id: number | string): Promise<Record<string, unknown>> {
    for (;;) {
      const e = await s.nextEvent();
      if (e === undefined) throw new Error(`stream ended before the response to ${id}`);
      expect(e.event).toBe('message');
      const m = message(e);
      if (m['id'] === id && !('method' in m)) return m;
    }
  }

  it('GET /default/sse sends `event: endpoint` with a POST URL, then `event: connected`', async () => {
    const { endpointEvent, connected } = await connect();
    expect(endpointEvent.event).toBe('endpoint');
    const m = /^\/default\/messages\?sessionId=([0-9a-f-]{36})$/.exec(endpointEvent.data);
    expect(m).not.toBeNull();
    expect(connected?.event).toBe('connected');
    const info = asRecord(JSON.parse(connected?.data ?? 'null'));
    expect(info['client_id']).toBe(m?.[1]);
    expect(typeof info['timestamp']).toBe('string');
  });

  it('POSTs to the endpoint URL get 202 and their responses arrive as `event: message`', async () => {
    const { s, postUrl } = await connect();

    const init = await postTo(
      postUrl,
      rpc(1, 'initialize', {
        protocolVersion: '2024-11-05',
        capabilities: {},
        clientInfo: { name: 'old', version: '0' },
      }),
    );
    expect(init.status).toBe(202);
    expect(init.text).toBe('Accepted');
    expect(rpcResult(await responseFor(s, 1))['protocolVersion']).toBe('2024-11-05');

    const note = await postTo(postUrl, { jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(note.status).toBe(202);

    const call = await postTo(
      postUrl,
      rpc(2, 'tools/call', { name: 'echo', arguments: { text: 'via sse' } }),
    );
    expect(call.status).toBe(202);
    expect(firstText(rpcResult(await responseFor(s, 2)))).toBe('via sse');

    const bad = await postTo(postUrl, rpc(3, 'tools/call', { name: 'nope' }));
    expect(bad.status).toBe(202);
    const err = await responseFor(s, 3);
    expect(rpcError(err).code).toBe(-32602);
  });

  it('progress notifications of a call arrive on the stream before its response', async () => {
    const { s, postUrl } = await connect();
    await postTo(postUrl, rpc(1, 'initialize', { protocolVersion: '2024-11-05', capabilities: {} }));
    await responseFor(s, 1);
    await postTo(
      postUrl,
      rpc(2, 'tools/call', {
        name: 'countdown',
        arguments: { n: 2, delayMs: 0 },
        _meta: { progressToken: 'legacy' },
      }),
    );
    const progress: unknown[] = [];
    for (;;) {
      const e = await s.nextEvent();
      if (e === undefined) throw new Error('stream ended');
      const m = message(e);
      if (m['method'] === 'notifications/progress') progress.push(asRecord(m['params'])['progress']);
      if (m['id'] === 2) {
        expect(firstText(rpcResult(m))).toBe('Hello, countdown from 2 finished');
        break;
      }
    }
    expect(progress).toEqual([0, 1, 2]);
  });

  it('the POST URL also works as POST /default/sse?sessionId=…', async () => {
    const { s, postUrl } = await connect();
    const sessionId = new URL(postUrl).searchParams.get('sessionId') ?? '';
    const reply = await send(`${base}/default/sse?sessionId=${sessionId}`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(rpc(1, 'ping')),
    });
    expect(reply.status).toBe(202);
    expect(await responseFor(s, 1)).toMatchObject({ result: {} });
  });

  it('POST with an unknown sessionId gets 404', async () => {
    for (const path of [
      `/default/messages?sessionId=${randomUUID()}`,
      '/default/messages?sessionId=',
      '/default/sse?sessionId=x',
    ]) {
      const reply = await send(`${base}${path}`, {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(rpc(1, 'ping')),
      });
      expect(reply.status).toBe(404);
      expect(rpcError(reply.json)).toMatchObject({
        code: -32000,
        message: expect.stringMatching(/Session not found/),
      });
      expectNoStack(reply.text);
    }
  });

  it('closing the stream ends the legacy session: its POST URL then gets 404', async () => {
    const { s, postUrl } = await connect();
    expect((await postTo(postUrl, rpc(1, 'ping'))).status).toBe(202);
    await responseFor(s, 1);
    s.close();
    await s.ended;
    // The server learns of the close asynchronously; wait for it rather than for a fixed time.
    let status = 202;
    for (let i = 0; i < 200 && status !== 404; i += 1) {
      status = (await postTo(postUrl, rpc(2, 'ping'))).status;
      if (status !== 404) await new Promise((r) => setTimeout(r, 10));
    }
    expect(status).toBe(404);
  });

  it('a Streamable HTTP session id is not a legacy sessionId', async () => {
    const init = await send(`${base}/default/mcp`, {
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify(rpc(0, 'initialize', { protocolVersion: '2025-11-25', capabilities: {} })),
    });
    const sid = init.headers.get('mcp-session-id') ?? '';
    expect(sid).not.toBe('');
    const reply = await send(`${base}/default/messages?sessionId=${sid}`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(rpc(1, 'ping')),
    });
    expect(reply.status).toBe(404);
  });

  it('GET /{unknown}/sse gets 404 no endpoint', async () => {
    const reply = await send(`${base}/other/sse`, {
      method: 'GET',
      headers: { accept: 'text/event-stream' },
    });
    expect(reply.status).toBe(404);
    expect(rpcError(reply.json).message).toBe('Not Found: no endpoint other');
  });
});

describe('health and unknown routes', () => {
  it('GET /health answers 200 {status:"ok"} without any credentials', async () => {
    const reply = await send(`${base}/health`, { method: 'GET' });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    const body = asRecord(reply.json);
    expect(body['status']).toBe('ok');
    expect(body['endpoints']).toBe(1);
    expect(typeof body['sessions']).toBe('number');
    expect(Number.isNaN(Date.parse(String(body['timestamp'])))).toBe(false);
  });

  it.each([
    ['GET', '/nope'],
    ['POST', '/default'],
    ['GET', '/default/mcp/extra'],
    ['PUT', '/default/mcp'],
  ])('%s %s gets a JSON 404', async (method, path) => {
    const reply = await send(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(method === 'GET' ? {} : { body: '{}' }),
    });
    expect(reply.status).toBe(404);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.json).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'Not Found' },
    });
  });
});
