import { describe, expect, it } from 'vitest';
import { createTestEngine, RecordingSink } from '../../test/helpers/engine.js';
import type { JsonRpcMessage, JsonRpcResponse } from '../protocol/jsonrpc.js';
import { type Envelope, META } from '../protocol/modern.js';
import type { ToolContext } from '../sdk/types.js';
import { Cancellation } from './cancellation.js';
import type { Engine } from './engine.js';
import { dispatchModern } from './modern-dispatch.js';

const schema = { type: 'object', properties: {} };
const envelope = (caps: Record<string, unknown> = {}, logLevel?: Envelope['logLevel']): Envelope => ({
  protocolVersion: '2026-07-28',
  clientCapabilities: caps,
  clientInfo: undefined,
  logLevel,
});

function setup() {
  return createTestEngine({
    tools: [
      {
        definition: { name: 'ask', inputSchema: schema },
        invoke: async (_a, ctx: ToolContext) => {
          const first = await ctx.elicit({ message: 'name?', requestedSchema: schema }, { key: 'name' });
          const second = await ctx.sample({ messages: [], maxTokens: 5 });
          return `${JSON.stringify(first['content'])}/${JSON.stringify(second['content'])}`;
        },
      },
      {
        definition: { name: 'chatty', inputSchema: schema },
        invoke: async (_a, ctx) => {
          ctx.log('info', 'hello');
          ctx.log('debug', 'detail');
          await ctx.progress(1, 1);
          return 'done';
        },
      },
      {
        definition: { name: 'slow', inputSchema: schema },
        invoke: (_a, ctx) => ctx.sleep(10_000).then(() => 'late'),
      },
      {
        definition: { name: 'closer', inputSchema: schema },
        invoke: async (_a, ctx) => String(ctx.closeStream()),
      },
      {
        definition: { name: 'announce', inputSchema: schema },
        invoke: async (_a, ctx) => {
          ctx.notifyListChanged('tools');
          ctx.resourceUpdated('x://watched');
          return 'ok';
        },
      },
    ],
    resources: [{ definition: { name: 'r', uri: 'x://r' }, invoke: async () => 'R' }],
  });
}

async function call(
  engine: Engine,
  method: string,
  params: Record<string, unknown>,
  env = envelope(),
  sink = new RecordingSink(),
  cancel = new Cancellation(),
) {
  const req = {
    jsonrpc: '2.0' as const,
    id: 1,
    method,
    params: { ...params, _meta: { progressToken: 'p' } },
  };
  const outcome = await dispatchModern(engine, req, env, 'default', sink, cancel);
  return { ...outcome, sink, result: resultOf(outcome.response) };
}

function resultOf(res: JsonRpcResponse | undefined): Record<string, unknown> {
  return res && 'result' in res ? (res.result as Record<string, unknown>) : {};
}

describe('modern dispatch', () => {
  it('answers server/discover with versions, capabilities, cache hints and serverInfo', async () => {
    const { engine } = setup();
    const { result, status } = await call(engine, 'server/discover', {});
    expect(status).toBe(200);
    expect(result).toMatchObject({
      supportedVersions: ['2026-07-28'],
      resultType: 'complete',
      ttlMs: 0,
      cacheScope: 'public',
      _meta: { [META.serverInfo]: { name: 'mcpd' } },
    });
  });

  it('answers removed and unknown methods with -32601 and 404', async () => {
    const { engine } = setup();
    for (const method of ['initialize', 'ping', 'logging/setLevel', 'resources/subscribe', 'nope']) {
      const { response, status } = await call(engine, method, {});
      expect(status).toBe(404);
      expect(response && 'error' in response && response.error.code).toBe(-32601);
    }
  });

  it('marks reads private and reports unknown resources with -32602', async () => {
    const { engine } = setup();
    expect((await call(engine, 'resources/read', { uri: 'x://r' })).result).toMatchObject({
      cacheScope: 'private',
    });
    const missing = await call(engine, 'resources/read', { uri: 'x://none' });
    expect(missing.response && 'error' in missing.response && missing.response.error).toMatchObject({
      code: -32602,
      data: { uri: 'x://none' },
    });
  });

  it('runs input requests over rounds with a sealed requestState', async () => {
    const { engine } = setup();
    const caps = { elicitation: {}, sampling: {} };
    const r1 = await call(engine, 'tools/call', { name: 'ask' }, envelope(caps));
    expect(r1.result).toMatchObject({
      resultType: 'input_required',
      inputRequests: { name: { method: 'elicitation/create' } },
    });
    expect(r1.result['ttlMs']).toBeUndefined();
    const state1 = r1.result['requestState'] as string;
    const r2 = await call(
      engine,
      'tools/call',
      {
        name: 'ask',
        inputResponses: { name: { action: 'accept', content: { n: 'A' } } },
        requestState: state1,
      },
      envelope(caps),
    );
    expect(Object.keys(r2.result['inputRequests'] as object)).toEqual(['sampling_1']);
    const state2 = r2.result['requestState'] as string;
    expect(state2).not.toBe(state1);
    const r3 = await call(
      engine,
      'tools/call',
      { name: 'ask', inputResponses: { sampling_1: { content: { text: 'hi' } } }, requestState: state2 },
      envelope(caps),
    );
    expect(r3.result).toMatchObject({
      resultType: 'complete',
      content: [{ text: '{"n":"A"}/{"text":"hi"}' }],
    });
  });

  it('refuses tampered state and malformed inputResponses with -32602', async () => {
    const { engine } = setup();
    const caps = { elicitation: {}, sampling: {} };
    const r1 = await call(engine, 'tools/call', { name: 'ask' }, envelope(caps));
    const state = `${String(r1.result['requestState'])}-TAMPERED`;
    for (const extra of [
      { requestState: state },
      { inputResponses: null },
      { inputResponses: { name: 5 } },
      { requestState: 3 },
    ]) {
      const r = await call(engine, 'tools/call', { name: 'ask', ...extra }, envelope(caps));
      expect(r.response && 'error' in r.response && r.response.error.code).toBe(-32602);
      expect(r.status).toBe(200);
    }
  });

  it('answers a missing client capability with -32021 and 400', async () => {
    const { engine } = setup();
    const r = await call(engine, 'tools/call', { name: 'ask' }, envelope({}));
    expect(r.status).toBe(400);
    expect(r.response && 'error' in r.response && r.response.error).toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { elicitation: {} } },
    });
  });

  it('sends logs only when the request asked for a level, progress always', async () => {
    const { engine } = setup();
    const quiet = await call(engine, 'tools/call', { name: 'chatty' });
    const methods = (s: RecordingSink) => s.messages.map((m) => ('method' in m ? m.method : ''));
    expect(methods(quiet.sink)).toEqual(['notifications/progress']);
    const loud = await call(engine, 'tools/call', { name: 'chatty' }, envelope({}, 'info'));
    expect(methods(loud.sink)).toEqual(['notifications/message', 'notifications/progress']);
  });

  it('has no resumable stream to close (closeStream is false even where the transport could)', async () => {
    const { engine } = setup();
    const sink = Object.assign(new RecordingSink(), { closeStream: () => undefined });
    const r = await call(engine, 'tools/call', { name: 'closer' }, envelope(), sink);
    expect(r.response).toMatchObject({ result: { content: [{ type: 'text', text: 'false' }] } });
  });

  it('gives no response when cancelled', async () => {
    const { engine } = setup();
    const cancel = new Cancellation();
    const pending = call(engine, 'tools/call', { name: 'slow' }, envelope(), new RecordingSink(), cancel);
    await new Promise((r) => setTimeout(r, 10));
    cancel.abort(new Error('closed'));
    expect((await pending).response).toBeUndefined();
  });

  it('streams subscribed notifications with the subscription id until cancelled', async () => {
    const { engine } = setup();
    const sink = new RecordingSink();
    const cancel = new Cancellation();
    const listen = call(
      engine,
      'subscriptions/listen',
      { notifications: { toolsListChanged: true, resourceSubscriptions: ['x://watched', 7] } },
      envelope(),
      sink,
      cancel,
    );
    const ack = await sink.waitFor(
      (m) => 'method' in m && m.method === 'notifications/subscriptions/acknowledged',
    );
    expect(ack).toMatchObject({
      params: {
        _meta: { [META.subscriptionId]: 1 },
        notifications: { toolsListChanged: true, resourceSubscriptions: ['x://watched'] },
      },
    });
    const other = new RecordingSink();
    const promptsOnly = new Cancellation();
    const listen2 = call(
      engine,
      'subscriptions/listen',
      { notifications: { promptsListChanged: true } },
      envelope(),
      other,
      promptsOnly,
    );
    await other.waitFor(() => true);
    await call(engine, 'tools/call', { name: 'announce' });
    const tagged = (m: JsonRpcMessage) =>
      'method' in m && (m.params?.['_meta'] as Record<string, unknown>)?.[META.subscriptionId] === 1;
    expect(sink.messages.filter(tagged).map((m) => ('method' in m ? m.method : ''))).toEqual([
      'notifications/subscriptions/acknowledged',
      'notifications/tools/list_changed',
      'notifications/resources/updated',
    ]);
    expect(other.messages).toHaveLength(1);
    cancel.abort(new Error('done'));
    promptsOnly.abort(new Error('done'));
    expect((await listen).response).toBeUndefined();
    expect((await listen2).response).toBeUndefined();
    expect(engine.hub.count()).toBe(0);
    const bad = await call(engine, 'subscriptions/listen', {});
    expect(bad.response && 'error' in bad.response && bad.response.error.code).toBe(-32602);
  });
});
