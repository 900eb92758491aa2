/**
 * The tasks of this daemon instance, by id, each visible only to the principal that created it on the endpoint it
 * was created on (anyone else is told the task does not exist). A task is kept for its TTL after creation, then
 * dropped; the number kept per owner is bounded. A task's id is its call record's `mcp_function_call_uuid` when
 * calls are recorded, so a finished task is still found in the call history by another instance or after a restart
 * (see `fromRecord`).
 */
import type { TaskCancel } from '../bus/index.js';
import { CANCELLED_NOTE } from '../calls/record-call.js';
import type { FunctionCallRecord } from '../store/index.js';
import { Task } from './task.js';

export const DEFAULT_TASK_TTL_MS = 3_600_000;
export const MAX_TASK_TTL_MS = 86_400_000;
export const MIN_TASK_TTL_MS = 1_000;
export const TASK_POLL_INTERVAL_MS = 500;
const MAX_TASKS_PER_OWNER = 1_000;

const ownerKey = (endpointId: string, owner: string) => `${endpointId}\u0000${owner}`;

export class TaskRegistry {
  /**
   * Passes a cancellation on to the other instances (the bus), for a task that runs elsewhere: a 2026-07-28
   * tasks/cancel may reach any instance. Unset for a lone daemon.
   */
  relay: ((cancel: TaskCancel) => void) | undefined;
  private readonly tasks = new Map<string, Task>();
  /** Each owner's tasks on each endpoint, oldest first: listing and trimming never look at anyone else's. */
  private readonly byOwner = new Map<string, Map<string, Task>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  add(task: Task): void {
    this.tasks.set(task.id, task);
    const key = ownerKey(task.endpointId, task.owner);
    let mine = this.byOwner.get(key);
    if (!mine) this.byOwner.set(key, (mine = new Map()));
    mine.set(task.id, task);
    const timer = setTimeout(() => this.drop(task.id), task.ttlMs);
    timer.unref();
    this.timers.set(task.id, timer);
    this.trim(mine);
  }

  /** The task, when it exists here and belongs to this owner on this endpoint. */
  get(id: string, endpointId: string, owner: string): Task | undefined {
    const task = this.tasks.get(id);
    return task && task.endpointId === endpointId && task.owner === owner ? task : undefined;
  }

  /** The owner's tasks on an endpoint, oldest first. */
  list(endpointId: string, owner: string): Task[] {
    return [...(this.byOwner.get(ownerKey(endpointId, owner))?.values() ?? [])];
  }

  get size(): number {
    return this.tasks.size;
  }

  /** Asks the instance that runs a task this one does not hold to cancel it. */
  cancelElsewhere(cancel: TaskCancel): void {
    this.relay?.(cancel);
  }

  /** Another instance was asked to cancel a task: cancels it when it is held here, for that endpoint and owner. */
  cancelHeld(cancel: TaskCancel): boolean {
    const task = this.get(cancel.taskId, cancel.endpointId, cancel.owner);
    if (!task || task.terminal) return false;
    task.cancelNow();
    return true;
  }

  /** Cancels every task still running (shutdown). */
  cancelAll(): void {
    for (const t of this.tasks.values()) t.cancelNow();
  }

  private drop(id: string): void {
    const task = this.tasks.get(id);
    if (!task) return;
    this.tasks.delete(id);
    const key = ownerKey(task.endpointId, task.owner);
    const mine = this.byOwner.get(key);
    mine?.delete(id);
    if (mine?.size === 0) this.byOwner.delete(key);
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
  }

  /** Over the bound, drops the owner's oldest finished tasks (running ones stay until they finish and expire). */
  private trim(mine: Map<string, Task>): void {
    let excess = mine.size - MAX_TASKS_PER_OWNER;
    if (excess <= 0) return;
    for (const t of mine.values()) {
      if (excess <= 0) break;
      if (t.terminal) {
        this.drop(t.id);
        excess--;
      }
    }
  }
}

/** A requested TTL (ms) within bounds; the default when none was asked for. */
export function taskTtl(requested: unknown): number {
  if (typeof requested !== 'number' || !Number.isFinite(requested)) return DEFAULT_TASK_TTL_MS;
  return Math.min(MAX_TASK_TTL_MS, Math.max(MIN_TASK_TTL_MS, Math.round(requested)));
}

/**
 * A task this instance does not hold, rebuilt from its call record (finished elsewhere, or before a restart).
 * A call still `in_process` elsewhere is `working`; a crash leaves it `failed` with its note; a call that failed
 * because it was cancelled (its note says so) is `cancelled`.
 */
export function fromRecord(
  record: FunctionCallRecord,
  era: 'handshake' | 'modern',
  owner: string,
): Task | undefined {
  if (record.mcp_type !== 'tool' || (record.principal ?? 'anonymous') !== owner) return undefined;
  const task = new Task({
    id: record.mcp_function_call_uuid,
    endpointId: record.partition_key,
    owner,
    era,
    toolName: record.name,
    ttlMs: DEFAULT_TASK_TTL_MS,
    pollIntervalMs: TASK_POLL_INTERVAL_MS,
    createdAt: record.created_at,
  });
  const content = Array.isArray(record.content) ? record.content : [];
  if (record.status === 'completed') {
    task.complete({
      content,
      ...(record.structured_content === undefined ? {} : { structuredContent: record.structured_content }),
    });
  } else if (record.status === 'failed' && record.notes?.startsWith(CANCELLED_NOTE)) {
    task.cancelNow();
  } else if (record.status === 'failed') {
    task.complete({
      content: content.length > 0 ? content : [{ type: 'text', text: record.notes ?? 'The call failed' }],
      isError: true,
    });
  }
  task.lastUpdatedAt = record.updated_at;
  return task;
}
