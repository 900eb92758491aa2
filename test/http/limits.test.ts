/** Per-endpoint concurrency over HTTP: a full endpoint answers 429 with Retry-After and a JSON-RPC busy error. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDaemon } from '../helpers/daemon.js';
import {
  FIXTURE_CONFIG,
  initSession,
  postMcp,
  rawRequest,
  rpc,
  rpcError,
  rpcResult,
  startDaemon,
} from './support.js';

let d: RunningDaemon;
beforeAll(async () => {
  d = await startDaemon({ MCPD_ENDPOINT_CONCURRENCY: '1', MCPD_ENDPOINT_QUEUE: '0' }, FIXTURE_CONFIG);
});
afterAll(async () => d.close());

const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
  progressToken: 'hold',
};

describe('endpoint concurrency', () => {
  it('refuses a call with 429 + Retry-After while the only slot is taken, and serves again once it is free', async () => {
    const sid = await initSession(d.url);
    const holder = await rawRequest(`${d.url}/default/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'abortable',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'abortable', _meta: META },
      }),
    });
    expect(JSON.parse((await holder.nextEvent())?.data ?? '{}')).toMatchObject({
      method: 'notifications/progress',
    });

    const refused = await postMcp(
      d.url,
      sid,
      rpc(2, 'tools/call', { name: 'echo', arguments: { text: 'x' } }),
    );
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(rpcError(refused.json).code).toBe(-32050);

    holder.close();
    let answered: unknown;
    for (let i = 0; i < 100 && answered === undefined; i += 1) {
      const reply = await postMcp(
        d.url,
        sid,
        rpc(3, 'tools/call', { name: 'echo', arguments: { text: 'free' } }),
      );
      if (reply.status === 200) answered = rpcResult(reply.json);
      else await new Promise((r) => setTimeout(r, 20));
    }
    expect(JSON.stringify(answered)).toContain('free');
  });
});
