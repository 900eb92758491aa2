/** MCPD_STATELESS=true: every POST stands alone (no initialize, no session); GET and DELETE are 405. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDaemon } from '../helpers/daemon.js';
import {
  asArray,
  asRecord,
  expectNoStack,
  firstText,
  parseSse,
  postMcp,
  rpc,
  rpcError,
  rpcResult,
  send,
  startDaemon,
} from './support.js';

let d: RunningDaemon;
let base: string;

beforeAll(async () => {
  d = await startDaemon({ MCPD_STATELESS: 'true' });
  base = d.url;
});
afterAll(() => d.close());

describe('stateless Streamable HTTP', () => {
  it('serves tools/call without initialize and without a session', async () => {
    const reply = await postMcp(
      base,
      undefined,
      rpc(1, 'tools/call', { name: 'echo', arguments: { text: 'solo' } }),
    );
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.headers.get('mcp-session-id')).toBeNull();
    expect(firstText(rpcResult(reply.json))).toBe('solo');

    const list = await postMcp(base, undefined, rpc(2, 'tools/list'), {
      'mcp-protocol-version': '2025-11-25',
    });
    expect(asArray(rpcResult(list.json)['tools']).map((t) => asRecord(t)['name'])).toContain('countdown');
  });

  it('answers initialize without handing out a session id', async () => {
    const reply = await postMcp(
      base,
      undefined,
      rpc(0, 'initialize', {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 't', version: '1' },
      }),
    );
    expect(reply.status).toBe(200);
    expect(reply.headers.get('mcp-session-id')).toBeNull();
    expect(rpcResult(reply.json)['protocolVersion']).toBe('2025-11-25');
  });

  it('ignores a stray Mcp-Session-Id rather than looking it up', async () => {
    const reply = await postMcp(base, 'no-such-session', rpc(3, 'ping'));
    expect(reply.status).toBe(200);
    expect(rpcResult(reply.json)).toEqual({});
  });

  it('streams progress of a call on its own POST, ending with the result', async () => {
    const reply = await postMcp(
      base,
      undefined,
      rpc(4, 'tools/call', {
        name: 'countdown',
        arguments: { n: 2, delayMs: 0 },
        _meta: { progressToken: 's' },
      }),
    );
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const messages = parseSse(reply.text)
      .filter((e) => e.data !== '')
      .map((e) => asRecord(JSON.parse(e.data)));
    const progress = messages
      .filter((m) => m['method'] === 'notifications/progress')
      .map((m) => asRecord(m['params'])['progress']);
    expect(progress).toEqual([0, 1, 2]);
    const last = messages.at(-1);
    expect(last?.['id']).toBe(4);
    expect(firstText(rpcResult(last))).toBe('Hello, countdown from 2 finished');
  });

  it('still refuses a request that must not be served: bad JSON, unknown method', async () => {
    const bad = await postMcp(base, undefined, '{');
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ id: null, error: { code: -32700 } });
    const unknown = await postMcp(base, undefined, rpc(5, 'nope'));
    expect(rpcError(unknown.json).code).toBe(-32601);
  });

  it.each(['GET', 'DELETE'])('%s gets 405 with Allow: POST', async (method) => {
    const reply = await send(`${base}/default/mcp`, {
      method,
      headers: { accept: 'text/event-stream', 'mcp-session-id': 'whatever' },
    });
    expect(reply.status).toBe(405);
    expect(reply.headers.get('allow')).toBe('POST');
    expect(reply.json).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32000 } });
    expectNoStack(reply.text);
  });

  it('keeps no sessions', async () => {
    await postMcp(base, undefined, rpc(6, 'ping'));
    const health = await send(`${base}/health`, { method: 'GET' });
    expect(asRecord(health.json)['sessions']).toBe(0);
  });
});
