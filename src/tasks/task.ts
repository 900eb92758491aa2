/**
 * One MCP task: a tools/call that runs detached from the request that started it, polled by id. The same object
 * serves both wire formats: the 2025-11-25 `tasks` utility (`ttl`, `pollInterval`, `tasks/result`, a tool error is
 * `failed`) and the 2026-07-28 extension `io.modelcontextprotocol/tasks` (`ttlMs`, `pollIntervalMs`, results and
 * input requests inline in `tasks/get`, answers through `tasks/update`, a tool error is `completed` with
 * `isError`). Status moves working ⇄ input_required → completed | failed | cancelled, and never leaves a terminal
 * status.
 */
import type { InputRequest } from '../engine/input-required.js';
import type { Cancellation } from '../engine/cancellation.js';
import { McpError } from '../protocol/errors.js';

export type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';
export type TaskEra = 'handshake' | 'modern';

export const TERMINAL: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'cancelled']);

/** Input the running code waits for: one entry per key, answered by tasks/update (2026) or tasks/result (2025). */
interface PendingInput {
  readonly key: string;
  readonly request: InputRequest;
  /** 2025: already sent to the client on some tasks/result stream. */
  delivered: boolean;
  readonly resolve: (answer: Record<string, unknown>) => void;
}

export interface TaskInit {
  readonly id: string;
  readonly endpointId: string;
  readonly owner: string;
  readonly era: TaskEra;
  readonly toolName: string;
  readonly ttlMs: number;
  readonly pollIntervalMs: number;
  /** Aborts the running code; absent for a task rebuilt from its record. */
  readonly cancel?: Cancellation;
  /** Default: now. */
  readonly createdAt?: string;
}

export class Task {
  readonly id: string;
  readonly endpointId: string;
  /** The principal that created it: nobody else can see it. */
  readonly owner: string;
  readonly era: TaskEra;
  readonly toolName: string;
  readonly createdAt: string;
  lastUpdatedAt: string;
  status: TaskStatus = 'working';
  statusMessage: string | undefined;
  readonly ttlMs: number;
  readonly pollIntervalMs: number;
  /** The tool's result, once completed (2025: also when failed through `isError`). */
  result: Record<string, unknown> | undefined;
  /** The protocol error that failed it. */
  error: { code: number; message: string; data?: unknown } | undefined;
  private readonly pending = new Map<string, PendingInput>();
  private readonly cancel: Cancellation | undefined;
  private waiters: (() => void)[] = [];
  /** Told of every status change (2025 `notifications/tasks/status`). */
  onChange: ((task: Task) => void) | undefined;

  constructor(init: TaskInit) {
    this.id = init.id;
    this.endpointId = init.endpointId;
    this.owner = init.owner;
    this.era = init.era;
    this.toolName = init.toolName;
    this.ttlMs = init.ttlMs;
    this.pollIntervalMs = init.pollIntervalMs;
    this.cancel = init.cancel;
    this.createdAt = init.createdAt ?? new Date().toISOString();
    this.lastUpdatedAt = this.createdAt;
  }

  get terminal(): boolean {
    return TERMINAL.has(this.status);
  }

  /** Resolves at the next change (status, or new input to deliver). */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The work finished: a tool result (2026: always completed; 2025: failed when `isError`). */
  complete(result: Record<string, unknown>): void {
    if (this.terminal) return;
    this.result = result;
    const failed = this.era === 'handshake' && result['isError'] === true;
    this.set(failed ? 'failed' : 'completed', failed ? 'The tool reported an error' : undefined);
  }

  /** The work failed with a protocol error (or an internal one). */
  fail(err: unknown): void {
    if (this.terminal) return;
    this.error =
      err instanceof McpError
        ? { code: err.code, message: err.message, ...(err.data === undefined ? {} : { data: err.data }) }
        : { code: -32603, message: 'Internal error' };
    this.set('failed', this.error.message);
  }

  /** Cancels the task now (its status is `cancelled` before anyone is answered) and aborts its code. */
  cancelNow(): void {
    if (this.terminal) return;
    this.set('cancelled', 'The task was cancelled by request');
    this.cancel?.abort(new McpError(-32603, 'The task was cancelled'));
    for (const p of this.pending.values()) p.resolve({ action: 'cancel' });
    this.pending.clear();
  }

  /** Called by the running code: waits until the client has answered every request (status input_required). */
  ask(requests: Record<string, InputRequest>): Promise<Record<string, Record<string, unknown>>> {
    if (this.terminal) return Promise.reject(new McpError(-32603, 'The task has ended'));
    const answers = Object.entries(requests).map(
      ([key, request]) =>
        new Promise<[string, Record<string, unknown>]>((resolve) => {
          this.pending.set(key, {
            key,
            request,
            delivered: false,
            resolve: (answer) => resolve([key, answer]),
          });
        }),
    );
    this.set('input_required', 'Waiting for input from the client');
    return Promise.all(answers).then((entries) => Object.fromEntries(entries));
  }

  /** Answers outstanding keys; unknown or already answered keys are ignored. Returns how many were used. */
  answer(responses: Record<string, unknown>): number {
    let used = 0;
    for (const [key, value] of Object.entries(responses)) {
      const p = this.pending.get(key);
      if (!p || typeof value !== 'object' || value === null) continue;
      this.pending.delete(key);
      used++;
      p.resolve(value as Record<string, unknown>);
    }
    if (used > 0 && this.pending.size === 0 && this.status === 'input_required') this.set('working');
    else if (used > 0) this.touch();
    return used;
  }

  /** 2026 `inputRequests`: every outstanding request. */
  inputRequests(): Record<string, InputRequest> {
    return Object.fromEntries([...this.pending.values()].map((p) => [p.key, p.request]));
  }

  /** 2025: requests not yet sent to the client, marked as sent. */
  takeUndelivered(): PendingInput[] {
    const out = [...this.pending.values()].filter((p) => !p.delivered);
    for (const p of out) p.delivered = true;
    return out;
  }

  /** 2025: a request whose delivery failed goes back in line. */
  redeliver(key: string): void {
    const p = this.pending.get(key);
    if (p) p.delivered = false;
  }

  /** The task as 2025-11-25 sends it (`Task`). */
  toHandshake(): Record<string, unknown> {
    return {
      taskId: this.id,
      status: this.status,
      ...(this.statusMessage === undefined ? {} : { statusMessage: this.statusMessage }),
      createdAt: this.createdAt,
      lastUpdatedAt: this.lastUpdatedAt,
      ttl: this.ttlMs,
      pollInterval: this.pollIntervalMs,
    };
  }

  /** The task as the 2026-07-28 extension sends it (`Task`); `detailed` adds result, error or inputRequests. */
  toModern(detailed: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {
      taskId: this.id,
      status: this.status,
      ...(this.statusMessage === undefined ? {} : { statusMessage: this.statusMessage }),
      createdAt: this.createdAt,
      lastUpdatedAt: this.lastUpdatedAt,
      ttlMs: this.ttlMs,
      pollIntervalMs: this.pollIntervalMs,
    };
    if (!detailed) return out;
    if (this.status === 'input_required') out['inputRequests'] = this.inputRequests();
    if (this.status === 'completed' && this.result) out['result'] = this.result;
    if (this.status === 'failed' && this.error) out['error'] = this.error;
    return out;
  }

  /** Wakes whoever waits in `changed()` without a change (a failed delivery, say). */
  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private set(status: TaskStatus, message?: string): void {
    this.status = status;
    this.statusMessage = message;
    this.touch();
  }

  private touch(): void {
    this.lastUpdatedAt = new Date().toISOString();
    this.wake();
    this.onChange?.(this);
  }
}
