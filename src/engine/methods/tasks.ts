/**
 * The task methods, in their two wire formats (see src/tasks/task.ts).
 * - 2025-11-25 (`handshakeTaskMethods`): tasks/get, tasks/result (blocks until the task ends; input the task
 *   waits for is asked of the client on this request's stream, tagged with the related-task `_meta`), tasks/list,
 *   tasks/cancel (a terminal task is -32602).
 * - 2026-07-28 (`modernTaskMethods`): tasks/get (result, error or inputRequests inline), tasks/update (answers,
 *   unknown keys ignored, an empty ack), tasks/cancel (an empty ack, also for a terminal task). The client must
 *   declare the extension on every such request (-32021 before anything else is looked at).
 * A task is found only by the principal that created it, on its endpoint; a finished one this instance no longer
 * holds is rebuilt from its call record.
 */
import { ErrorCode, invalidParams, McpError } from '../../protocol/errors.js';
import { fromRecord } from '../../tasks/task-registry.js';
import { declaresTasks, missingTasksExtension, tasksKnown } from '../../tasks/start.js';
import type { Task, TaskEra } from '../../tasks/task.js';
import type { RequestContext } from '../context.js';
import type { Engine, MethodTable } from '../engine.js';
import { paginate } from '../pagination.js';

const RELATED_TASK = 'io.modelcontextprotocol/related-task';

/** The task named by `params.taskId`: held by this instance, or rebuilt from its call record (`held` false). */
async function find(
  params: Record<string, unknown>,
  ctx: RequestContext,
  engine: Engine,
  era: TaskEra,
): Promise<{ task: Task; held: boolean }> {
  const id = params['taskId'];
  if (typeof id !== 'string' || id === '') throw invalidParams('taskId is required');
  const owner = ctx.session.principal;
  const held = engine.tasks.get(id, ctx.endpoint.id, owner);
  if (held) return { task: held, held: true };
  const record = await engine.recorder?.get(ctx.endpoint.id, id).catch(() => undefined);
  const rebuilt = record ? fromRecord(record, era, owner) : undefined;
  if (rebuilt && record) {
    const content = await engine.recorder?.content(record).catch(() => undefined);
    if (Array.isArray(content) && rebuilt.result) rebuilt.result['content'] = content;
    return { task: rebuilt, held: false };
  }
  throw invalidParams(`Failed to retrieve task: no task ${id}`);
}

/**
 * Cancels a task. One that runs on another instance (its record is still `in_process`) is cancelled there, through
 * the bus; the answer shows it cancelled, as the record will once that instance has stopped it, and this instance
 * keeps it so, for its TTL, rather than answer `working` again from the record meanwhile.
 */
function cancel(found: { task: Task; held: boolean }, ctx: RequestContext, engine: Engine): void {
  const { task, held } = found;
  const elsewhere = !held && !task.terminal;
  if (elsewhere) {
    engine.tasks.cancelElsewhere({
      endpointId: ctx.endpoint.id,
      taskId: task.id,
      owner: ctx.session.principal,
    });
  }
  task.cancelNow();
  if (elsewhere) engine.tasks.add(task);
}

/** Input for a task another instance runs cannot be given here: said, rather than dropped. */
function heldHere(found: { task: Task; held: boolean }): Task {
  if (!found.held && !found.task.terminal) {
    throw invalidParams(
      `Task ${found.task.id} runs on another instance of this server; its input can only be given there`,
    );
  }
  return found.task;
}

function requireHandshakeTasks(ctx: RequestContext, method: string): void {
  if (!tasksKnown(ctx)) throw new McpError(ErrorCode.MethodNotFound, `Method not found: ${method}`);
}

/** What tasks/result answers for a task that has ended. */
function finalOf(task: Task): Record<string, unknown> {
  const meta = { [RELATED_TASK]: { taskId: task.id } };
  if (task.error) throw new McpError(task.error.code, task.error.message, task.error.data);
  if (task.result) {
    const own = task.result['_meta'];
    return { ...task.result, _meta: { ...(typeof own === 'object' && own !== null ? own : {}), ...meta } };
  }
  throw new McpError(ErrorCode.InternalError, `Task ${task.id} was ${task.status}`);
}

/** Waits for the task's next change, or for this request to be cancelled. */
function nextChange(task: Task, ctx: RequestContext): Promise<void> {
  if (ctx.cancel.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const signal = ctx.cancel.signal;
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    void task.changed().then(done);
  });
}

/**
 * tasks/result for a task another instance runs: its record is read again every poll interval until the task ends
 * there (or this request is cancelled). Input the task waits for can only be given on that instance.
 */
async function untilRecorded(
  task: Task,
  params: Record<string, unknown>,
  ctx: RequestContext,
  engine: Engine,
): Promise<Task> {
  let current = task;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  ctx.cancel.onAbort(() => {
    clearTimeout(timer);
    wake?.();
  });
  // A record left `in_process` by an instance that never came back would be read for ever: not past the task's TTL.
  const until = Date.parse(task.createdAt) + task.ttlMs;
  while (!current.terminal) {
    if (Date.now() > until) {
      throw new McpError(ErrorCode.InternalError, `Task ${task.id} did not end within its time to live`);
    }
    await new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, current.pollIntervalMs);
    });
    if (ctx.cancel.aborted) throw new McpError(ErrorCode.RequestTimeout, 'tasks/result was cancelled');
    current = (await find(params, ctx, engine, 'handshake')).task;
  }
  return current;
}

async function awaitResult(
  task: Task,
  ctx: RequestContext,
  engine: Engine,
): Promise<Record<string, unknown>> {
  let failure: unknown;
  for (;;) {
    if (task.terminal) return finalOf(task);
    if (failure !== undefined) throw failure;
    if (ctx.cancel.aborted) throw new McpError(ErrorCode.RequestTimeout, 'tasks/result was cancelled');
    for (const input of task.takeUndelivered()) {
      const params = { ...input.request.params, _meta: { [RELATED_TASK]: { taskId: task.id } } };
      engine.requestClient(ctx, input.request.method, params).then(
        (answer) => task.answer({ [input.key]: answer }),
        (err: unknown) => {
          // The request stays outstanding for a later tasks/result; this one fails with the reason.
          task.redeliver(input.key);
          failure = err;
          task.wake();
        },
      );
    }
    await nextChange(task, ctx);
  }
}

export const handshakeTaskMethods: MethodTable = {
  'tasks/get': {
    async run(params, ctx, engine) {
      requireHandshakeTasks(ctx, 'tasks/get');
      return (await find(params, ctx, engine, 'handshake')).task.toHandshake();
    },
  },
  'tasks/result': {
    async run(params, ctx, engine) {
      requireHandshakeTasks(ctx, 'tasks/result');
      const found = await find(params, ctx, engine, 'handshake');
      if (found.held) return awaitResult(found.task, ctx, engine);
      return finalOf(await untilRecorded(found.task, params, ctx, engine));
    },
  },
  'tasks/list': {
    run(params, ctx, engine) {
      requireHandshakeTasks(ctx, 'tasks/list');
      const mine = engine.tasks.list(ctx.endpoint.id, ctx.session.principal);
      const { page, nextCursor } = paginate(mine, params['cursor'], engine.pageSize);
      const tasks = page.map((t) => t.toHandshake());
      return nextCursor ? { tasks, nextCursor } : { tasks };
    },
  },
  'tasks/cancel': {
    async run(params, ctx, engine) {
      requireHandshakeTasks(ctx, 'tasks/cancel');
      const found = await find(params, ctx, engine, 'handshake');
      const { task } = found;
      if (task.terminal) throw invalidParams(`Cannot cancel task: already in terminal status ${task.status}`);
      cancel(found, ctx, engine);
      return task.toHandshake();
    },
  },
};

function requireExtension(ctx: RequestContext, method: string): void {
  if (!declaresTasks(ctx)) throw missingTasksExtension(method);
}

export const modernTaskMethods: MethodTable = {
  'tasks/get': {
    async run(params, ctx, engine) {
      requireExtension(ctx, 'tasks/get');
      return (await find(params, ctx, engine, 'modern')).task.toModern(true);
    },
  },
  'tasks/update': {
    async run(params, ctx, engine) {
      requireExtension(ctx, 'tasks/update');
      const responses = params['inputResponses'];
      if (typeof responses !== 'object' || responses === null || Array.isArray(responses)) {
        throw invalidParams('tasks/update requires an inputResponses object');
      }
      heldHere(await find(params, ctx, engine, 'modern')).answer(responses as Record<string, unknown>);
      return {};
    },
  },
  'tasks/cancel': {
    async run(params, ctx, engine) {
      requireExtension(ctx, 'tasks/cancel');
      cancel(await find(params, ctx, engine, 'modern'), ctx, engine);
      return {};
    },
  },
};
