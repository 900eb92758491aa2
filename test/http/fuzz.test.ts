/**
 * Seeded random input against every HTTP entry point (session fast path, Fastify route, plain JSON, legacy
 * messages, 2026-07-28): no answer is a 5xx or leaks a stack, every body is JSON-RPC, and the daemon keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFORMANCE_CONFIG, type RunningDaemon } from '../helpers/daemon.js';
import { expectNoStack, initSession, send, startDaemon, STREAMABLE_HEADERS } from './support.js';

let d: RunningDaemon;
beforeAll(async () => {
  d = await startDaemon({}, CONFORMANCE_CONFIG);
});
afterAll(async () => d.close());

/** mulberry32: a tiny deterministic PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const METHODS = [
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'resources/read',
  'resources/list',
  'resources/subscribe',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'server/discover',
  'subscriptions/listen',
  'notifications/cancelled',
  'notifications/initialized',
  'nope/nothing',
  '',
  '__proto__',
];

function value(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 2 ? 5 : 8));
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return (Math.floor(r() * 2 ** 40) * (r() < 0.5 ? -1 : 1)) / (r() < 0.3 ? 7 : 1);
    case 3:
      return 'x'.repeat(Math.floor(r() * 20)) + String.fromCharCode(Math.floor(r() * 0xffff));
    case 4:
      return METHODS[Math.floor(r() * METHODS.length)];
    case 5:
      return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (const key of [
        'name',
        'uri',
        'arguments',
        'cursor',
        'level',
        'ref',
        'argument',
        '_meta',
        'requestId',
        '__proto__',
      ]) {
        if (r() < 0.35) o[key] = value(r, depth + 1);
      }
      return o;
    }
  }
}

function message(r: () => number): unknown {
  if (r() < 0.1) return value(r, 0);
  const m: Record<string, unknown> = { jsonrpc: r() < 0.9 ? '2.0' : '1.0' };
  if (r() < 0.85) m['method'] = METHODS[Math.floor(r() * METHODS.length)];
  if (r() < 0.7) m['id'] = r() < 0.5 ? Math.floor(r() * 1000) : value(r, 2);
  if (r() < 0.8) m['params'] = value(r, 1);
  if (r() < 0.05) m['result'] = value(r, 1);
  if (r() < 0.3 && typeof m['params'] === 'object' && m['params'] !== null && !Array.isArray(m['params'])) {
    (m['params'] as Record<string, unknown>)['_meta'] = {
      'io.modelcontextprotocol/protocolVersion': r() < 0.8 ? '2026-07-28' : value(r, 2),
      'io.modelcontextprotocol/clientCapabilities': r() < 0.8 ? {} : value(r, 2),
    };
  }
  return r() < 0.1 ? [m, message(r)] : m;
}

describe('random input', () => {
  it('never gets a 5xx, a stack, or a non-JSON-RPC body, and the daemon keeps serving', async () => {
    const r = prng(20261124);
    const sid = await initSession(d.url);
    const url = `${d.url}/default/mcp`;
    for (let i = 0; i < 300; i += 1) {
      const body = r() < 0.05 ? '{"jsonrpc":"2.0",' : JSON.stringify(message(r));
      const variant = Math.floor(r() * 4);
      const headers: Record<string, string> =
        variant === 0
          ? { ...STREAMABLE_HEADERS, 'mcp-session-id': sid }
          : variant === 1
            ? { 'content-type': 'application/json' }
            : variant === 2
              ? {
                  ...STREAMABLE_HEADERS,
                  'mcp-protocol-version': '2026-07-28',
                  'mcp-method': 'tools/call',
                  'mcp-name': 'x',
                }
              : { ...STREAMABLE_HEADERS };
      const reply = await send(url, { headers, body });
      expect(reply.status, `case ${i}: ${body}`).toBeLessThan(500);
      expectNoStack(reply.text);
      if (reply.text !== '' && reply.headers.get('content-type')?.startsWith('application/json')) {
        const parsed = JSON.parse(reply.text) as unknown;
        const first = (Array.isArray(parsed) ? parsed[0] : parsed) as { jsonrpc?: unknown };
        expect(first.jsonrpc, `case ${i}`).toBe('2.0');
      }
    }
    const ok = await send(url, {
      headers: { ...STREAMABLE_HEADERS, 'mcp-session-id': sid },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 'last',
        method: 'tools/call',
        params: { name: 'test_simple_text' },
      }),
    });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('"id":"last"');
  }, 120_000);
});
