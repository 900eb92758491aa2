import { describe, expect, it } from 'vitest';
import { connect, createTestEngine, resultOf } from '../../test/helpers/engine.js';
import type { JsonRpcMessage, JsonRpcResponse } from '../protocol/jsonrpc.js';
import type { ToolContext } from '../sdk/types.js';

type Body = (ctx: ToolContext) => Promise<unknown>;
const engineWith = (body: Body) =>
  createTestEngine({
    tools: [{ definition: { name: 't', inputSchema: { type: 'object' } }, invoke: (_a, ctx) => body(ctx) }],
  }).engine;

const isRequestFor = (method: string) => (m: JsonRpcMessage) =>
  'method' in m && 'id' in m && m.method === method;

describe('ctx handed to bundle code', () => {
  it('lists roots when the client declares them', async () => {
    const engine = engineWith(async (ctx) => JSON.stringify(await ctx.listRoots()));
    const { session, sink } = await connect(engine, { roots: { listChanged: true } });
    const call = engine.handle(
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 't' } },
      session,
      sink,
    );
    const req = (await sink.waitFor(isRequestFor('roots/list'))) as { id: number; params?: unknown };
    expect(req.params).toBeUndefined();
    await engine.handle(
      { jsonrpc: '2.0', id: req.id, result: { roots: [{ uri: 'file:///w' }] } },
      session,
      sink,
    );
    expect(JSON.stringify(resultOf((await call) as JsonRpcResponse))).toContain('file:///w');
  });

  it('sends url-mode elicitation only to clients that support it', async () => {
    const params = { mode: 'url', message: 'Sign in', url: 'https://example.com/auth', elicitationId: 'e1' };
    const engine = engineWith(async (ctx) => {
      const answer = await ctx.elicit(params);
      await ctx.notify('notifications/elicitation/complete', { elicitationId: 'e1' });
      return `action=${String(answer['action'])}`;
    });
    const formOnly = await connect(engine, { elicitation: { form: {} } });
    const refused = resultOf(await formOnly.request('tools/call', { name: 't' }));
    expect(refused['isError']).toBe(true);
    expect(JSON.stringify(refused)).toContain('url-mode');

    const { session, sink } = await connect(engine, { elicitation: { form: {}, url: {} } });
    const call = engine.handle(
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 't' } },
      session,
      sink,
    );
    const req = (await sink.waitFor(isRequestFor('elicitation/create'))) as { id: number; params: unknown };
    expect(req.params).toEqual(params);
    await engine.handle({ jsonrpc: '2.0', id: req.id, result: { action: 'accept' } }, session, sink);
    expect(JSON.stringify(resultOf((await call) as JsonRpcResponse))).toContain('action=accept');
    expect(sink.messages).toContainEqual({
      jsonrpc: '2.0',
      method: 'notifications/elicitation/complete',
      params: { elicitationId: 'e1' },
    });
  });

  it('cancels its pending client request when the tool call is cancelled', async () => {
    const engine = engineWith(async (ctx) => ctx.sample({ messages: [], maxTokens: 1 }));
    const { session, sink } = await connect(engine, { sampling: {} });
    const call = engine.handle(
      { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 't' } },
      session,
      sink,
    );
    const req = (await sink.waitFor(isRequestFor('sampling/createMessage'))) as { id: number };
    await engine.handle(
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 3 } },
      session,
      sink,
    );
    expect(await call).toBeUndefined();
    expect(sink.messages).toContainEqual({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: req.id, reason: 'the originating request was cancelled' },
    });
    expect(session.pending?.size ?? 0).toBe(0);
  });

  it('reports progress only when asked, and logs subject to the level', async () => {
    const engine = engineWith(async (ctx) => {
      await ctx.progress(1, 2, 'half');
      ctx.log('debug', 'quiet');
      ctx.log('error', { bad: true }, 'svc');
      return `${ctx.endpointId}:${String(ctx.requestId)}:${ctx.closeStream()}`;
    });
    const { session, sink, request } = await connect(engine);
    await request('logging/setLevel', { level: 'warning' });
    const res = await engine.handle(
      {
        jsonrpc: '2.0',
        id: 'p',
        method: 'tools/call',
        params: { name: 't', _meta: { progressToken: 'tok' } },
      },
      session,
      sink,
    );
    expect(JSON.stringify(resultOf(res as JsonRpcResponse))).toContain('default:p:false');
    expect(sink.messages).toEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'tok', progress: 1, total: 2, message: 'half' },
      },
      {
        jsonrpc: '2.0',
        method: 'notifications/message',
        params: { level: 'error', data: { bad: true }, logger: 'svc' },
      },
    ]);
    sink.messages.length = 0;
    await request('tools/call', { name: 't' });
    expect(sink.messages.filter((m) => 'method' in m && m.method === 'notifications/progress')).toEqual([]);
  });

  it('times out a client that never answers', async () => {
    const engine = engineWith(async (ctx) => ctx.listRoots());
    const { request } = await connect(engine, { roots: {} });
    const res = resultOf(await request('tools/call', { name: 't' }));
    expect(res['isError']).toBe(true);
    expect(JSON.stringify(res)).toContain('did not answer roots/list in time');
  }, 10_000);
});
