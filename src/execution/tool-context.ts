/**
 * The `ctx` handed to bundle code: a thin view over the engine's RequestContext. A class, so that one
 * call allocates one small object rather than a dozen closures.
 */
import type { RequestContext } from '../engine/context.js';
import type { Engine } from '../engine/engine.js';
import { ErrorCode, McpError } from '../protocol/errors.js';
import { isLogLevel, passes } from '../protocol/log-levels.js';
import type { LogLevelName, ToolContext } from '../sdk/types.js';

export class RequestToolContext implements ToolContext {
  constructor(
    private readonly rc: RequestContext,
    private readonly engine: Engine,
    readonly settings: Readonly<Record<string, unknown>>,
  ) {}

  get signal(): AbortSignal {
    return this.rc.cancel.signal;
  }
  get endpointId(): string {
    return this.rc.endpoint.id;
  }
  get clientCapabilities(): Readonly<Record<string, unknown>> {
    return this.rc.session.clientCapabilities;
  }
  get requestId(): string | number {
    return this.rc.requestId;
  }

  log(level: LogLevelName, data: unknown, logger?: string): void {
    if (!isLogLevel(level) || !passes(level, this.rc.session.logLevel)) return;
    const params: Record<string, unknown> = { level, data };
    if (logger !== undefined) params['logger'] = logger;
    this.rc.sink.send({ jsonrpc: '2.0', method: 'notifications/message', params });
  }

  async progress(progress: number, total?: number, message?: string): Promise<void> {
    const token = this.rc.progressToken;
    if (token === undefined || this.rc.cancel.aborted) return;
    const params: Record<string, unknown> = { progressToken: token, progress };
    if (total !== undefined) params['total'] = total;
    if (message !== undefined) params['message'] = message;
    this.rc.sink.send({ jsonrpc: '2.0', method: 'notifications/progress', params });
  }

  sample(params: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.requireCapability('sampling');
    return this.engine.requestClient(this.rc, 'sampling/createMessage', params);
  }

  elicit(params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const elicitation = this.requireCapability('elicitation') as Record<string, unknown>;
    if (params['mode'] === 'url' && elicitation['url'] === undefined) {
      throw new McpError(ErrorCode.InvalidRequest, 'The client does not support url-mode elicitation');
    }
    return this.engine.requestClient(this.rc, 'elicitation/create', params);
  }

  listRoots(): Promise<Record<string, unknown>> {
    this.requireCapability('roots');
    return this.engine.requestClient(this.rc, 'roots/list', undefined);
  }

  async notify(method: string, params?: Record<string, unknown>): Promise<void> {
    this.rc.sink.send(params ? { jsonrpc: '2.0', method, params } : { jsonrpc: '2.0', method });
  }

  resourceUpdated(uri: string): void {
    this.engine.notifyResourceUpdated(this.rc.endpoint.id, uri);
  }

  closeStream(): boolean {
    const sink = this.rc.sink;
    if (!sink.closeStream) return false;
    sink.closeStream();
    return true;
  }

  sleep(ms: number): Promise<void> {
    const signal = this.rc.cancel.signal;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private requireCapability(name: string): unknown {
    const cap = this.rc.session.clientCapabilities[name];
    if (cap === undefined || cap === null) {
      throw new McpError(ErrorCode.InvalidRequest, `The client does not support ${name}`);
    }
    return cap;
  }
}
