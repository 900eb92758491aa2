/**
 * Shared plumbing for the HTTP integration tests: a daemon on a free loopback port, JSON-RPC over fetch,
 * and a raw node:http Server-Sent Events reader (events, ids, `retry:` lines and comments as sent on the wire).
 */
import { type IncomingHttpHeaders, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { STREAMABLE_HEADERS } from '../helpers/daemon.js';

export { DEMO_CONFIG, initSession, STREAMABLE_HEADERS, startDaemon } from '../helpers/daemon.js';

/** The demo tools (echo, countdown) plus `touch` (server notification on GET streams) and failing code. */
export const FIXTURE_CONFIG = fileURLToPath(new URL('./fixtures/mcp.json', import.meta.url));

// ---------------------------------------------------------------------------------------------------------------
// Narrowing helpers (no `any`).

export function asRecord(value: unknown, what = 'value'): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${what} is not an object: ${JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

export function asArray(value: unknown, what = 'value'): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what} is not an array: ${JSON.stringify(value)}`);
  return value;
}

/** The `error` member of a JSON-RPC error response. */
export function rpcError(body: unknown): { code: unknown; message: unknown; data: unknown } {
  const err = asRecord(asRecord(body, 'response')['error'], 'response.error');
  return { code: err['code'], message: err['message'], data: err['data'] };
}

/** The `result` member of a JSON-RPC success response. */
export function rpcResult(body: unknown): Record<string, unknown> {
  const res = asRecord(body, 'response');
  if ('error' in res) throw new Error(`expected a result, got an error: ${JSON.stringify(res)}`);
  return asRecord(res['result'], 'response.result');
}

/** The text of the first content item of a CallToolResult. */
export function firstText(result: Record<string, unknown>): unknown {
  const content = asArray(result['content'], 'result.content');
  return asRecord(content[0], 'content[0]')['text'];
}

/** Fails when a response body leaks a stack trace or server file paths. */
export function expectNoStack(text: string): void {
  expect(text).not.toMatch(/\bat .*[\\/].*:\d+:\d+/);
  expect(text).not.toMatch(/\n\s+at /);
  expect(text).not.toMatch(/\\n\s+at /);
  expect(text).not.toMatch(/node_modules|[\\/]src[\\/]|file:\/\/|\.ts:\d+/);
  expect(text.toLowerCase()).not.toContain('stack');
}

// ---------------------------------------------------------------------------------------------------------------
// JSON-RPC over fetch.

export interface HttpReply {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  json: unknown;
}

export async function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpReply> {
  const res = await fetch(url, {
    method: init.method ?? 'POST',
    headers: init.headers ?? {},
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** POSTs one JSON value to `/default/mcp` as a Streamable HTTP client of session `sid`. */
export function postMcp(
  base: string,
  sid: string | undefined,
  body: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<HttpReply> {
  const headers: Record<string, string> = { ...STREAMABLE_HEADERS, ...extraHeaders };
  if (sid !== undefined) headers['mcp-session-id'] = sid;
  return send(`${base}/default/mcp`, {
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export const rpc = (id: number | string, method: string, params?: Record<string, unknown>) =>
  params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params };

/** Calls the echo tool and asserts the daemon answers normally. */
export async function expectServes(base: string, sid: string, text = 'still alive'): Promise<void> {
  const reply = await postMcp(base, sid, rpc(9001, 'tools/call', { name: 'echo', arguments: { text } }));
  expect(reply.status).toBe(200);
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  expect(firstText(rpcResult(reply.json))).toBe(text);
}

// ---------------------------------------------------------------------------------------------------------------
// Raw Server-Sent Events over node:http.

export interface SseEvent {
  id: string | undefined;
  event: string | undefined;
  /** Data lines joined with \n; '' for the priming event's empty `data:` line. */
  data: string;
  retry: number | undefined;
}

export type SseItem = { kind: 'event'; event: SseEvent } | { kind: 'comment'; text: string };

/** Incremental SSE parser (WHATWG rules, simplified: every field block is reported, even with empty data). */
export class SseParser {
  private buffer = '';
  private id: string | undefined;
  private event: string | undefined;
  private data: string[] = [];
  private retry: number | undefined;
  private hasField = false;

  feed(chunk: string): SseItem[] {
    this.buffer += chunk;
    const out: SseItem[] = [];
    for (;;) {
      const nl = this.buffer.indexOf('\n');
      if (nl === -1) break;
      let line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (this.hasField) {
          out.push({
            kind: 'event',
            event: { id: this.id, event: this.event, data: this.data.join('\n'), retry: this.retry },
          });
        }
        this.id = undefined;
        this.event = undefined;
        this.data = [];
        this.retry = undefined;
        this.hasField = false;
        continue;
      }
      if (line.startsWith(':')) {
        out.push({ kind: 'comment', text: line.slice(1).trim() });
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      this.hasField = true;
      if (field === 'id') this.id = value;
      else if (field === 'event') this.event = value;
      else if (field === 'data') this.data.push(value);
      else if (field === 'retry') this.retry = Number(value);
    }
    return out;
  }
}

export function parseSse(text: string): SseEvent[] {
  return new SseParser()
    .feed(text.endsWith('\n\n') ? text : `${text}\n\n`)
    .flatMap((i) => (i.kind === 'event' ? [i.event] : []));
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Next event or comment; undefined once the stream has ended. */
  nextItem(): Promise<SseItem | undefined>;
  /** Next event (comments skipped); undefined once the stream has ended. */
  nextEvent(): Promise<SseEvent | undefined>;
  /** Every remaining event until the server ends the response. */
  rest(): Promise<SseEvent[]>;
  /** The whole raw body (for non-SSE responses). */
  text(): Promise<string>;
  /** Resolves when the server ends the response (or the connection closes). */
  readonly ended: Promise<void>;
  /** Aborts the connection from the client side. */
  close(): void;
}

/** Sends one request with node:http (any headers, Host included) and reads the response incrementally. */
export function rawRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers }, (res) => {
      res.setEncoding('utf8');
      const parser = new SseParser();
      const items: SseItem[] = [];
      const waiters: Array<(item: SseItem | undefined) => void> = [];
      let raw = '';
      let done = false;
      let markEnded: () => void = () => {};
      const ended = new Promise<void>((r) => {
        markEnded = r;
      });
      const finish = () => {
        if (done) return;
        done = true;
        for (const w of waiters.splice(0)) w(undefined);
        markEnded();
      };
      res.on('data', (chunk: string) => {
        raw += chunk;
        for (const item of parser.feed(chunk)) {
          const w = waiters.shift();
          if (w) w(item);
          else items.push(item);
        }
      });
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
      const nextItem = (): Promise<SseItem | undefined> => {
        const item = items.shift();
        if (item) return Promise.resolve(item);
        if (done) return Promise.resolve(undefined);
        return new Promise((r) => waiters.push(r));
      };
      const nextEvent = async (): Promise<SseEvent | undefined> => {
        for (;;) {
          const item = await nextItem();
          if (item === undefined) return undefined;
          if (item.kind === 'event') return item.event;
        }
      };
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        nextItem,
        nextEvent,
        async rest() {
          const events: SseEvent[] = [];
          for (let e = await nextEvent(); e !== undefined; e = await nextEvent()) events.push(e);
          return events;
        },
        async text() {
          await ended;
          return raw;
        },
        ended,
        close() {
          req.destroy();
          res.destroy();
        },
      });
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** Opens a POST whose answer is expected to be an SSE stream. */
export function postStream(base: string, sid: string | undefined, body: unknown): Promise<RawResponse> {
  const headers: Record<string, string> = { ...STREAMABLE_HEADERS };
  if (sid !== undefined) headers['mcp-session-id'] = sid;
  return rawRequest(`${base}/default/mcp`, { method: 'POST', headers, body: JSON.stringify(body) });
}

/** Opens the standalone GET stream of a session. */
export function getStream(
  base: string,
  sid: string,
  extraHeaders: Record<string, string> = {},
): Promise<RawResponse> {
  return rawRequest(`${base}/default/mcp`, {
    headers: { accept: 'text/event-stream', 'mcp-session-id': sid, ...extraHeaders },
  });
}

/** Splits an event id `<stream>_<seq>`. */
export function splitId(id: string | undefined): { stream: string; seq: number } {
  const m = /^(.+)_(\d+)$/.exec(id ?? '');
  if (!m) throw new Error(`event id ${String(id)} is not <stream>_<n>`);
  return { stream: m[1] ?? '', seq: Number(m[2]) };
}

/** The JSON message an event carries. */
export function message(e: SseEvent | undefined): Record<string, unknown> {
  if (e === undefined) throw new Error('the stream ended before the expected event');
  return asRecord(JSON.parse(e.data), `event ${String(e.id)} data`);
}
