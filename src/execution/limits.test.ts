import { describe, expect, it } from 'vitest';
import { connect, createTestEngine, errorOf, resultOf } from '../../test/helpers/engine.js';
import type { JsonRpcMessage, JsonRpcResponse } from '../protocol/jsonrpc.js';
import type { ToolContext } from '../sdk/types.js';
import { SERVER_BUSY } from './limiter.js';

const schema = { type: 'object' };

describe('call limits in the engine', () => {
  it('times a call out as a tool error and aborts its signal', async () => {
    let aborted = false;
    const { engine } = createTestEngine(
      {
        tools: [
          {
            definition: { name: 'stuck', inputSchema: schema },
            invoke: async (_a, ctx: ToolContext) => {
              await ctx.sleep(10_000).catch(() => {
                aborted = ctx.signal.aborted;
              });
              return 'late';
            },
          },
        ],
      },
      { limits: { callTimeoutMs: 50 } },
    );
    const { request } = await connect(engine);
    const result = resultOf(await request('tools/call', { name: 'stuck' }));
    expect(result).toEqual({
      content: [{ type: 'text', text: 'tool stuck timed out after 50 ms' }],
      isError: true,
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(aborted).toBe(true);
  });

  it('does not count time spent waiting for the client', async () => {
    const { engine } = createTestEngine(
      {
        tools: [
          {
            definition: { name: 'ask', inputSchema: schema },
            invoke: async (_a, ctx: ToolContext) =>
              JSON.stringify(await ctx.elicit({ message: 'ok?', requestedSchema: schema })),
          },
        ],
      },
      { limits: { callTimeoutMs: 50 } },
    );
    const { session, sink } = await connect(engine, { elicitation: {} });
    const call = engine.handle(
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'ask' } },
      session,
      sink,
    );
    const req = (await sink.waitFor(
      (m: JsonRpcMessage) => 'method' in m && m.method === 'elicitation/create',
    )) as { id: number };
    await new Promise((r) => setTimeout(r, 150));
    await engine.handle({ jsonrpc: '2.0', id: req.id, result: { action: 'accept' } }, session, sink);
    const result = resultOf((await call) as JsonRpcResponse);
    expect(result['isError']).toBeUndefined();
    expect(JSON.stringify(result)).toContain('accept');
  });

  it('refuses calls beyond the endpoint queue with a busy error', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const { engine } = createTestEngine(
      {
        tools: [
          { definition: { name: 'hold', inputSchema: schema }, invoke: async () => held.then(() => 'done') },
        ],
      },
      { limits: { concurrency: 1, queue: 0 } },
    );
    const { request } = await connect(engine);
    const first = request('tools/call', { name: 'hold' });
    await new Promise((r) => setTimeout(r, 10));
    const busy = errorOf(await request('tools/call', { name: 'hold' }));
    expect(busy.code).toBe(SERVER_BUSY);
    release();
    expect(resultOf(await first)).toEqual({ content: [{ type: 'text', text: 'done' }] });
  });
});
