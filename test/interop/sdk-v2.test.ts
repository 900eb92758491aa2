/**
 * Interop: the official v2 SDK client (`@modelcontextprotocol/client` 2.4.0) against mcpd in protocol 2026-07-28
 * (stateless: server/discover, a per-request _meta envelope, InputRequiredResult rounds, subscriptions/listen)
 * over Streamable HTTP and stdio, and a v1 SDK client in the handshake era on the same daemon at the same time.
 * The stdio part needs `npm run build` first.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Progress } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport as V1StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CONFORMANCE_CONFIG, DEMO_CONFIG, type RunningDaemon, startDaemon } from './support/daemon.js';
import { closeAll, connectHarness, ELICITED_CONTENT, firstText, type Harness } from './support/harness.js';
import {
  CLIENT_CAPABILITIES_KEY,
  CLIENT_ROOTS,
  type CombinedConfig,
  connectV2Http,
  connectV2Stdio,
  type HttpExchange,
  isObject,
  type JsonObject,
  MODERN,
  PROTOCOL_VERSION_KEY,
  requestsFor,
  responseMessages,
  resultOf,
  SAMPLING_TEXT,
  SERVER_INFO_KEY,
  serverRequests,
  SUBSCRIPTION_ID_KEY,
  textOf,
  type V2Harness,
  type V2Wire,
  writeCombinedConfig,
} from './support/v2-harness.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const DEMO_INSTRUCTIONS =
  'Demo endpoint of mcpd: echo text, add numbers, read the server status, greet someone.';
const CAPABILITIES = {
  logging: {},
  completions: {},
  prompts: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  tools: { listChanged: true },
  // No `tasks` capability in this era: tasks are an extension.
  extensions: { 'io.modelcontextprotocol/tasks': {} },
};
const WAIT = { timeout: 10_000, interval: 20 };

/** The HTTP exchange that carried the client request with this JSON-RPC id. */
function exchangeFor(h: V2Harness, id: unknown): HttpExchange {
  const ex = h.http.find((e) => isObject(e.requestBody) && e.requestBody['id'] === id);
  if (!ex) throw new Error(`no HTTP exchange carried request ${String(id)}`);
  return ex;
}

/** Asserts the 2026-07-28 decorations of a complete result (and the cache hints where the method has them). */
function expectModernResult(result: JsonObject | undefined, cache?: 'public' | 'private'): void {
  expect(result).toBeDefined();
  expect(result?.['resultType']).toBe('complete');
  expect(result?.['_meta']).toMatchObject({
    [SERVER_INFO_KEY]: { name: 'mcpd', version: expect.any(String) },
  });
  if (cache) {
    expect(result?.['cacheScope']).toBe(cache);
    expect(Number.isInteger(result?.['ttlMs'])).toBe(true);
    expect(result?.['ttlMs']).toBeGreaterThanOrEqual(0);
  }
}

/**
 * The wire of one MRTR exchange on tools/call or prompts/get: the rounds the client sent for `name` since
 * `from`, each answered input_required until the last, each retry on a fresh id carrying that round's answers
 * and the byte-exact requestState of the round before.
 */
function mrtrRounds(wire: V2Wire, method: string, name: string, from: number) {
  const requests = requestsFor(wire, method, name).slice(from);
  const rounds = requests.map((req) => {
    const params = isObject(req['params']) ? req['params'] : {};
    return { id: req['id'], params, result: resultOf(wire, req['id']) };
  });
  expect(new Set(rounds.map((r) => r.id)).size).toBe(rounds.length);
  for (const [i, round] of rounds.entries()) {
    const meta = round.params['_meta'];
    expect(meta).toMatchObject({
      [PROTOCOL_VERSION_KEY]: MODERN,
      [CLIENT_CAPABILITIES_KEY]: expect.any(Object),
    });
    const last = i === rounds.length - 1;
    expect(round.result?.['resultType']).toBe(last ? 'complete' : 'input_required');
    if (!last) {
      expect(isObject(round.result?.['inputRequests'])).toBe(true);
      expect(typeof round.result?.['requestState']).toBe('string');
      // No cache hints on an input_required result.
      expect(round.result).not.toHaveProperty('ttlMs');
    }
    if (i === 0) {
      expect(round.params).not.toHaveProperty('inputResponses');
      expect(round.params).not.toHaveProperty('requestState');
    } else {
      const before = rounds[i - 1]?.result;
      expect(round.params['requestState']).toBe(before?.['requestState']);
      const asked = Object.keys(isObject(before?.['inputRequests']) ? before['inputRequests'] : {});
      const answered = isObject(round.params['inputResponses']) ? round.params['inputResponses'] : {};
      expect(Object.keys(answered).sort()).toEqual(asked.sort());
    }
  }
  return rounds;
}

/** The input requests of a round's InputRequiredResult, by key. */
function inputRequestsOf(result: JsonObject | undefined): Record<string, JsonObject> {
  const requests = result?.['inputRequests'];
  return isObject(requests) ? (requests as Record<string, JsonObject>) : {};
}

describe('v2 SDK client (2026-07-28) and a v1 client ↔ one mcpd daemon over Streamable HTTP', () => {
  let config: CombinedConfig;
  let daemon: RunningDaemon;
  let modern: V2Harness;
  let legacy: Harness;

  beforeAll(async () => {
    config = await writeCombinedConfig();
    daemon = await startDaemon({}, config.path);
    [modern, legacy] = await Promise.all([
      connectV2Http(daemon.url),
      connectHarness(new V1StreamableHTTPClientTransport(new URL(`${daemon.url}/default/mcp`)), {
        interactive: true,
      }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([modern?.close().catch(() => undefined), closeAll([legacy])]);
    await daemon?.close();
    await config?.cleanup();
  });

  describe('v2 client pinned to 2026-07-28', () => {
    it('connects with server/discover: no initialize, no session, the envelope on every request', async () => {
      const c = modern.client;
      expect(c.getProtocolEra()).toBe('modern');
      expect(c.getNegotiatedProtocolVersion()).toBe(MODERN);
      expect(c.getServerVersion()).toMatchObject({ name: 'mcpd', version: expect.any(String) });
      expect(c.getServerCapabilities()).toEqual(CAPABILITIES);
      expect(c.getInstructions()).toBe(DEMO_INSTRUCTIONS);
      expect(c.getDiscoverResult()?.supportedVersions).toContain(MODERN);

      await c.listTools();
      const [discover] = modern.http;
      expect(discover).toMatchObject({
        method: 'POST',
        status: 200,
        requestHeaders: { 'mcp-protocol-version': MODERN, 'mcp-method': 'server/discover' },
        requestBody: { method: 'server/discover' },
      });
      expect(discover?.responseHeaders['content-type']).toMatch(/^application\/json/);
      const [answer] = discover ? responseMessages(discover) : [];
      const result = isObject(answer?.['result']) ? answer['result'] : undefined;
      expectModernResult(result, 'public');
      expect(result).toMatchObject({ supportedVersions: [MODERN], capabilities: CAPABILITIES });
      // serverInfo travels in _meta, not as a body field, in this era.
      expect(result).not.toHaveProperty('serverInfo');

      for (const ex of modern.http) {
        expect(ex.method).toBe('POST');
        expect(ex.requestHeaders).not.toHaveProperty('mcp-session-id');
        expect(ex.responseHeaders).not.toHaveProperty('mcp-session-id');
        const body = isObject(ex.requestBody) ? ex.requestBody : {};
        expect(body['method']).not.toBe('initialize');
        if ('id' in body) {
          expect(ex.requestHeaders['mcp-protocol-version']).toBe(MODERN);
          expect(ex.requestHeaders['mcp-method']).toBe(body['method']);
          expect(isObject(body['params']) ? body['params']['_meta'] : undefined).toMatchObject({
            [PROTOCOL_VERSION_KEY]: MODERN,
            [CLIENT_CAPABILITIES_KEY]: { elicitation: {}, sampling: {}, roots: {} },
          });
        }
      }
      expect(modern.wire.sent().some((m) => m['method'] === 'notifications/initialized')).toBe(false);
    });

    it('lists the tools of the endpoint, with resultType and cache hints on the wire', async () => {
      const { tools } = await modern.client.listTools(undefined, { cacheMode: 'bypass' });
      const names = tools.map((t) => t.name);
      for (const name of ['echo', 'add', 'countdown', 'test_input_required_result_elicitation']) {
        expect(names).toContain(name);
      }
      const byName = new Map(tools.map((t) => [t.name, t]));
      expect(byName.get('echo')).toMatchObject({
        title: 'Echo',
        inputSchema: { type: 'object', required: ['text'] },
        annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
      });
      expect(byName.get('add')?.outputSchema).toMatchObject({ type: 'object', required: ['sum'] });

      const id = requestsFor(modern.wire, 'tools/list').at(-1)?.['id'];
      expectModernResult(resultOf(modern.wire, id), 'public');
      // Deterministic order when nothing changed.
      const again = await modern.client.listTools(undefined, { cacheMode: 'bypass' });
      expect(again.tools.map((t) => t.name)).toEqual(names);
    });

    it('calls echo and add (structuredContent), with Mcp-Name and in-band tool errors', async () => {
      const text = 'héllo from the v2 SDK ✓ "quoted" \n second line';
      const echo = await modern.client.callTool({ name: 'echo', arguments: { text } });
      expect(echo.isError).toBeFalsy();
      expect(echo.content).toEqual([{ type: 'text', text }]);
      const echoId = requestsFor(modern.wire, 'tools/call', 'echo').at(-1)?.['id'];
      expect(exchangeFor(modern, echoId).requestHeaders['mcp-name']).toBe('echo');
      expectModernResult(resultOf(modern.wire, echoId));
      // tools/call is not cacheable.
      expect(resultOf(modern.wire, echoId)).not.toHaveProperty('ttlMs');

      const add = await modern.client.callTool({ name: 'add', arguments: { a: 2.5, b: 40 } });
      expect(add.isError).toBeFalsy();
      expect(add.structuredContent).toEqual({ sum: 42.5 });
      expect(JSON.parse(textOf(add))).toEqual({ sum: 42.5 });

      const bad = await modern.client.callTool({ name: 'echo', arguments: {} });
      expect(bad.isError).toBe(true);
      expect(textOf(bad)).toMatch(/Invalid arguments for tool echo/);
      const badId = requestsFor(modern.wire, 'tools/call', 'echo').at(-1)?.['id'];
      expect(resultOf(modern.wire, badId)).toMatchObject({ isError: true, resultType: 'complete' });

      await expect(modern.client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toMatchObject({
        code: -32602,
      });
      const unknownId = requestsFor(modern.wire, 'tools/call', 'no_such_tool').at(-1)?.['id'];
      // A handler error stays in-band: HTTP 200 with a JSON-RPC error that echoes the id.
      const unknown = exchangeFor(modern, unknownId);
      expect(unknown.status).toBe(200);
      expect(responseMessages(unknown)).toEqual([
        { jsonrpc: '2.0', id: unknownId, error: expect.objectContaining({ code: -32602 }) },
      ]);
    });

    it('streams countdown progress to onprogress on the POST response, and no logs without a logLevel', async () => {
      const updates: Progress[] = [];
      const result = await modern.client.callTool(
        { name: 'countdown', arguments: { n: 3, delayMs: 20 } },
        { onprogress: (p) => updates.push(p) },
      );
      expect(textOf(result)).toBe('Hello, countdown from 3 finished');
      const expected = [
        { progress: 0, total: 3, message: '3 left' },
        { progress: 1, total: 3, message: '2 left' },
        { progress: 2, total: 3, message: '1 left' },
        { progress: 3, total: 3, message: 'done' },
      ];
      expect(updates).toEqual(expected);

      const request = requestsFor(modern.wire, 'tools/call', 'countdown').at(-1);
      const token = isObject(request?.['params']) ? (request['params']['_meta'] as JsonObject) : {};
      const ex = exchangeFor(modern, request?.['id']);
      expect(ex.responseHeaders['content-type']).toMatch(/^text\/event-stream/);
      const messages = responseMessages(ex);
      // Only this request's progress, then its response; the countdown's debug logs stay unsent (no logLevel).
      expect(messages.map((m) => m['method'] ?? 'response')).toEqual([
        ...expected.map(() => 'notifications/progress'),
        'response',
      ]);
      expect(messages.slice(0, -1).map((m) => m['params'])).toEqual(
        expected.map((p) => ({ progressToken: token['progressToken'], ...p })),
      );
      expectModernResult(
        isObject(messages.at(-1)?.['result']) ? (messages.at(-1)?.['result'] as JsonObject) : undefined,
      );
    });

    it('sends log notifications for a request that asks for a logLevel in its _meta', async () => {
      const logs: unknown[] = [];
      modern.client.setNotificationHandler('notifications/message', (n) => {
        logs.push(n.params);
      });
      const result = await modern.client.callTool({
        name: 'countdown',
        arguments: { n: 2, delayMs: 0 },
        _meta: { 'io.modelcontextprotocol/logLevel': 'debug' },
      });
      expect(textOf(result)).toBe('Hello, countdown from 2 finished');
      const id = requestsFor(modern.wire, 'tools/call', 'countdown').at(-1)?.['id'];
      const onWire = responseMessages(exchangeFor(modern, id)).filter(
        (m) => m['method'] === 'notifications/message',
      );
      expect(onWire.map((m) => m['params'])).toEqual([
        { level: 'debug', logger: 'countdown', data: { remaining: 2 } },
        { level: 'debug', logger: 'countdown', data: { remaining: 1 } },
      ]);
      await vi.waitFor(() => expect(logs).toHaveLength(2), WAIT);
    });

    it('reads resources (private cache scope), gets a prompt and completes an argument', async () => {
      const status = await modern.client.readResource({ uri: 'demo://status' }, { cacheMode: 'bypass' });
      const [content] = status.contents;
      expect(content).toMatchObject({ uri: 'demo://status', mimeType: 'application/json' });
      const body = JSON.parse(content && 'text' in content ? content.text : '') as JsonObject;
      expect(body['status']).toBe('ok');
      const readId = requestsFor(modern.wire, 'resources/read').at(-1)?.['id'];
      expect(exchangeFor(modern, readId).requestHeaders['mcp-name']).toBe('demo://status');
      expectModernResult(resultOf(modern.wire, readId), 'private');

      const greeting = await modern.client.readResource({ uri: 'demo://greeting/Interop' });
      expect(greeting.contents).toEqual([
        { uri: 'demo://greeting/Interop', mimeType: 'text/plain', text: 'Hello, Interop!' },
      ]);

      // Resource not found is -32602 in 2026-07-28 (-32002 in the handshake era).
      await expect(modern.client.readResource({ uri: 'demo://nope' })).rejects.toMatchObject({
        code: -32602,
      });

      const prompt = await modern.client.getPrompt({
        name: 'summarize',
        arguments: { text: 'MCP connects models to tools.', style: 'detailed' },
      });
      expect(prompt).toMatchObject({
        description: 'Summarize a text',
        messages: [
          {
            role: 'user',
            content: {
              type: 'text',
              text: 'Summarize this text (detailed):\n\nMCP connects models to tools.',
            },
          },
        ],
      });
      expectModernResult(resultOf(modern.wire, requestsFor(modern.wire, 'prompts/get').at(-1)?.['id']));

      const completion = await modern.client.complete({
        ref: { type: 'ref/prompt', name: 'summarize' },
        argument: { name: 'style', value: 'd' },
      });
      expect(completion.completion).toEqual({ values: ['detailed'], hasMore: false });
      expectModernResult(
        resultOf(modern.wire, requestsFor(modern.wire, 'completion/complete').at(-1)?.['id']),
      );
    });

    it('fulfils elicitation through InputRequiredResult (test_input_required_result_elicitation)', async () => {
      const name = 'test_input_required_result_elicitation';
      const from = requestsFor(modern.wire, 'tools/call', name).length;
      const result = await modern.client.callTool({ name, arguments: {} });
      expect(textOf(result)).toBe('Hello, Alice!');
      expect(modern.elicitRequests.at(-1)).toEqual({
        message: 'What is your name?',
        requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      });
      const rounds = mrtrRounds(modern.wire, 'tools/call', name, from);
      expect(rounds).toHaveLength(2);
      expect(inputRequestsOf(rounds[0]?.result)).toEqual({
        user_name: { method: 'elicitation/create', params: expect.any(Object) },
      });
      expect(rounds[1]?.params['inputResponses']).toEqual({
        user_name: { action: 'accept', content: { name: 'Alice' } },
      });
      expect(serverRequests(modern.wire)).toEqual([]);
    });

    it('fulfils sampling through InputRequiredResult (test_input_required_result_sampling)', async () => {
      const name = 'test_input_required_result_sampling';
      const from = requestsFor(modern.wire, 'tools/call', name).length;
      const result = await modern.client.callTool({ name, arguments: {} });
      expect(textOf(result)).toBe(`Sampling result: ${SAMPLING_TEXT}`);
      expect(modern.samplingRequests.at(-1)).toMatchObject({
        messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }],
        maxTokens: 100,
      });
      const rounds = mrtrRounds(modern.wire, 'tools/call', name, from);
      expect(rounds).toHaveLength(2);
      expect(Object.keys(inputRequestsOf(rounds[0]?.result))).toEqual(['capital_question']);
      expect(inputRequestsOf(rounds[0]?.result)['capital_question']?.['method']).toBe(
        'sampling/createMessage',
      );
      expect(serverRequests(modern.wire)).toEqual([]);
    });

    it('fulfils roots/list through InputRequiredResult (test_input_required_result_list_roots)', async () => {
      const name = 'test_input_required_result_list_roots';
      const from = requestsFor(modern.wire, 'tools/call', name).length;
      const before = modern.rootsRequests;
      const result = await modern.client.callTool({ name, arguments: {} });
      expect(textOf(result)).toBe(`Found ${CLIENT_ROOTS.length} root(s)`);
      expect(modern.rootsRequests).toBe(before + 1);
      const rounds = mrtrRounds(modern.wire, 'tools/call', name, from);
      expect(rounds).toHaveLength(2);
      expect(inputRequestsOf(rounds[0]?.result)).toEqual({
        client_roots: { method: 'roots/list', params: {} },
      });
      expect(rounds[1]?.params['inputResponses']).toEqual({ client_roots: { roots: CLIENT_ROOTS } });
    });

    it('runs several rounds with a fresh requestState each (test_input_required_result_multi_round)', async () => {
      const name = 'test_input_required_result_multi_round';
      const from = requestsFor(modern.wire, 'tools/call', name).length;
      const result = await modern.client.callTool({ name, arguments: {} });
      expect(textOf(result)).toBe('Multi-round complete for Alice who likes blue');
      const rounds = mrtrRounds(modern.wire, 'tools/call', name, from);
      expect(rounds).toHaveLength(3);
      expect(Object.keys(inputRequestsOf(rounds[0]?.result))).toEqual(['step1']);
      expect(Object.keys(inputRequestsOf(rounds[1]?.result))).toEqual(['step2']);
      expect(rounds[1]?.result?.['requestState']).not.toBe(rounds[0]?.result?.['requestState']);
      // Each retry carries only that round's answers; earlier ones live in requestState.
      expect(rounds[1]?.params['inputResponses']).toEqual({
        step1: { action: 'accept', content: { name: 'Alice' } },
      });
      expect(rounds[2]?.params['inputResponses']).toEqual({
        step2: { action: 'accept', content: { color: 'blue' } },
      });
    });

    it('asks several inputs in one round (test_input_required_result_multiple_inputs)', async () => {
      const name = 'test_input_required_result_multiple_inputs';
      const from = requestsFor(modern.wire, 'tools/call', name).length;
      const result = await modern.client.callTool({ name, arguments: {} });
      expect(textOf(result)).toBe(`Name: Alice; Greeting: ${SAMPLING_TEXT}; Roots: ${CLIENT_ROOTS.length}`);
      const rounds = mrtrRounds(modern.wire, 'tools/call', name, from);
      expect(rounds).toHaveLength(2);
      const methods = Object.values(inputRequestsOf(rounds[0]?.result)).map((r) => r['method']);
      expect(methods.sort()).toEqual(['elicitation/create', 'roots/list', 'sampling/createMessage']);
    });

    it('serves bundle code written for server→client requests (test_elicitation, test_sampling) by replay', async () => {
      const elicit = await modern.client.callTool({
        name: 'test_elicitation',
        arguments: { message: 'Who is there?' },
      });
      expect(textOf(elicit)).toBe(
        'User response: action=accept, content={"username":"interop-v2-user","email":"interop-v2@example.com"}',
      );
      expect(modern.elicitRequests.at(-1)).toMatchObject({ message: 'Who is there?' });
      const sample = await modern.client.callTool({
        name: 'test_sampling',
        arguments: { prompt: 'Capital?' },
      });
      expect(textOf(sample)).toBe(`LLM response: ${SAMPLING_TEXT}`);
      expect(mrtrRounds(modern.wire, 'tools/call', 'test_sampling', 0)).toHaveLength(2);
      expect(serverRequests(modern.wire)).toEqual([]);
    });

    it('mirrors an x-mcp-header argument into Mcp-Param-* (base64 sentinel for non-ASCII)', async () => {
      await modern.client.listTools(); // the client takes the x-mcp-header annotations from tools/list
      const region = 'Hello, 世界';
      const result = await modern.client.callTool({ name: 'test_x_mcp_header', arguments: { region } });
      expect(textOf(result)).toBe(`region=${region}`);
      const id = requestsFor(modern.wire, 'tools/call', 'test_x_mcp_header').at(-1)?.['id'];
      expect(exchangeFor(modern, id).requestHeaders['mcp-param-region']).toBe(
        `=?base64?${Buffer.from(region).toString('base64')}?=`,
      );
      const plain = await modern.client.callTool({
        name: 'test_x_mcp_header',
        arguments: { region: 'us-west1', level: 3 },
      });
      expect(textOf(plain)).toBe('region=us-west1');
    });

    it('refuses input a request did not declare a capability for: -32021, HTTP 400', async () => {
      const bare = await connectV2Http(daemon.url, { interactive: false });
      try {
        const name = 'test_input_required_result_elicitation';
        const err: unknown = await bare.client.callTool({ name, arguments: {} }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toMatchObject({ code: -32021, data: { requiredCapabilities: { elicitation: {} } } });
        const id = requestsFor(bare.wire, 'tools/call', name).at(-1)?.['id'];
        const ex = exchangeFor(bare, id);
        expect(ex.status).toBe(400);
        expect(responseMessages(ex)).toEqual([
          {
            jsonrpc: '2.0',
            id,
            error: expect.objectContaining({
              code: -32021,
              data: { requiredCapabilities: { elicitation: {} } },
            }),
          },
        ]);
        // A tool that can do without asks nothing and completes.
        const caps = await bare.client.callTool({
          name: 'test_input_required_result_capabilities',
          arguments: {},
        });
        expect(textOf(caps)).toBe('No supported capabilities declared');
      } finally {
        await bare.close();
      }
    });

    it('fulfils input on prompts/get too (test_input_required_result_prompt)', async () => {
      const name = 'test_input_required_result_prompt';
      const from = requestsFor(modern.wire, 'prompts/get', name).length;
      const prompt = await modern.client.getPrompt({ name });
      expect(prompt.messages).toEqual([
        { role: 'user', content: { type: 'text', text: 'Prompt with context: interop context' } },
      ]);
      expect(mrtrRounds(modern.wire, 'prompts/get', name, from)).toHaveLength(2);
    });

    it('listens for tools list_changed (subscriptions/listen) and stops when the listen closes', async () => {
      const changes: unknown[] = [];
      modern.client.setNotificationHandler('notifications/tools/list_changed', (n) => {
        changes.push(n.params);
      });
      const legacyBefore = legacy.wire.notifications('notifications/tools/list_changed').length;
      const listeners = () =>
        [...daemon.daemon.engine.hub.sessions('default')].filter((s) => s.listen !== undefined).length;

      const sub = await modern.client.listen({ toolsListChanged: true });
      expect(sub.honoredFilter).toEqual({ toolsListChanged: true });
      expect(listeners()).toBe(1);

      // A prompts change first: not asked for, so it must not reach this stream (which is ordered: once the
      // tools change has arrived, a prompts change sent before it would have too).
      const prompts = await modern.client.callTool({ name: 'test_trigger_prompt_change', arguments: {} });
      expect(textOf(prompts)).toBe('Mutation triggered');
      const trigger = await modern.client.callTool({ name: 'test_trigger_tool_change', arguments: {} });
      expect(textOf(trigger)).toBe('Mutation triggered');
      await vi.waitFor(() => expect(changes).toHaveLength(1), WAIT);

      const listen = modern.http.find(
        (ex) => isObject(ex.requestBody) && ex.requestBody['method'] === 'subscriptions/listen',
      );
      expect(listen?.responseHeaders['content-type']).toMatch(/^text\/event-stream/);
      const listenId = isObject(listen?.requestBody) ? listen.requestBody['id'] : undefined;
      const tag = { _meta: { [SUBSCRIPTION_ID_KEY]: listenId } };
      await vi.waitFor(
        () =>
          expect(listen ? responseMessages(listen) : []).toEqual([
            {
              jsonrpc: '2.0',
              method: 'notifications/subscriptions/acknowledged',
              params: { ...tag, notifications: { toolsListChanged: true } },
            },
            { jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: tag },
          ]),
        WAIT,
      );

      // The handshake-era session got the same change on its own stream, untagged.
      await vi.waitFor(
        () =>
          expect(legacy.wire.notifications('notifications/tools/list_changed')).toHaveLength(
            legacyBefore + 1,
          ),
        WAIT,
      );
      expect(legacy.wire.notifications('notifications/tools/list_changed').at(-1)).toEqual({
        jsonrpc: '2.0',
        method: 'notifications/tools/list_changed',
      });

      await sub.close();
      await expect(sub.closed).resolves.toBe('local');
      // Closing the listen stream cancels it: mcpd drops the subscriber.
      await vi.waitFor(() => expect(listeners()).toBe(0), WAIT);
    });

    it('cancels a countdown when the client aborts (closes the stream) and keeps serving', async () => {
      const controller = new AbortController();
      const seen: Progress[] = [];
      const call = modern.client.callTool(
        { name: 'countdown', arguments: { n: 100, delayMs: 50 } },
        {
          signal: controller.signal,
          onprogress: (p) => {
            seen.push(p);
            if (seen.length === 1) controller.abort('v2 interop test cancels the countdown');
          },
        },
      );
      await expect(call).rejects.toThrow();
      expect(seen).toHaveLength(1);
      // Cancellation in this era is closing the stream, not notifications/cancelled.
      const id = requestsFor(modern.wire, 'tools/call', 'countdown').at(-1)?.['id'];
      expect(
        modern.wire
          .sent()
          .filter(
            (m) =>
              m['method'] === 'notifications/cancelled' &&
              isObject(m['params']) &&
              m['params']['requestId'] === id,
          ),
      ).toEqual([]);
      const echo = await modern.client.callTool({ name: 'echo', arguments: { text: 'still alive' } });
      expect(echo.content).toEqual([{ type: 'text', text: 'still alive' }]);
    });
  });

  describe('v2 client in auto negotiation mode', () => {
    it('probes with server/discover and picks 2026-07-28 (no initialize fallback)', async () => {
      const auto = await connectV2Http(daemon.url, { mode: 'auto' });
      try {
        expect(auto.client.getProtocolEra()).toBe('modern');
        expect(auto.client.getNegotiatedProtocolVersion()).toBe(MODERN);
        expect(auto.client.getDiscoverResult()?.supportedVersions).toEqual([MODERN]);
        const echo = await auto.client.callTool({ name: 'echo', arguments: { text: 'auto' } });
        expect(echo.content).toEqual([{ type: 'text', text: 'auto' }]);
        expect(auto.http[0]?.requestBody).toMatchObject({ method: 'server/discover' });
        expect(auto.http[0]?.status).toBe(200);
        expect(auto.wire.sent().map((m) => m['method'])).not.toContain('initialize');
        expect(auto.http.every((ex) => ex.method === 'POST')).toBe(true);
        expectModernResult(resultOf(auto.wire, requestsFor(auto.wire, 'tools/call', 'echo').at(-1)?.['id']));
      } finally {
        await auto.close();
      }
    });
  });

  describe('v2 client in its default (legacy) mode', () => {
    it('runs the 2025-11-25 handshake on the same endpoint, without 2026 fields', async () => {
      const old = await connectV2Http(daemon.url, { mode: 'legacy' });
      try {
        expect(old.client.getProtocolEra()).toBe('legacy');
        expect(old.client.getNegotiatedProtocolVersion()).toBe('2025-11-25');
        expect(old.http[0]?.requestBody).toMatchObject({ method: 'initialize' });
        expect(old.http[0]?.responseHeaders['mcp-session-id']).toMatch(/^[0-9a-f-]{36}$/);
        const echo = await old.client.callTool({ name: 'echo', arguments: { text: 'legacy v2' } });
        expect(echo.content).toEqual([{ type: 'text', text: 'legacy v2' }]);
        const result = resultOf(old.wire, requestsFor(old.wire, 'tools/call', 'echo').at(-1)?.['id']);
        expect(result).toEqual({ content: [{ type: 'text', text: 'legacy v2' }] });
      } finally {
        await old.close();
      }
    });
  });

  describe('a v1 client (handshake era) on the same daemon', () => {
    /** Every result the v1 session received, as it went over the wire. */
    const legacyResults = () =>
      legacy.wire
        .received()
        .filter((m) => 'result' in m)
        .map((m) => m['result'] as JsonObject);

    it('initialized 2025-11-25 with a session and keeps working while the v2 client is connected', async () => {
      expect(legacy.client.getServerVersion()).toMatchObject({ name: 'mcpd' });
      expect(legacy.wire.sent()[0]).toMatchObject({ method: 'initialize' });
      expect(legacy.wire.received()[0]).toMatchObject({ result: { protocolVersion: '2025-11-25' } });
      expect(legacy.wire.sessionId).toMatch(/^[0-9a-f-]{36}$/);

      const echo = await legacy.client.callTool({ name: 'echo', arguments: { text: 'from v1' } });
      expect(echo.content).toEqual([{ type: 'text', text: 'from v1' }]);
      const { tools } = await legacy.client.listTools();
      expect(tools.map((t) => t.name)).toContain('echo');
      await expect(legacy.client.ping()).resolves.toEqual({});

      // No 2026-07-28 decoration leaks into the handshake era.
      expect(legacyResults().length).toBeGreaterThanOrEqual(4);
      for (const result of legacyResults()) {
        expect(result).not.toHaveProperty('resultType');
        expect(result).not.toHaveProperty('ttlMs');
        expect(result).not.toHaveProperty('cacheScope');
        expect(isObject(result['_meta']) ? result['_meta'] : {}).not.toHaveProperty(SERVER_INFO_KEY);
      }
    });

    it('serves both eras at once: the same fixture asks v1 by a server→client request, v2 by input_required', async () => {
      const name = 'test_input_required_result_elicitation';
      legacy.elicitReply = { action: 'accept', content: { name: 'Bob' } };
      const modernFrom = requestsFor(modern.wire, 'tools/call', name).length;
      const legacyElicitations = legacy.elicitRequests.length;
      try {
        const [v1, v2, v1Echo, v2Echo, v1Count, v2Count] = await Promise.all([
          legacy.client.callTool({ name, arguments: {} }),
          modern.client.callTool({ name, arguments: {} }),
          legacy.client.callTool({ name: 'echo', arguments: { text: 'v1 meanwhile' } }),
          modern.client.callTool({ name: 'echo', arguments: { text: 'v2 meanwhile' } }),
          legacy.client.callTool({ name: 'countdown', arguments: { n: 3, delayMs: 10 } }),
          modern.client.callTool({ name: 'countdown', arguments: { n: 3, delayMs: 10 } }),
        ]);
        expect(firstText(v1)).toBe('Hello, Bob!');
        expect(textOf(v2)).toBe('Hello, Alice!');
        expect(firstText(v1Echo)).toBe('v1 meanwhile');
        expect(textOf(v2Echo)).toBe('v2 meanwhile');
        expect(firstText(v1Count)).toBe('Hello, countdown from 3 finished');
        expect(textOf(v2Count)).toBe('Hello, countdown from 3 finished');
      } finally {
        legacy.elicitReply = { action: 'accept', content: { ...ELICITED_CONTENT } };
      }
      // v1: a real elicitation/create request on its session, answered by its handler.
      expect(legacy.elicitRequests).toHaveLength(legacyElicitations + 1);
      expect(
        legacy.wire.received().filter((m) => m['method'] === 'elicitation/create').length,
      ).toBeGreaterThan(0);
      for (const result of legacyResults()) {
        expect(result).not.toHaveProperty('resultType');
        expect(result).not.toHaveProperty('inputRequests');
        expect(result).not.toHaveProperty('requestState');
      }
      // v2: two rounds, no server→client request.
      expect(mrtrRounds(modern.wire, 'tools/call', name, modernFrom)).toHaveLength(2);
      expect(serverRequests(modern.wire)).toEqual([]);
      // The v2 client never saw the v1 session id.
      for (const ex of modern.http) {
        expect(Object.values(ex.requestHeaders)).not.toContain(legacy.wire.sessionId);
        expect(ex.responseHeaders).not.toHaveProperty('mcp-session-id');
      }
    });

    it('answers resource-not-found with each era its own code (-32002 v1, -32602 v2)', async () => {
      await expect(legacy.client.readResource({ uri: 'demo://nope' })).rejects.toMatchObject({
        code: -32002,
      });
      await expect(modern.client.readResource({ uri: 'demo://nope' })).rejects.toMatchObject({
        code: -32602,
      });
    });
  });
});

describe('v2 SDK client (2026-07-28) ↔ mcpd stdio', () => {
  let stdio: V2Harness;

  beforeAll(async () => {
    if (!existsSync(CLI)) {
      throw new Error(`${CLI} is missing: run \`npm run build\` before the stdio interop tests`);
    }
    stdio = await connectV2Stdio(CLI, REPO, CONFORMANCE_CONFIG);
  });

  afterAll(async () => {
    await stdio?.close().catch(() => undefined);
  });

  it('connects pinned to 2026-07-28 (server/discover on the SDK probe process)', () => {
    expect(stdio.client.getProtocolEra()).toBe('modern');
    expect(stdio.client.getNegotiatedProtocolVersion()).toBe(MODERN);
    expect(stdio.client.getServerVersion()).toMatchObject({ name: 'mcpd' });
    expect(stdio.client.getServerCapabilities()).toEqual(CAPABILITIES);
    // The session process never saw initialize.
    expect(stdio.wire.sent().map((m) => m['method'])).not.toContain('initialize');
  });

  it('lists tools and calls test_simple_text', async () => {
    const { tools } = await stdio.client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain('test_simple_text');
    expect(names).toContain('test_input_required_result_elicitation');
    expectModernResult(resultOf(stdio.wire, requestsFor(stdio.wire, 'tools/list').at(-1)?.['id']), 'public');

    const result = await stdio.client.callTool({ name: 'test_simple_text', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'This is a simple text response for testing.' }]);
    const call = requestsFor(stdio.wire, 'tools/call', 'test_simple_text').at(-1);
    expect(isObject(call?.['params']) ? call['params']['_meta'] : undefined).toMatchObject({
      [PROTOCOL_VERSION_KEY]: MODERN,
    });
    expectModernResult(resultOf(stdio.wire, call?.['id']));
  });

  it('fulfils elicitation through InputRequiredResult (test_input_required_result_elicitation)', async () => {
    const name = 'test_input_required_result_elicitation';
    const from = requestsFor(stdio.wire, 'tools/call', name).length;
    const result = await stdio.client.callTool({ name, arguments: {} });
    expect(textOf(result)).toBe('Hello, Alice!');
    const rounds = mrtrRounds(stdio.wire, 'tools/call', name, from);
    expect(rounds).toHaveLength(2);
    expect(Object.keys(inputRequestsOf(rounds[0]?.result))).toEqual(['user_name']);
    expect(serverRequests(stdio.wire)).toEqual([]);
  });

  it('listens for tools list_changed on stdout, tagged with the subscription id, until cancelled', async () => {
    const changes: unknown[] = [];
    stdio.client.setNotificationHandler('notifications/tools/list_changed', (n) => {
      changes.push(n.params);
    });
    const sub = await stdio.client.listen({ toolsListChanged: true });
    expect(sub.honoredFilter).toEqual({ toolsListChanged: true });
    const listenId = requestsFor(stdio.wire, 'subscriptions/listen').at(-1)?.['id'];
    const tagged = () =>
      stdio.wire
        .received()
        .filter(
          (m) =>
            m['method'] === 'notifications/tools/list_changed' &&
            isObject(m['params']) &&
            isObject(m['params']['_meta']) &&
            m['params']['_meta'][SUBSCRIPTION_ID_KEY] === listenId,
        );

    const trigger = await stdio.client.callTool({ name: 'test_trigger_tool_change', arguments: {} });
    expect(textOf(trigger)).toBe('Mutation triggered');
    // One pipe: the notification was written before the tool's response.
    expect(tagged()).toHaveLength(1);
    await vi.waitFor(() => expect(changes).toHaveLength(1), WAIT);

    await sub.close();
    await expect(sub.closed).resolves.toBe('local');
    expect(stdio.wire.sent().at(-1)).toMatchObject({
      method: 'notifications/cancelled',
      params: { requestId: listenId },
    });
    // mcpd reads stdin in order, so the cancel is handled before this call: no more notifications for it.
    await stdio.client.callTool({ name: 'test_trigger_tool_change', arguments: {} });
    expect(tagged()).toHaveLength(1);
    // The listen request never gets a response (cancelled requests are not answered).
    expect(stdio.wire.received().filter((m) => m['id'] === listenId && !('method' in m))).toEqual([]);
  });
});

describe('v2 SDK client in auto mode ↔ mcpd stdio', () => {
  it('probes with server/discover and picks 2026-07-28', async () => {
    const auto = await connectV2Stdio(CLI, REPO, CONFORMANCE_CONFIG, { mode: 'auto', interactive: false });
    try {
      expect(auto.client.getProtocolEra()).toBe('modern');
      expect(auto.client.getNegotiatedProtocolVersion()).toBe(MODERN);
      const result = await auto.client.callTool({ name: 'test_simple_text', arguments: {} });
      expect(textOf(result)).toBe('This is a simple text response for testing.');
      expect(auto.wire.sent().map((m) => m['method'])).not.toContain('initialize');
    } finally {
      await auto.close();
    }
  });
});

describe('mcpd shutdown with an open subscriptions/listen stream', () => {
  it('ends the subscription gracefully with its subscriptions/listen result (spec SHOULD)', async () => {
    const d = await startDaemon({}, DEMO_CONFIG);
    let h: V2Harness | undefined;
    try {
      h = await connectV2Http(d.url, { interactive: false });
      const sub = await h.client.listen({ toolsListChanged: true });
      await d.close();
      const how = await sub.closed;
      const listen = h.http.find(
        (ex) => isObject(ex.requestBody) && ex.requestBody['method'] === 'subscriptions/listen',
      );
      const listenId = isObject(listen?.requestBody) ? listen.requestBody['id'] : undefined;
      // Expected last event on the stream: {"jsonrpc":"2.0","id":<listen id>,"result":{"resultType":"complete",
      // "_meta":{"io.modelcontextprotocol/subscriptionId":<listen id>, …}}}.
      expect({ how, stream: listen ? responseMessages(listen) : [] }).toEqual({
        how: 'graceful',
        stream: [
          expect.objectContaining({ method: 'notifications/subscriptions/acknowledged' }),
          {
            jsonrpc: '2.0',
            id: listenId,
            result: expect.objectContaining({
              resultType: 'complete',
              _meta: expect.objectContaining({ [SUBSCRIPTION_ID_KEY]: listenId }),
            }),
          },
        ],
      });
    } finally {
      await h?.close().catch(() => undefined);
      await d.close().catch(() => undefined);
    }
  });
});
