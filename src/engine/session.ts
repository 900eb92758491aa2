/**
 * The state one client holds with one endpoint: negotiated version, client capabilities, log level,
 * subscriptions, requests in flight and server→client requests awaiting an answer.
 * Kept small on purpose: an idle session costs a few hundred bytes; maps are created on first use.
 */
import type { JsonRpcMessage, RequestId } from '../protocol/jsonrpc.js';
import type { LogLevel } from '../protocol/log-levels.js';
import { DEFAULT_HTTP_VERSION } from '../protocol/versions.js';
import type { Cancellation } from './cancellation.js';

/** Where a session's server-initiated messages go when no request is in progress (GET stream, stdout, legacy stream). */
export type Notifier = (message: JsonRpcMessage) => void;

export interface PendingClientRequest {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

export type ClientCapabilities = Record<string, unknown>;

export class Session {
  protocolVersion: string = DEFAULT_HTTP_VERSION;
  /** `initialize` has been answered. */
  initialized = false;
  clientCapabilities: ClientCapabilities = {};
  clientInfo: Record<string, unknown> | undefined;
  /** undefined: no threshold (everything); 'off': nothing (a 2026-07-28 request that asked for no logs). */
  logLevel: LogLevel | 'off' | undefined;
  notifier: Notifier | undefined;
  subscriptions: Set<string> | undefined;
  inflight: Map<RequestId, Cancellation> | undefined;
  pending: Map<RequestId, PendingClientRequest> | undefined;
  private outboundSeq = 0;
  closed = false;
  /** The authenticated caller; `anonymous` while AUTH_PROVIDER=none. */
  principal = 'anonymous';
  /** A 2026-07-28 `subscriptions/listen` stream: which list changes it asked for (resources via `subscriptions`). */
  listen: { tools: boolean; prompts: boolean; resources: boolean } | undefined;
  /** False on transports that cannot carry a server→client request and route its answer back (plain JSON, stateless). */
  backchannel = true;

  constructor(
    readonly endpointId: string,
    /** Transport-level id (Mcp-Session-Id, legacy sessionId); undefined on stdio and stateless requests. */
    readonly id?: string,
  ) {}

  nextOutboundId(): number {
    this.outboundSeq += 1;
    return this.outboundSeq;
  }

  track(id: RequestId, cancel: Cancellation): void {
    (this.inflight ??= new Map()).set(id, cancel);
  }

  untrack(id: RequestId): void {
    this.inflight?.delete(id);
  }

  /** Ends the session: aborts running requests and fails server→client requests still waiting. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.inflight?.values() ?? []) c.abort(new Error('session closed'));
    for (const p of this.pending?.values() ?? []) p.reject(new Error('session closed'));
    this.inflight = undefined;
    this.pending = undefined;
    this.notifier = undefined;
  }
}
