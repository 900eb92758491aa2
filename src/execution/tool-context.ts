/**
 * The `ctx` handed to bundle code: a thin view over the engine's RequestContext. A class, so that one
 * call allocates one small object rather than a dozen closures.
 */
import type { RequestContext } from '../engine/context.js';
import type { Engine } from '../engine/engine.js';
import { ErrorCode, McpError } from '../protocol/errors.js';
import { isLogLevel, passes } from '../protocol/log-levels.js';
import type { InputOptions, LogLevelName, ToolContext } from '../sdk/types.js';
import { capabilityFor, declares, type InputRequest, InputRequired } from '../engine/input-required.js';
import { isSupportedModernVersion, ModernErrorCode } from '../protocol/modern.js';
import type { Task } from '../tasks/task.js';

export class RequestToolContext implements ToolContext {
  private inputSeq = 0;

  constructor(
    private readonly rc: RequestContext,
    private readonly engine: Engine,
    readonly settings: Readonly<Record<string, unknown>>,
  ) {}

  get signal(): AbortSignal {
    return this.rc.cancel.signal;
  }
  /** For the daemon's worker pool: abort state and listeners without creating the AbortSignal. */
  get cancelled(): boolean {
    return this.rc.cancel.aborted;
  }
  onCancel(listener: () => void): void {
    this.rc.cancel.onAbort(listener);
  }
  offCancel(listener: () => void): void {
    this.rc.cancel.offAbort(listener);
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

  sample(params: Record<string, unknown>, options?: InputOptions): Promise<Record<string, unknown>> {
    return this.one({ method: 'sampling/createMessage', params }, options?.key ?? this.nextKey('sampling'));
  }

  elicit(params: Record<string, unknown>, options?: InputOptions): Promise<Record<string, unknown>> {
    return this.one({ method: 'elicitation/create', params }, options?.key ?? this.nextKey('elicitation'));
  }

  listRoots(options?: InputOptions): Promise<Record<string, unknown>> {
    return this.one({ method: 'roots/list', params: {} }, options?.key ?? this.nextKey('roots'));
  }

  /**
   * Asks the client for several inputs at once. Handshake era: server→client requests on the request's channel,
   * in parallel. Stateless era: answers of this round or of earlier ones (sealed in requestState); when any is
   * missing, the run ends with an InputRequiredResult listing what is still needed, and the client's retry runs
   * the code again from the start with the answers. Code before an input call must therefore be repeatable.
   */
  async requestInputs(
    requests: Record<string, InputRequest>,
  ): Promise<Record<string, Record<string, unknown>>> {
    const caps = this.rc.session.clientCapabilities;
    for (const request of Object.values(requests)) {
      if (!declares(caps, request)) throw this.missingCapability(request);
    }
    const modern = this.rc.modern;
    const task = (this.rc as { task?: Task }).task;
    if (task) {
      // A task's code waits for its answers: tasks/update (2026-07-28) or the tasks/result stream (2025-11-25).
      const given: Record<string, Record<string, unknown>> = {};
      const missing: Record<string, InputRequest> = {};
      for (const [key, request] of Object.entries(requests)) {
        const answer = modern?.answers[key] as Record<string, unknown> | undefined;
        if (answer !== undefined) given[key] = answer;
        else missing[key] = request;
      }
      if (Object.keys(missing).length === 0) return given;
      return { ...given, ...(await task.ask(missing)) };
    }
    if (modern) {
      const missing: Record<string, InputRequest> = {};
      for (const [key, request] of Object.entries(requests)) {
        if (modern.answers[key] === undefined) missing[key] = request;
      }
      if (Object.keys(missing).length > 0) throw new InputRequired(missing);
      return Object.fromEntries(
        Object.keys(requests).map((k) => [k, modern.answers[k] as Record<string, unknown>]),
      );
    }
    const entries = await Promise.all(
      Object.entries(requests).map(async ([key, r]) => {
        const params = Object.keys(r.params).length > 0 || r.method !== 'roots/list' ? r.params : undefined;
        return [key, await this.engine.requestClient(this.rc, r.method, params)] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  /** The answer already given for `key` in this 2026-07-28 round, if any. */
  inputResponse(key: string): Record<string, unknown> | undefined {
    return this.rc.modern?.answers[key] as Record<string, unknown> | undefined;
  }

  /** Every answer of this 2026-07-28 round (sent along to a worker, whose `inputResponse` reads them). */
  inputResponses(): Readonly<Record<string, unknown>> {
    return this.rc.modern?.answers ?? {};
  }

  notifyListChanged(kind: 'tools' | 'resources' | 'prompts'): void {
    this.engine.notifyListChanged(this.rc.endpoint.id, kind);
    this.engine.noticeRelay?.({ endpointId: this.rc.endpoint.id, listChanged: kind });
  }

  private async one(request: InputRequest, key: string): Promise<Record<string, unknown>> {
    const answers = await this.requestInputs({ [key]: request });
    return answers[key] ?? {};
  }

  private nextKey(kind: string): string {
    this.inputSeq += 1;
    return `${kind}_${this.inputSeq}`;
  }

  private missingCapability(request: InputRequest): McpError {
    const required = capabilityFor(request);
    const name = Object.keys(required)[0] ?? 'a capability';
    if (this.rc.modern) {
      return new McpError(
        ModernErrorCode.MissingRequiredClientCapability,
        `This request needs the client capability ${name}${request.params['mode'] === 'url' ? '.url' : ''}`,
        { requiredCapabilities: required },
      );
    }
    if (request.method === 'elicitation/create' && request.params['mode'] === 'url') {
      return new McpError(ErrorCode.InvalidRequest, 'The client does not support url-mode elicitation');
    }
    return new McpError(ErrorCode.InvalidRequest, `The client does not support ${name}`);
  }

  async notify(method: string, params?: Record<string, unknown>): Promise<void> {
    this.rc.sink.send(params ? { jsonrpc: '2.0', method, params } : { jsonrpc: '2.0', method });
  }

  resourceUpdated(uri: string): void {
    this.engine.notifyResourceUpdated(this.rc.endpoint.id, uri);
    this.engine.noticeRelay?.({ endpointId: this.rc.endpoint.id, resourceUpdated: uri });
  }

  beginTask(): void {
    (this.rc as { beginTask?: () => void }).beginTask?.();
  }

  closeStream(): boolean {
    const sink = this.rc.sink;
    // 2026-07-28 streams are not resumable (closing one cancels the request), so there is nothing to do.
    if (!sink.closeStream || isSupportedModernVersion(this.rc.session.protocolVersion)) return false;
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
}
