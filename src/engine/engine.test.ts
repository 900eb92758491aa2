import { describe, expect, it } from 'vitest';
import { connect, createTestEngine, errorOf, RecordingSink, resultOf } from '../../test/helpers/engine.js';
import { ErrorCode } from '../protocol/errors.js';
import type { JsonRpcResponse } from '../protocol/jsonrpc.js';
import type { ToolContext } from '../sdk/types.js';
import { Session } from './session.js';

const tool = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  inputSchema: { type: 'object', properties: {} },
  ...extra,
});

describe('lifecycle', () => {
  it('negotiates the version and declares capabilities and instructions', async () => {
    const { engine } = createTestEngine({}, { instructions: 'be nice' });
    const { init, session } = await connect(engine, { sampling: {} }, '2025-06-18');
    const result = resultOf(init);
    expect(result['protocolVersion']).toBe('2025-06-18');
    expect(result['instructions']).toBe('be nice');
    expect(result['capabilities']).toMatchObject({
      tools: { listChanged: true },
      resources: { subscribe: true },
    });
    expect(result['serverInfo']).toMatchObject({ name: 'mcpd' });
    expect(session.clientCapabilities).toEqual({ sampling: {} });
  });

  it('answers an unknown version with its latest', async () => {
    const { engine } = createTestEngine({});
    const { init } = await connect(engine, {}, '2099-01-01');
    expect(resultOf(init)['protocolVersion']).toBe('2025-11-25');
  });

  it('refuses a second initialize and a malformed one', async () => {
    const { engine } = createTestEngine({});
    const { request } = await connect(engine);
    const again = await request('initialize', { protocolVersion: '2025-11-25', capabilities: {} });
    expect(errorOf(again).code).toBe(ErrorCode.InvalidRequest);
    const fresh = new Session('default');
    const bad = await engine.handle(
      { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} },
      fresh,
      new RecordingSink(),
    );
    expect(errorOf(bad as JsonRpcResponse).code).toBe(ErrorCode.InvalidParams);
    const badCaps = await engine.handle(
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: 3 },
      },
      fresh,
      new RecordingSink(),
    );
    expect(errorOf(badCaps as JsonRpcResponse).code).toBe(ErrorCode.InvalidParams);
  });

  it('serves ping but nothing else before initialize', async () => {
    const { engine } = createTestEngine({});
    const session = new Session('default');
    const sink = new RecordingSink();
    const ping = (await engine.handle(
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      session,
      sink,
    )) as JsonRpcResponse;
    expect(resultOf(ping)).toEqual({});
    const list = (await engine.handle(
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      session,
      sink,
    )) as JsonRpcResponse;
    expect(errorOf(list).code).toBe(ErrorCode.InvalidRequest);
    expect(errorOf(list).message).toMatch(/initialize/);
  });

  it('answers unknown methods with -32601 and invalid messages with -32600', async () => {
    const { engine } = createTestEngine({});
    const { request, session, sink } = await connect(engine);
    expect(errorOf(await request('nope/nothing')).code).toBe(ErrorCode.MethodNotFound);
    const invalid = (await engine.handle(
      { jsonrpc: '2.0', id: 3, method: 7 },
      session,
      sink,
    )) as JsonRpcResponse;
    expect(errorOf(invalid).code).toBe(ErrorCode.InvalidRequest);
  });

  it('rejects requests for an endpoint that is gone', async () => {
    const { engine } = createTestEngine({});
    const ghost = new Session('ghost');
    const res = (await engine.handle(
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      ghost,
      new RecordingSink(),
    )) as JsonRpcResponse;
    expect(errorOf(res).message).toMatch(/Unknown endpoint/);
  });

  it('sets the log level and rejects unknown levels', async () => {
    const { engine } = createTestEngine({});
    const { request, session } = await connect(engine);
    expect(resultOf(await request('logging/setLevel', { level: 'warning' }))).toEqual({});
    expect(session.logLevel).toBe('warning');
    expect(errorOf(await request('logging/setLevel', { level: 'loud' })).code).toBe(ErrorCode.InvalidParams);
  });
});

describe('batches', () => {
  it('are refused outside 2025-03-26', async () => {
    const { engine } = createTestEngine({});
    const { session, sink } = await connect(engine);
    const res = (await engine.handle(
      [{ jsonrpc: '2.0', id: 1, method: 'ping' }],
      session,
      sink,
    )) as JsonRpcResponse;
    expect(errorOf(res).code).toBe(ErrorCode.InvalidRequest);
  });

  it('are answered element by element in 2025-03-26', async () => {
    const { engine } = createTestEngine({});
    const { session, sink } = await connect(engine, {}, '2025-03-26');
    const res = await engine.handle(
      [
        { jsonrpc: '2.0', id: 1, method: 'ping' },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { jsonrpc: '2.0', id: 2, method: 'nope' },
        { jsonrpc: '2.0', id: 3, method: 'initialize', params: { protocolVersion: '2025-03-26' } },
      ],
      session,
      sink,
    );
    expect(Array.isArray(res)).toBe(true);
    const list = res as JsonRpcResponse[];
    expect(list.map((r) => r.id)).toEqual([1, 2, 3]);
    expect(errorOf(list[1] as JsonRpcResponse).code).toBe(ErrorCode.MethodNotFound);
    expect(errorOf(list[2] as JsonRpcResponse).message).toMatch(/batch/);
    expect(errorOf((await engine.handle([], session, sink)) as JsonRpcResponse).code).toBe(
      ErrorCode.InvalidRequest,
    );
    expect(
      await engine.handle([{ jsonrpc: '2.0', method: 'notifications/initialized' }], session, sink),
    ).toBeUndefined();
  });
});

describe('cancellation', () => {
  it('aborts the running tool and sends no response', async () => {
    let aborted = false;
    const { engine } = createTestEngine({
      tools: [
        {
          definition: tool('slow'),
          invoke: async (_a, ctx) => {
            await ctx.sleep(10_000).catch((err: unknown) => {
              aborted = ctx.signal.aborted;
              throw err;
            });
            return 'done';
          },
        },
      ],
    });
    const { session, sink } = await connect(engine);
    const pending = engine.handle(
      { jsonrpc: '2.0', id: 'c1', method: 'tools/call', params: { name: 'slow' } },
      session,
      sink,
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(session.inflight?.has('c1')).toBe(true);
    await engine.handle(
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'c1', reason: 'user' } },
      session,
      sink,
    );
    expect(await pending).toBeUndefined();
    expect(aborted).toBe(true);
    expect(session.inflight?.has('c1')).toBe(false);
  });

  it('aborts in-flight requests when the session closes', async () => {
    let seen: unknown;
    const { engine } = createTestEngine({
      tools: [
        {
          definition: tool('slow'),
          invoke: (_a, ctx) =>
            ctx.sleep(10_000).then(
              () => 'late',
              (e: unknown) => {
                seen = e;
                throw e;
              },
            ),
        },
      ],
    });
    const { session, sink } = await connect(engine);
    const pending = engine.handle(
      { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'slow' } },
      session,
      sink,
    );
    await new Promise((r) => setTimeout(r, 10));
    session.close();
    expect(await pending).toBeUndefined();
    expect(seen).toBeInstanceOf(Error);
  });
});

describe('server to client requests', () => {
  const sampler = {
    definition: tool('ask'),
    invoke: async (_a: Record<string, unknown>, ctx: ToolContext) => {
      const answer = await ctx.sample({ messages: [], maxTokens: 5 });
      return `model said ${JSON.stringify(answer['content'])}`;
    },
  };

  it('sends sampling/createMessage on the request channel and resumes with the answer', async () => {
    const { engine } = createTestEngine({ tools: [sampler] });
    const { session, sink } = await connect(engine, { sampling: {} });
    const call = engine.handle(
      { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'ask' } },
      session,
      sink,
    );
    const outbound = await sink.waitFor((m) => 'method' in m && m.method === 'sampling/createMessage');
    expect('id' in outbound).toBe(true);
    const id = (outbound as { id: number }).id;
    await engine.handle(
      { jsonrpc: '2.0', id, result: { role: 'assistant', content: { type: 'text', text: 'hi' } } },
      session,
      sink,
    );
    const res = (await call) as JsonRpcResponse;
    expect(JSON.stringify(resultOf(res))).toContain('model said');
    expect(session.pending?.size ?? 0).toBe(0);
  });

  it('turns a client error into a tool error result', async () => {
    const { engine } = createTestEngine({ tools: [sampler] });
    const { session, sink } = await connect(engine, { sampling: {} });
    const call = engine.handle(
      { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'ask' } },
      session,
      sink,
    );
    const outbound = (await sink.waitFor((m) => 'method' in m && m.method === 'sampling/createMessage')) as {
      id: number;
    };
    await engine.handle(
      { jsonrpc: '2.0', id: outbound.id, error: { code: -1, message: 'user declined' } },
      session,
      sink,
    );
    const result = resultOf((await call) as JsonRpcResponse);
    expect(result['isError']).toBe(true);
    expect(JSON.stringify(result)).toContain('user declined');
  });

  it('refuses when the client lacks the capability or has no back channel', async () => {
    const { engine } = createTestEngine({ tools: [sampler] });
    const { request, session } = await connect(engine, {});
    const noCap = resultOf(await request('tools/call', { name: 'ask' }));
    expect(noCap['isError']).toBe(true);
    expect(JSON.stringify(noCap)).toContain('does not support sampling');
    session.clientCapabilities = { sampling: {} };
    session.backchannel = false;
    const noChannel = resultOf(await request('tools/call', { name: 'ask' }));
    expect(JSON.stringify(noChannel)).toContain('needs a session with a stream');
  });

  it('ignores responses nobody waits for', async () => {
    const { engine } = createTestEngine({});
    const { session, sink } = await connect(engine);
    expect(await engine.handle({ jsonrpc: '2.0', id: 999, result: {} }, session, sink)).toBeUndefined();
  });
});

describe('list_changed and subscriptions', () => {
  it('notifies sessions of the endpoint when its lists change, and only what changed', async () => {
    const { engine, registry } = createTestEngine({ tools: [{ definition: tool('a') }] });
    const { sink } = await connect(engine);
    const other = new Session('other', 'x');
    const otherSink = new RecordingSink();
    other.notifier = (m) => otherSink.send(m);
    other.initialized = true;
    engine.hub.add(other);
    const before = registry.get('default');
    if (!before) throw new Error('missing endpoint');
    registry.set({ id: 'default', catalog: { ...before.catalog, toolList: [tool('a'), tool('b')] } });
    expect(sink.messages.map((m) => ('method' in m ? m.method : ''))).toEqual([
      'notifications/tools/list_changed',
    ]);
    expect(otherSink.messages).toEqual([]);
  });

  it('sends resource updates only to subscribers', async () => {
    const { engine } = createTestEngine({});
    const a = await connect(engine);
    const b = await connect(engine);
    expect(resultOf(await a.request('resources/subscribe', { uri: 'x://1' }))).toEqual({});
    engine.notifyResourceUpdated('default', 'x://1');
    expect(a.sink.messages).toHaveLength(1);
    expect(b.sink.messages).toHaveLength(0);
    await a.request('resources/unsubscribe', { uri: 'x://1' });
    engine.notifyResourceUpdated('default', 'x://1');
    expect(a.sink.messages).toHaveLength(1);
    expect(errorOf(await a.request('resources/subscribe', {})).code).toBe(ErrorCode.InvalidParams);
  });
});
