/**
 * Connects the official v2 SDK client (`@modelcontextprotocol/client`) to mcpd over Streamable HTTP or stdio,
 * with the client-side features the 2026-07-28 interop tests exercise: handlers for elicitation, sampling and
 * roots (which the v2 client also uses to fulfil InputRequiredResult rounds), and a recording of the wire.
 *
 * HTTP is recorded at the fetch level (method, headers, body, status and the response as it streams in, JSON or
 * SSE), so tests can see what no SDK type exposes: resultType, the _meta envelope, session headers. stdio is
 * recorded at the message level by chaining the transport's callbacks.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  Client,
  type CreateMessageResult,
  type ElicitRequest,
  type ElicitResult,
  type JSONRPCMessage,
  type ListRootsResult,
  StreamableHTTPClientTransport,
  type Transport,
  type VersionNegotiationMode,
} from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { CONFORMANCE_CONFIG, DEMO_CONFIG } from '../../helpers/daemon.js';

export const MODERN = '2026-07-28';
export const PROTOCOL_VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';
export const CLIENT_CAPABILITIES_KEY = 'io.modelcontextprotocol/clientCapabilities';
export const SERVER_INFO_KEY = 'io.modelcontextprotocol/serverInfo';
export const SUBSCRIPTION_ID_KEY = 'io.modelcontextprotocol/subscriptionId';

/** What the fake user types into a form, by property name; only the properties a schema asks for are sent. */
export const FORM_ANSWERS: Readonly<Record<string, unknown>> = {
  name: 'Alice',
  color: 'blue',
  context: 'interop context',
  ok: true,
  username: 'interop-v2-user',
  email: 'interop-v2@example.com',
};
export const SAMPLING_TEXT = 'Paris, says the v2 interop model';
export const CLIENT_ROOTS: ListRootsResult['roots'] = [
  { uri: 'file:///interop/first', name: 'First' },
  { uri: 'file:///interop/second', name: 'Second' },
];

export type JsonObject = Record<string, unknown>;

export const isObject = (v: unknown): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** One HTTP request the v2 client made, with the response as far as it has arrived. */
export interface HttpExchange {
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  /** The parsed JSON body (undefined for GET/DELETE). */
  requestBody: unknown;
  status: number;
  responseHeaders: Record<string, string>;
  /** The body received so far; an SSE stream keeps growing until it ends. */
  responseText: string;
}

/** JSON-RPC messages in a response body: one JSON value, or the data of each SSE event. */
export function responseMessages(ex: HttpExchange): JsonObject[] {
  const type = ex.responseHeaders['content-type'] ?? '';
  if (type.startsWith('text/event-stream')) {
    const out: JsonObject[] = [];
    // Only complete events (terminated by a blank line) count.
    const blocks = ex.responseText.replace(/\r\n/g, '\n').split('\n\n').slice(0, -1);
    for (const block of blocks) {
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data === '') continue;
      const value: unknown = JSON.parse(data);
      if (isObject(value)) out.push(value);
    }
    return out;
  }
  if (type.startsWith('application/json') && ex.responseText !== '') {
    const value: unknown = JSON.parse(ex.responseText);
    return (Array.isArray(value) ? (value as unknown[]) : [value]).filter(isObject);
  }
  return [];
}

/**
 * A fetch that records every exchange. The response body the client reads is piped through a tap that records
 * each chunk before passing it on, so whatever the client has seen is already in `responseText`.
 */
export function recordingFetch(): {
  fetch: (url: string | URL, init?: RequestInit) => Promise<Response>;
  exchanges: HttpExchange[];
} {
  const exchanges: HttpExchange[] = [];
  const recorder = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const res = await fetch(url, init);
    const body = typeof init?.body === 'string' ? init.body : undefined;
    const ex: HttpExchange = {
      method: init?.method ?? 'GET',
      url: String(url),
      requestHeaders: Object.fromEntries(new Headers(init?.headers).entries()),
      requestBody: body === undefined ? undefined : (JSON.parse(body) as unknown),
      status: res.status,
      responseHeaders: Object.fromEntries(res.headers.entries()),
      responseText: '',
    };
    exchanges.push(ex);
    if (res.body === null || [101, 204, 205, 304].includes(res.status)) return res;
    const decoder = new TextDecoder();
    const tap = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        ex.responseText += decoder.decode(chunk, { stream: true });
        controller.enqueue(chunk);
      },
    });
    return new Response(res.body.pipeThrough(tap), {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  };
  return { fetch: recorder, exchanges };
}

export interface V2Wire {
  /** Messages the client sent, in order. */
  sent(): JsonObject[];
  /** Messages the server sent, in order (per HTTP response; across responses, in request order). */
  received(): JsonObject[];
}

export interface V2Harness {
  client: Client;
  wire: V2Wire;
  /** HTTP only: every request with its response. */
  http: HttpExchange[];
  elicitRequests: ElicitRequest['params'][];
  samplingRequests: JsonObject[];
  rootsRequests: number;
  /** Errors the SDK reported through Client.onerror. */
  errors: Error[];
  /** stdio only: what mcpd wrote to stderr. */
  stderr(): string;
  close(): Promise<void>;
}

export interface V2Options {
  /** Negotiation mode; the default pins 2026-07-28 so a fallback to initialize fails loudly. */
  mode?: VersionNegotiationMode;
  /** Declare (and handle) elicitation, sampling and roots. Default true. */
  interactive?: boolean;
}

function newClient(opts: V2Options): Client {
  const interactive = opts.interactive ?? true;
  return new Client(
    { name: 'mcpd-interop-v2', version: '2.4.0-test' },
    {
      versionNegotiation: { mode: opts.mode ?? { pin: MODERN } },
      capabilities: interactive ? { elicitation: {}, sampling: {}, roots: {} } : {},
    },
  );
}

function attachHandlers(h: V2Harness, interactive: boolean): void {
  h.client.onerror = (err) => h.errors.push(err);
  if (!interactive) return;
  h.client.setRequestHandler('elicitation/create', (req): ElicitResult => {
    h.elicitRequests.push(req.params);
    const schema = 'requestedSchema' in req.params ? req.params.requestedSchema : undefined;
    const content: Record<string, string | number | boolean> = {};
    for (const key of Object.keys(schema?.properties ?? {})) {
      const answer = FORM_ANSWERS[key];
      if (typeof answer === 'string' || typeof answer === 'number' || typeof answer === 'boolean')
        content[key] = answer;
    }
    return { action: 'accept', content };
  });
  h.client.setRequestHandler('sampling/createMessage', (req): CreateMessageResult => {
    h.samplingRequests.push({ ...req.params });
    return {
      model: 'interop-v2-model',
      role: 'assistant',
      content: { type: 'text', text: SAMPLING_TEXT },
      stopReason: 'endTurn',
    };
  });
  h.client.setRequestHandler('roots/list', (): ListRootsResult => {
    h.rootsRequests += 1;
    return { roots: CLIENT_ROOTS };
  });
}

function baseHarness(client: Client): V2Harness {
  return {
    client,
    wire: { sent: () => [], received: () => [] },
    http: [],
    elicitRequests: [],
    samplingRequests: [],
    rootsRequests: 0,
    errors: [],
    stderr: () => '',
    close: () => client.close(),
  };
}

/** Connects a v2 client over Streamable HTTP to `${base}/default/mcp`. */
export async function connectV2Http(base: string, opts: V2Options = {}): Promise<V2Harness> {
  const client = newClient(opts);
  const { fetch, exchanges } = recordingFetch();
  const h = baseHarness(client);
  h.http = exchanges;
  h.wire = {
    sent: () =>
      exchanges.flatMap((ex) =>
        Array.isArray(ex.requestBody)
          ? (ex.requestBody as unknown[]).filter(isObject)
          : isObject(ex.requestBody)
            ? [ex.requestBody]
            : [],
      ),
    received: () => exchanges.flatMap(responseMessages),
  };
  attachHandlers(h, opts.interactive ?? true);
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/default/mcp`), { fetch }));
  return h;
}

/**
 * Spawns `node dist/cli/main.js stdio --config FILE` through the SDK's own StdioClientTransport (in a pinned or
 * auto mode the SDK probes with server/discover on a short-lived sibling process first) and connects.
 */
export async function connectV2Stdio(
  cli: string,
  cwd: string,
  configFile: string,
  opts: V2Options = {},
): Promise<V2Harness> {
  const client = newClient(opts);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cli, 'stdio', '--config', configFile],
    cwd,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const sent: JsonObject[] = [];
  const received: JsonObject[] = [];
  recordMessages(transport, sent, received);
  const h = baseHarness(client);
  h.wire = { sent: () => [...sent], received: () => [...received] };
  h.stderr = () => stderr;
  attachHandlers(h, opts.interactive ?? true);
  try {
    await client.connect(transport);
  } catch (err) {
    throw new Error(`v2 client could not connect to mcpd stdio: ${String(err)}\nstderr:\n${stderr}`, {
      cause: err,
    });
  }
  return h;
}

/** Records a transport's traffic: Protocol.connect chains an onmessage set before it, and send is wrapped. */
function recordMessages(transport: Transport, sent: JsonObject[], received: JsonObject[]): void {
  transport.onmessage = (message: JSONRPCMessage) => {
    received.push({ ...message });
  };
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    sent.push({ ...message });
    return send(message, options);
  };
}

/** The result of the client request with this id, as it went over the wire. */
export function resultOf(wire: V2Wire, id: unknown): JsonObject | undefined {
  const response = wire.received().find((m) => m['id'] === id && !('method' in m));
  const result = response?.['result'];
  return isObject(result) ? result : undefined;
}

/** The client's requests (method and, for tools/call, tool name), in order. */
export function requestsFor(wire: V2Wire, method: string, name?: string): JsonObject[] {
  return wire.sent().filter((m) => {
    if (m['method'] !== method || !('id' in m)) return false;
    const params = m['params'];
    return name === undefined || (isObject(params) && params['name'] === name);
  });
}

/** Server→client JSON-RPC requests (which the 2026-07-28 era must never send). */
export const serverRequests = (wire: V2Wire): JsonObject[] =>
  wire.received().filter((m) => 'method' in m && 'id' in m);

/** Text of the first text block of a tool result. */
export function textOf(result: unknown): string {
  const content = isObject(result) ? result['content'] : undefined;
  for (const block of Array.isArray(content) ? (content as unknown[]) : []) {
    if (isObject(block) && block['type'] === 'text' && typeof block['text'] === 'string')
      return block['text'];
  }
  throw new Error(`no text content in ${JSON.stringify(result)}`);
}

export interface CombinedConfig {
  path: string;
  cleanup(): Promise<void>;
}

/**
 * One endpoint with the demo tools (echo, add, countdown, …) AND the conformance fixtures, so a single daemon on
 * `/default/mcp` serves every scenario. Written to a temp dir with absolute bundle paths; examples/ is untouched.
 */
export async function writeCombinedConfig(): Promise<CombinedConfig> {
  const read = async (file: string): Promise<JsonObject> => {
    const value: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (!isObject(value)) throw new Error(`${file} is not a JSON object`);
    const modules = Array.isArray(value['modules']) ? (value['modules'] as unknown[]) : [];
    value['modules'] = modules.filter(isObject).map((m) => ({
      ...m,
      source: resolve(dirname(file), typeof m['source'] === 'string' ? m['source'] : '.'),
    }));
    return value;
  };
  const [demo, conformance] = await Promise.all([read(DEMO_CONFIG), read(CONFORMANCE_CONFIG)]);
  const list = (o: JsonObject, key: string): unknown[] =>
    Array.isArray(o[key]) ? (o[key] as unknown[]) : [];
  const combined: JsonObject = { instructions: demo['instructions'] };
  for (const key of ['tools', 'resources', 'resourceTemplates', 'prompts', 'module_links', 'modules']) {
    combined[key] = [...list(demo, key), ...list(conformance, key)];
  }
  const dir = await mkdtemp(join(tmpdir(), 'mcpd-interop-v2-'));
  const path = join(dir, 'mcp.json');
  await writeFile(path, JSON.stringify(combined, null, 2));
  return { path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
