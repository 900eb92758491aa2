/**
 * Interop scenarios shared by the three transport test files. Each takes connected SDK harnesses and asserts
 * what mcpd must do for the official client, whatever transport carries the messages.
 */

import type { LoggingLevel, Progress } from '@modelcontextprotocol/sdk/types.js';
import {
  CallToolResultSchema,
  ErrorCode,
  LATEST_PROTOCOL_VERSION,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import { expect, vi } from 'vitest';
import { ELICITED_CONTENT, firstText, type Harness, SAMPLING_ANSWER, sleep } from './harness.js';

const DEMO_INSTRUCTIONS =
  'Demo endpoint of mcpd: echo text, add numbers, read the server status, greet someone.';

/** initialize: negotiated version, server identity, capabilities and instructions. */
export function expectInitialized(h: Harness, opts: { instructions?: string } = {}): void {
  const [first, second] = h.wire.log;
  expect(first?.direction).toBe('out');
  expect(first?.message).toMatchObject({
    method: 'initialize',
    params: { protocolVersion: LATEST_PROTOCOL_VERSION },
  });
  expect(second?.direction).toBe('in');
  expect(second?.message).toMatchObject({ result: { protocolVersion: '2025-11-25' } });
  expect(LATEST_PROTOCOL_VERSION).toBe('2025-11-25');

  expect(h.client.getServerVersion()).toMatchObject({ name: 'mcpd', version: expect.any(String) });
  expect(h.client.getServerCapabilities()).toEqual({
    logging: {},
    completions: {},
    prompts: { listChanged: true },
    resources: { subscribe: true, listChanged: true },
    tools: { listChanged: true },
    tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
  });
  if (opts.instructions !== undefined) expect(h.client.getInstructions()).toBe(opts.instructions);
  // The client followed up with notifications/initialized.
  expect(h.wire.sent().some((m) => m['method'] === 'notifications/initialized')).toBe(true);
}

export const expectDemoInitialized = (h: Harness) =>
  expectInitialized(h, { instructions: DEMO_INSTRUCTIONS });

/** tools/list on the demo endpoint. */
export async function listDemoTools(h: Harness): Promise<void> {
  const { tools, nextCursor } = await h.client.listTools();
  expect(nextCursor).toBeUndefined();
  expect(tools.map((t) => t.name).sort()).toEqual(['add', 'countdown', 'echo']);
  const byName = new Map(tools.map((t) => [t.name, t]));
  expect(byName.get('echo')).toMatchObject({
    title: 'Echo',
    inputSchema: { type: 'object', required: ['text'] },
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  });
  expect(byName.get('add')?.outputSchema).toMatchObject({ type: 'object', required: ['sum'] });
  expect(byName.get('countdown')?.inputSchema.properties).toHaveProperty('delayMs');
}

/** tools/call of echo and add (structured content), plus an argument-validation failure. */
export async function callEchoAndAdd(h: Harness): Promise<void> {
  const text = 'héllo from the SDK ✓ "quoted" \n second line';
  const echo = await h.client.callTool({ name: 'echo', arguments: { text } });
  expect(echo.isError).toBeFalsy();
  expect(echo.content).toEqual([{ type: 'text', text }]);

  // After tools/list the SDK also validates structuredContent against the advertised outputSchema.
  await h.client.listTools();
  const add = await h.client.callTool({ name: 'add', arguments: { a: 2.5, b: 40 } });
  expect(add.isError).toBeFalsy();
  expect(add.structuredContent).toEqual({ sum: 42.5 });
  expect(JSON.parse(firstText(add))).toEqual({ sum: 42.5 });

  const bad = await h.client.callTool({ name: 'echo', arguments: {} });
  expect(bad.isError).toBe(true);
  expect(firstText(bad)).toMatch(/Invalid arguments for tool echo/);

  await expect(h.client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toMatchObject({
    code: ErrorCode.InvalidParams,
  });
}

/**
 * Checks the progress of one request: on the wire, exactly `expected` for its token (so none duplicated), all
 * before its response; through `onprogress`, the same in order. The SDK 1.x client dispatches notifications a
 * microtask later than responses, so progress notifications that arrive in the same read as the response are
 * dropped with "unknown token" (modelcontextprotocol/typescript-sdk#2580, a client race servers cannot
 * avoid): `updates` may lack a tail of `expected`, and then each missing one must show up as that error.
 */
export function expectProgress(
  h: Harness,
  id: number | string | undefined,
  updates: Progress[],
  expected: Progress[],
) {
  expect(id).toBeDefined();
  const wire = h.wire.log
    .filter((e) => e.direction === 'in')
    .map((e) => e.message as Record<string, unknown>);
  const mine = wire.filter(
    (m) =>
      m['method'] === 'notifications/progress' &&
      (m['params'] as { progressToken?: unknown }).progressToken === id,
  );
  expect(
    mine.map((m) => {
      const { progressToken: _token, ...rest } = m['params'] as Record<string, unknown>;
      return rest;
    }),
  ).toEqual(expected);
  const responseAt = wire.findIndex((m) => m['id'] === id && !('method' in m));
  expect(responseAt).toBeGreaterThan(-1);
  expect(wire.indexOf(mine.at(-1) as Record<string, unknown>)).toBeLessThan(responseAt);

  expect(updates).toEqual(expected.slice(0, updates.length));
  // Whatever onprogress missed was dropped by the SDK as "unknown token" (it came in the response's batch).
  const dropped = h.errors.flatMap((e) => {
    const at = e.message.indexOf('unknown token: ');
    if (at === -1) return [];
    const params = (JSON.parse(e.message.slice(at + 'unknown token: '.length)) as { params?: Progress })
      .params;
    return params && (params as Record<string, unknown>)['progressToken'] === id ? [params.progress] : [];
  });
  expect(dropped).toEqual(expected.slice(updates.length).map((p) => p.progress));
}

/** Progress notifications reach onprogress, in order, tagged with the request's progress token. */
export async function countdownProgress(h: Harness): Promise<void> {
  const updates: Progress[] = [];
  const result = await h.client.callTool(
    { name: 'countdown', arguments: { n: 3, delayMs: 20 } },
    CallToolResultSchema,
    { onprogress: (p) => updates.push(p) },
  );
  expect(firstText(result)).toBe('Hello, countdown from 3 finished');
  expectProgress(h, h.wire.lastRequestId('tools/call', 'countdown'), updates, [
    { progress: 0, total: 3, message: '3 left' },
    { progress: 1, total: 3, message: '2 left' },
    { progress: 2, total: 3, message: '1 left' },
    { progress: 3, total: 3, message: 'done' },
  ]);
}

export interface CancelOptions {
  /** Resolves once the daemon has no request in flight (in-process daemons only). */
  waitUntilIdle?: () => Promise<void>;
}

/**
 * Cancels a long countdown with an AbortSignal after its first progress event: the call rejects, the daemon
 * stops the tool (no response and no further progress for that request) and keeps serving the session.
 */
export async function cancelCountdown(h: Harness, opts: CancelOptions = {}): Promise<void> {
  const controller = new AbortController();
  const seen: Progress[] = [];
  const call = h.client.callTool(
    { name: 'countdown', arguments: { n: 100, delayMs: 50 } },
    CallToolResultSchema,
    {
      signal: controller.signal,
      onprogress: (p) => {
        seen.push(p);
        if (seen.length === 1) controller.abort('interop test cancels the countdown');
      },
    },
  );
  await expect(call).rejects.toThrow(/interop test cancels the countdown/);
  expect(seen).toHaveLength(1);
  const id = h.wire.lastRequestId('tools/call', 'countdown');
  expect(id).toBeDefined();
  const cancelled = h.wire.sent().filter((m) => m['method'] === 'notifications/cancelled');
  expect(cancelled.at(-1)).toMatchObject({ params: { requestId: id } });

  // The session keeps serving: ping and a tool call on the same connection.
  await expect(h.client.ping()).resolves.toEqual({});
  await opts.waitUntilIdle?.();
  const echo = await h.client.callTool({ name: 'echo', arguments: { text: 'still alive' } });
  expect(echo.content).toEqual([{ type: 'text', text: 'still alive' }]);

  // The tool really stopped: over a window in which an uncancelled countdown (50 ms steps) would report
  // several more steps, no progress for the cancelled token arrives, and the request is never answered.
  const progressFor = () =>
    h.wire
      .notifications('notifications/progress')
      .filter((n) => (n['params'] as { progressToken?: unknown }).progressToken === id).length;
  const before = progressFor();
  await sleep(600);
  expect(progressFor()).toBe(before);
  expect(h.wire.responsesTo(id as number | string)).toEqual([]);
}

/** sampling/createMessage round trip through the conformance test_sampling tool. */
export async function samplingRoundTrip(h: Harness): Promise<void> {
  const prompt = 'What is the answer to life, the universe and everything?';
  const before = h.samplingRequests.length;
  const result = await h.client.callTool({ name: 'test_sampling', arguments: { prompt } });
  expect(result.isError).toBeFalsy();
  expect(firstText(result)).toBe(`LLM response: ${SAMPLING_ANSWER}`);
  expect(h.samplingRequests).toHaveLength(before + 1);
  expect(h.samplingRequests.at(-1)).toMatchObject({
    messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
    maxTokens: 100,
  });
  // The server→client request travelled with a JSON-RPC id and the client answered it.
  const requests = h.wire.received().filter((m) => m['method'] === 'sampling/createMessage');
  expect(requests).toHaveLength(before + 1);
  const serverId = requests.at(-1)?.['id'];
  expect(serverId).toBeDefined();
  const answer = h.wire.sent().find((m) => 'result' in m && m['id'] === serverId);
  expect(answer).toMatchObject({ result: { model: 'interop-test-model', role: 'assistant' } });
}

/** A client that declared no sampling capability gets a tool error, not a hang. */
export async function samplingWithoutCapability(h: Harness): Promise<void> {
  const result = await h.client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } });
  expect(result.isError).toBe(true);
  expect(firstText(result)).toMatch(/does not support sampling/);
  expect(h.wire.received().some((m) => m['method'] === 'sampling/createMessage')).toBe(false);
}

/** Form-mode elicitation round trip (accept, then decline) through the conformance test_elicitation tool. */
export async function elicitationRoundTrip(h: Harness): Promise<void> {
  const message = 'Please tell the interop test who you are';
  const accepted = await h.client.callTool({ name: 'test_elicitation', arguments: { message } });
  expect(accepted.isError).toBeFalsy();
  expect(firstText(accepted)).toBe(
    `User response: action=accept, content=${JSON.stringify(ELICITED_CONTENT)}`,
  );
  const request = h.elicitRequests.at(-1);
  expect(request).toMatchObject({
    message,
    requestedSchema: {
      type: 'object',
      properties: { username: { type: 'string' }, email: { type: 'string' } },
      required: ['username', 'email'],
    },
  });
  expect(request?.mode ?? 'form').toBe('form');

  h.elicitReply = { action: 'decline' };
  try {
    const declined = await h.client.callTool({ name: 'test_elicitation', arguments: { message } });
    expect(firstText(declined)).toBe('User response: action=decline, content={}');
  } finally {
    h.elicitReply = { action: 'accept', content: { ...ELICITED_CONTENT } };
  }
}

/** resources/list, resources/templates/list and resources/read (exact URI, template, unknown URI). */
export async function demoResources(h: Harness): Promise<void> {
  const { resources } = await h.client.listResources();
  expect(resources).toEqual([
    {
      uri: 'demo://status',
      name: 'status',
      title: 'Server status',
      description: 'Uptime of the demo bundle',
      mimeType: 'application/json',
    },
  ]);
  const status = await h.client.readResource({ uri: 'demo://status' });
  expect(status.contents).toHaveLength(1);
  const [content] = status.contents;
  expect(content).toMatchObject({ uri: 'demo://status', mimeType: 'application/json' });
  const body = JSON.parse(String((content as { text?: unknown }).text)) as Record<string, unknown>;
  expect(body['status']).toBe('ok');
  expect(typeof body['uptimeMs']).toBe('number');

  const { resourceTemplates } = await h.client.listResourceTemplates();
  expect(resourceTemplates).toEqual([
    {
      uriTemplate: 'demo://greeting/{name}',
      name: 'greeting',
      title: 'Greeting',
      description: 'A greeting for a name',
      mimeType: 'text/plain',
    },
  ]);
  const greeting = await h.client.readResource({ uri: 'demo://greeting/Interop' });
  expect(greeting.contents).toEqual([
    { uri: 'demo://greeting/Interop', mimeType: 'text/plain', text: 'Hello, Interop!' },
  ]);

  const missing = await h.client.readResource({ uri: 'demo://nope' }).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(missing).toBeInstanceOf(McpError);
  expect((missing as McpError).code).toBe(-32002);
}

/** A binary resource and a template resource of the conformance endpoint. */
export async function conformanceResources(h: Harness): Promise<void> {
  const binary = await h.client.readResource({ uri: 'test://static-binary' });
  expect(binary.contents).toHaveLength(1);
  expect(binary.contents[0]).toMatchObject({ uri: 'test://static-binary', mimeType: 'image/png' });
  const blob = (binary.contents[0] as { blob?: unknown }).blob;
  expect(typeof blob).toBe('string');
  expect(Buffer.from(String(blob), 'base64').subarray(1, 4).toString('latin1')).toBe('PNG');

  const data = await h.client.readResource({ uri: 'test://template/42/data' });
  expect(JSON.parse(String((data.contents[0] as { text?: unknown }).text))).toEqual({
    id: '42',
    templateTest: true,
    data: 'Data for ID: 42',
  });
}

/** prompts/list and prompts/get, including a missing required argument. */
export async function demoPrompts(h: Harness): Promise<void> {
  const { prompts } = await h.client.listPrompts();
  expect(prompts).toEqual([
    {
      name: 'summarize',
      title: 'Summarize a text',
      description: 'Asks the model to summarize a text in a given style.',
      arguments: [
        { name: 'text', description: 'The text to summarize', required: true },
        { name: 'style', description: 'brief or detailed', required: false },
      ],
    },
  ]);
  const prompt = await h.client.getPrompt({
    name: 'summarize',
    arguments: { text: 'MCP connects models to tools.', style: 'detailed' },
  });
  expect(prompt).toEqual({
    description: 'Summarize a text',
    messages: [
      {
        role: 'user',
        content: { type: 'text', text: 'Summarize this text (detailed):\n\nMCP connects models to tools.' },
      },
    ],
  });
  await expect(h.client.getPrompt({ name: 'summarize', arguments: {} })).rejects.toMatchObject({
    code: ErrorCode.InvalidParams,
  });
}

/** completion/complete for a prompt argument of the demo endpoint. */
export async function demoCompletion(h: Harness): Promise<void> {
  const d = await h.client.complete({
    ref: { type: 'ref/prompt', name: 'summarize' },
    argument: { name: 'style', value: 'd' },
  });
  expect(d.completion).toEqual({ values: ['detailed'], hasMore: false });
  const all = await h.client.complete({
    ref: { type: 'ref/prompt', name: 'summarize' },
    argument: { name: 'style', value: '' },
  });
  expect(all.completion.values).toEqual(['brief', 'detailed']);
}

/** completion/complete for a resource-template variable of the conformance endpoint. */
export async function templateCompletion(h: Harness): Promise<void> {
  const res = await h.client.complete({
    ref: { type: 'ref/resource', uri: 'test://template/{id}/data' },
    argument: { name: 'id', value: '4' },
  });
  expect(res.completion).toEqual({ values: ['42'], total: 1, hasMore: false });
}

/** logging/setLevel filters the demo countdown's debug logs. */
export async function demoLogging(h: Harness): Promise<void> {
  const countdownLogs = () => h.logs.filter((l) => l.logger === 'countdown');
  await h.client.setLoggingLevel('debug');
  h.logs.length = 0;
  await h.client.callTool({ name: 'countdown', arguments: { n: 2, delayMs: 0 } });
  expect(countdownLogs()).toEqual([
    { level: 'debug', logger: 'countdown', data: { remaining: 2 } },
    { level: 'debug', logger: 'countdown', data: { remaining: 1 } },
  ]);

  await h.client.setLoggingLevel('info');
  h.logs.length = 0;
  const result = await h.client.callTool({ name: 'countdown', arguments: { n: 2, delayMs: 0 } });
  expect(firstText(result)).toBe('Hello, countdown from 2 finished');
  expect(h.logs).toEqual([]);
  await expect(h.client.setLoggingLevel('verbose' as unknown as LoggingLevel)).rejects.toMatchObject({
    code: ErrorCode.InvalidParams,
  });
}

/** logging/setLevel filters the conformance test_tool_with_logging's info logs. */
export async function conformanceLogging(h: Harness): Promise<void> {
  await h.client.setLoggingLevel('info');
  h.logs.length = 0;
  await h.client.callTool({ name: 'test_tool_with_logging', arguments: {} });
  expect(h.logs).toEqual([
    { level: 'info', data: 'Tool execution started' },
    { level: 'info', data: 'Tool processing data' },
    { level: 'info', data: 'Tool execution completed' },
  ]);

  await h.client.setLoggingLevel('warning');
  h.logs.length = 0;
  const result = await h.client.callTool({ name: 'test_tool_with_logging', arguments: {} });
  expect(firstText(result)).toBe('Tool with logging executed successfully');
  expect(h.logs).toEqual([]);
}

/** What close_then_finish reports. */
export const POLLING_PROGRESS: Progress[] = [
  { progress: 1, total: 3, message: 'before closeStream' },
  { progress: 2, total: 3, message: 'after closeStream' },
  { progress: 3, total: 3, message: 'done' },
];

/** The ToolContext contract: closeStream() returns false where the transport cannot resume a stream. */
export async function closeStreamUnsupported(h: Harness): Promise<void> {
  const updates: Progress[] = [];
  const result = await h.client.callTool(
    { name: 'close_then_finish', arguments: { delayMs: 20 } },
    CallToolResultSchema,
    { onprogress: (p) => updates.push(p) },
  );
  expect(firstText(result)).toBe('closeStream returned false');
  expectProgress(h, h.wire.lastRequestId('tools/call', 'close_then_finish'), updates, POLLING_PROGRESS);
}

/** Waits (bounded) until `count()` is zero. */
export async function waitForZero(count: () => number, what: string): Promise<void> {
  await vi.waitFor(
    () => {
      if (count() !== 0) throw new Error(`${what}: still ${count()}`);
    },
    { timeout: 10_000, interval: 20 },
  );
}
