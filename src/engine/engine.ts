/**
 * The protocol engine: takes decoded JSON-RPC messages from any transport, dispatches requests to the method
 * families, routes client responses to waiting server→client requests, and builds responses.
 * Knows nothing of HTTP or stdio. Eras differ only in how a request's Session is obtained: the handshake era
 * uses a long-lived session created by `initialize`; a stateless era builds one per request.
 */

import type { CallRecorder } from '../calls/recorder.js';
import { type CallCounts, newCallCounts } from '../execution/run.js';
import { TaskRegistry } from '../tasks/task-registry.js';
import { handshakeTaskMethods, modernTaskMethods } from './methods/tasks.js';
import type { Logger } from '../observability/logger.js';
import { NAME, VERSION } from '../version.js';
import { ErrorCode, McpError } from '../protocol/errors.js';
import {
  type Classified,
  classify,
  errorResponse,
  fromMcpError,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type Params,
  type RequestId,
  success,
} from '../protocol/jsonrpc.js';
import { allowsBatch } from '../protocol/versions.js';
import type { Endpoint } from '../registry/catalog.js';
import { Cancellation } from './cancellation.js';
import type { RequestContext } from './context.js';
import { SessionHub } from './hub.js';
import { completionMethods } from './methods/completion.js';
import { lifecycleMethods } from './methods/lifecycle.js';
import { modernOnlyMethods } from './methods/modern.js';
import { RequestStateCodec } from './request-state.js';
import { promptMethods } from './methods/prompts.js';
import { resourceMethods } from './methods/resources.js';
import { toolMethods } from './methods/tools.js';
import type { PendingClientRequest, Session } from './session.js';
import type { MessageSink } from './sink.js';
import type { EndpointNotice } from '../bus/index.js';

export interface EndpointLookup {
  get(endpointId: string): Endpoint | undefined;
}

export interface ServerInfo {
  name: string;
  version: string;
  title?: string;
}

export interface EngineOptions {
  endpoints: EndpointLookup;
  logger: Logger;
  hub?: SessionHub;
  serverInfo?: ServerInfo;
  /** Items per page in list results. */
  pageSize?: number;
  /** How long a server→client request (sampling, elicitation, roots) may wait for its answer. */
  clientRequestTimeoutMs?: number;
  /** Shared secret sealing 2026-07-28 requestState (instances behind one load balancer need the same one). */
  requestStateSecret?: string | undefined;
  /** ttlMs hint on cacheable 2026-07-28 results. */
  cacheTtlMs?: number;
  /** The instance's tasks, when they are shared with the bus (serving-parts.ts); default: a registry of its own. */
  tasks?: TaskRegistry;
}

export type MethodHandler = (params: Params, ctx: RequestContext, engine: Engine) => unknown;

export interface MethodSpec {
  run: MethodHandler;
  /** Callable before `initialize` completes (initialize, ping). */
  beforeInit?: boolean;
}

export type MethodTable = Record<string, MethodSpec>;

export type HandleResult = JsonRpcResponse | JsonRpcResponse[] | undefined;

export class Engine {
  readonly hub: SessionHub;
  readonly logger: Logger;
  readonly endpoints: EndpointLookup;
  readonly serverInfo: ServerInfo;
  readonly pageSize: number;
  readonly clientRequestTimeoutMs: number;
  readonly requestState: RequestStateCodec;
  readonly cacheTtlMs: number;
  /** Records every tools/call, resources/read and prompts/get when set (the daemon sets it; stdio does not). */
  recorder: CallRecorder | undefined;
  /** Calls running (or done) as MCP tasks, by id. */
  readonly tasks: TaskRegistry;
  /**
   * Passes the notifications bundle code asks for (`ctx.resourceUpdated`, `ctx.notifyListChanged`) on to the other
   * instances (the bus), whose clients may be listening there. Unset for a lone daemon.
   */
  noticeRelay: ((notice: EndpointNotice) => void) | undefined;
  /** Calls per kind, returned and failed (for /metrics). */
  readonly callCounts: CallCounts = newCallCounts();
  /** How long an `is_async` tool call may run before the caller gets its `mcp://function-call/{uuid}` handle. */
  asyncWaitMs = 3000;
  private readonly methods = new Map<string, MethodSpec>();
  /** Open 2026-07-28 listen streams, each ended gracefully by calling it. */
  readonly subscriptionEnders = new Set<() => void>();
  /** The 2026-07-28 method table: no lifecycle, ping, setLevel or subscribe; discover and listen instead. */
  readonly modernMethods = new Map<string, MethodSpec>();

  constructor(opts: EngineOptions) {
    this.endpoints = opts.endpoints;
    this.logger = opts.logger;
    this.hub = opts.hub ?? new SessionHub();
    this.serverInfo = opts.serverInfo ?? { name: NAME, version: VERSION };
    this.pageSize = opts.pageSize ?? 100;
    this.clientRequestTimeoutMs = opts.clientRequestTimeoutMs ?? 600_000;
    this.requestState = RequestStateCodec.create(opts.requestStateSecret);
    this.cacheTtlMs = opts.cacheTtlMs ?? 0;
    this.tasks = opts.tasks ?? new TaskRegistry();
    for (const table of [
      lifecycleMethods,
      toolMethods,
      resourceMethods,
      promptMethods,
      completionMethods,
      handshakeTaskMethods,
    ]) {
      for (const [name, spec] of Object.entries(table)) this.methods.set(name, spec);
    }
    for (const table of [toolMethods, resourceMethods, promptMethods, completionMethods, modernOnlyMethods]) {
      for (const [name, spec] of Object.entries(table)) {
        if (name !== 'resources/subscribe' && name !== 'resources/unsubscribe')
          this.modernMethods.set(name, spec);
      }
    }
    for (const [name, spec] of Object.entries(modernTaskMethods)) this.modernMethods.set(name, spec);
  }

  /** Handles one decoded JSON value: a single message or (in 2025-03-26) a batch. */
  handle(value: unknown, session: Session, sink: MessageSink): Promise<HandleResult> {
    if (Array.isArray(value)) return this.handleBatch(value, session, sink);
    return this.handleOne(classify(value), session, sink);
  }

  handleOne(c: Classified, session: Session, sink: MessageSink): Promise<JsonRpcResponse | undefined> {
    switch (c.kind) {
      case 'request':
        return this.onRequest(c.message, session, sink);
      case 'notification':
        this.onNotification(c.message, session);
        return Promise.resolve(undefined);
      case 'response':
        this.onResponse(c.message, session);
        return Promise.resolve(undefined);
      default:
        return Promise.resolve(c.error);
    }
  }

  private async handleBatch(values: unknown[], session: Session, sink: MessageSink): Promise<HandleResult> {
    if (!allowsBatch(session.protocolVersion)) {
      return errorResponse(
        null,
        ErrorCode.InvalidRequest,
        `Invalid Request: JSON-RPC batches are not supported in protocol version ${session.protocolVersion}`,
      );
    }
    if (values.length === 0)
      return errorResponse(null, ErrorCode.InvalidRequest, 'Invalid Request: empty batch');
    const results = await Promise.all(
      values.map((v) => {
        const c = classify(v);
        if (c.kind === 'request' && c.message.method === 'initialize') {
          return errorResponse(
            c.message.id,
            ErrorCode.InvalidRequest,
            'initialize must not be part of a batch',
          );
        }
        return this.handleOne(c, session, sink);
      }),
    );
    const responses = results.filter((r): r is JsonRpcResponse => r !== undefined);
    return responses.length > 0 ? responses : undefined;
  }

  /** True when this message is an `initialize` request. */
  static isInitialize(value: unknown): boolean {
    const m = value as { method?: unknown; id?: unknown } | null;
    // A request: `initialize` sent as a notification (no id) is not a handshake.
    return m?.method === 'initialize' && m.id !== undefined;
  }

  private async onRequest(
    req: JsonRpcRequest,
    session: Session,
    sink: MessageSink,
  ): Promise<JsonRpcResponse | undefined> {
    const spec = this.methods.get(req.method);
    if (!spec) return errorResponse(req.id, ErrorCode.MethodNotFound, `Method not found: ${req.method}`);
    if (!session.initialized && !spec.beforeInit) {
      return errorResponse(
        req.id,
        ErrorCode.InvalidRequest,
        'Invalid Request: the session is not initialized; send initialize first',
      );
    }
    const endpoint = this.endpoints.get(session.endpointId);
    if (!endpoint) {
      return errorResponse(req.id, ErrorCode.InvalidRequest, `Unknown endpoint: ${session.endpointId}`);
    }
    const params = req.params ?? {};
    const meta = params['_meta'] as { progressToken?: unknown } | undefined;
    const token = meta?.progressToken;
    const cancel = new Cancellation();
    const ctx: RequestContext = {
      session,
      endpoint,
      requestId: req.id,
      cancel,
      progressToken: typeof token === 'string' || typeof token === 'number' ? token : undefined,
      sink,
    };
    session.track(req.id, cancel);
    try {
      const result = await spec.run(params, ctx, this);
      return cancel.aborted ? undefined : success(req.id, result);
    } catch (err) {
      if (cancel.aborted) return undefined;
      return this.toErrorResponse(req, err);
    } finally {
      session.untrack(req.id);
    }
  }

  private toErrorResponse(req: JsonRpcRequest, err: unknown): JsonRpcResponse {
    if (err instanceof McpError) return fromMcpError(req.id, err);
    this.logger.error({ err, method: req.method }, 'request failed');
    return errorResponse(req.id, ErrorCode.InternalError, 'Internal error');
  }

  private onNotification(n: JsonRpcNotification, session: Session): void {
    if (n.method === 'notifications/cancelled') {
      const id = n.params?.['requestId'];
      if (typeof id === 'string' || typeof id === 'number') {
        const reason = n.params?.['reason'];
        session.inflight
          ?.get(id)
          ?.abort(new McpError(ErrorCode.RequestTimeout, String(reason ?? 'cancelled')));
      }
    }
    // notifications/initialized, roots/list_changed and progress need no action here.
  }

  private onResponse(res: JsonRpcResponse, session: Session): void {
    const id = res.id;
    const pending = id === null ? undefined : session.pending?.get(id);
    if (!pending || id === null) {
      this.logger.debug({ id }, 'response to an unknown server request ignored');
      return;
    }
    session.pending?.delete(id);
    if ('error' in res) pending.reject(new McpError(res.error.code, res.error.message, res.error.data));
    else pending.resolve(res.result);
  }

  /** Sends a request to the client over the current request's channel and waits for its answer. */
  requestClient(
    ctx: RequestContext,
    method: string,
    params: Params | undefined,
  ): Promise<Record<string, unknown>> {
    const { session } = ctx;
    const signal = ctx.cancel.signal;
    if (session.closed) return Promise.reject(new Error('session closed'));
    if (!session.backchannel) {
      return Promise.reject(
        new McpError(
          ErrorCode.InvalidRequest,
          `${method} needs a session with a stream; this request has none`,
        ),
      );
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    const id = session.nextOutboundId();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        session.pending?.delete(id);
      };
      const timer = setTimeout(() => {
        done();
        reject(new McpError(ErrorCode.RequestTimeout, `The client did not answer ${method} in time`));
      }, this.clientRequestTimeoutMs);
      const onAbort = () => {
        done();
        ctx.sink.send({
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: id, reason: 'the originating request was cancelled' },
        });
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      (session.pending ??= new Map<RequestId, PendingClientRequest>()).set(id, {
        resolve: (r) => {
          done();
          resolve((r ?? {}) as Record<string, unknown>);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      const message: JsonRpcMessage = params
        ? { jsonrpc: '2.0', id, method, params }
        : { jsonrpc: '2.0', id, method };
      ctx.sink.send(message);
    });
  }

  /** Ends every open listen stream with its final result (at shutdown). */
  endSubscriptions(): void {
    for (const end of [...this.subscriptionEnders]) end();
  }

  /** Tells every session (and every listen stream that asked) of an endpoint that a list changed. */
  notifyListChanged(endpointId: string, kind: 'tools' | 'resources' | 'prompts'): void {
    this.hub.broadcast(
      endpointId,
      { jsonrpc: '2.0', method: `notifications/${kind}/list_changed` },
      (s) => s.listen === undefined || s.listen[kind],
    );
  }

  /** A notification bundle code on another instance asked for, told to this instance's sessions. */
  deliverNotice(notice: EndpointNotice): void {
    if ('listChanged' in notice) this.notifyListChanged(notice.endpointId, notice.listChanged);
    else this.notifyResourceUpdated(notice.endpointId, notice.resourceUpdated);
  }

  /** Tells sessions subscribed to `uri` on this endpoint that the resource changed. */
  notifyResourceUpdated(endpointId: string, uri: string): void {
    this.hub.broadcast(
      endpointId,
      { jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri } },
      (s) => s.subscriptions?.has(uri) === true,
    );
  }
}
