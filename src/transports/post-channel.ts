/**
 * The reply channel of one Streamable HTTP POST. It answers with plain JSON unless the request needs a stream:
 * the first notification or server→client request the handler sends upgrades the reply to SSE (when the client
 * accepts it), with a priming event and resumable event ids; the final response then closes the stream.
 */
import type { ServerResponse } from 'node:http';
import type { Session } from '../engine/session.js';
import type { MessageSink } from '../engine/sink.js';
import { writeJson } from '../http/replies.js';
import { SseWriter } from '../http/sse.js';
import type { JsonRpcMessage, JsonRpcResponse } from '../protocol/jsonrpc.js';
import { atLeast } from '../protocol/versions.js';
import type { StreamLog } from './event-log.js';
import type { HttpSession } from './http-sessions.js';

export interface StreamSettings {
  keepAliveMs: number;
  sseRetryMs: number;
}

export class PostChannel implements MessageSink {
  private writer: SseWriter | undefined;
  private log: StreamLog | undefined;

  constructor(
    private readonly res: ServerResponse,
    /** undefined for 2026-07-28 requests, which have no session. */
    private readonly session: Session | undefined,
    private readonly http: HttpSession | undefined,
    private readonly settings: StreamSettings,
  ) {}

  send(message: JsonRpcMessage): void {
    this.upgrade();
    this.write(JSON.stringify(message));
  }

  /** Ends the connection but keeps the stream's log, so the client can resume it with Last-Event-ID. */
  closeStream(): void {
    // Without a priming event id (before 2025-11-25) the client could not resume, so keep the stream open.
    if (!this.http || !this.session || !atLeast(this.session.protocolVersion, '2025-11-25')) return;
    this.upgrade();
    if (this.log) this.log.writer = undefined;
    this.writer?.end();
  }

  /** Sends the final response (or ends quietly when the request was cancelled). */
  finish(response: JsonRpcResponse | JsonRpcResponse[] | undefined, status = 200): void {
    if (!this.writer) {
      if (response !== undefined) {
        writeJson(this.res, response, undefined, status);
        return;
      }
      // Cancelled before anything was sent: a POST carrying a request must be answered with a stream or JSON,
      // and no response should follow a cancellation, so send a stream that ends at once. It carries no event
      // id, so clients have nothing to resume.
      new SseWriter(this.res, {}, this.settings.keepAliveMs).end();
      return;
    }
    if (response !== undefined) this.write(JSON.stringify(response));
    if (this.log) {
      this.log.done = true;
      this.log.writer?.end();
    }
    this.writer.end();
  }

  private write(data: string): void {
    if (this.log) this.log.push(data);
    else this.writer?.event(data);
  }

  private upgrade(): void {
    if (this.writer) return;
    this.writer = new SseWriter(this.res, this.sessionHeader() ?? {}, this.settings.keepAliveMs);
    if (this.http) {
      this.log = this.http.streamLog.open();
      this.log.writer = this.writer;
      if (this.session && atLeast(this.session.protocolVersion, '2025-11-25')) {
        this.writer.prime(this.log.primeId(), this.settings.sseRetryMs);
      }
    }
  }

  private sessionHeader(): Record<string, string> | undefined {
    const id = this.session?.id;
    return id === undefined ? undefined : { 'mcp-session-id': id };
  }
}
