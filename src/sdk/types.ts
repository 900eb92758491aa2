/**
 * The public API for bundle authors: what tool, resource, prompt and completion code receives as `ctx`.
 * Bundle code is plain JavaScript; these types document the contract and serve TypeScript authors.
 */

export type LogLevelName =
  'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency';

export interface InputOptions {
  /** The input's key in a 2026-07-28 InputRequiredResult. */
  key?: string;
}

export interface ToolContext {
  /** Aborted when the client cancels the request or the session ends. */
  readonly signal: AbortSignal;
  readonly endpointId: string;
  /** The module's `setting` object from the registry. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** What the client declared in `initialize` (or per request in the stateless era). */
  readonly clientCapabilities: Readonly<Record<string, unknown>>;
  /** Id of the request being served. */
  readonly requestId: string | number;
  /** Sends `notifications/message` to the client, subject to its `logging/setLevel`. */
  log(level: LogLevelName, data: unknown, logger?: string): void;
  /** Sends `notifications/progress` when the client asked for progress; a no-op otherwise. */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /**
   * Asks the client's model for a completion (`sampling/createMessage`). Works in both eras: a server→client
   * request in the handshake era, a multi-round-trip input request (2026-07-28) otherwise, where `options.key`
   * names the input (default `sampling_<n>` for the n-th input call of this run).
   */
  sample(params: Record<string, unknown>, options?: InputOptions): Promise<Record<string, unknown>>;
  /** Asks the user for input (`elicitation/create`), in form or url mode. Both eras, as `sample`. */
  elicit(params: Record<string, unknown>, options?: InputOptions): Promise<Record<string, unknown>>;
  /** Asks the client for its roots (`roots/list`). Both eras, as `sample`. */
  listRoots(options?: InputOptions): Promise<Record<string, unknown>>;
  /** Several inputs at once, by key (one round in 2026-07-28); resolves with the answers by key. */
  requestInputs(
    requests: Record<
      string,
      {
        method: 'elicitation/create' | 'sampling/createMessage' | 'roots/list';
        params: Record<string, unknown>;
      }
    >,
  ): Promise<Record<string, Record<string, unknown>>>;
  /** In a 2026-07-28 retry: the answer the client gave for `key`, if any. */
  inputResponse(key: string): Record<string, unknown> | undefined;
  /** Tells this endpoint's clients (sessions and listen streams) that a list changed. */
  notifyListChanged(kind: 'tools' | 'resources' | 'prompts'): void;
  /** Sends any notification tied to the current request. */
  notify(method: string, params?: Record<string, unknown>): Promise<void>;
  /** Tells subscribed clients of this endpoint that a resource changed. */
  resourceUpdated(uri: string): void;
  /**
   * Closes the request's SSE connection now; the request keeps running and the client picks up the rest
   * of its messages by reconnecting with Last-Event-ID. Returns false where the transport cannot do this.
   */
  closeStream(): boolean;
  /**
   * For tools whose definition says `"x-mcpd-task-start": "explicit"`, called as a task in 2026-07-28: answers the
   * request with the task now (input asked for before this came through an InputRequiredResult); the code goes on
   * as the task. Does nothing elsewhere.
   */
  beginTask(): void;
  /** Resolves after `ms`, or rejects as soon as the request is aborted. */
  sleep(ms: number): Promise<void>;
}
