/**
 * Whether a tools/call runs as a task, and starting it.
 *
 * A tool says what it supports in its definition: `execution.taskSupport` = `forbidden` (default), `optional` or
 * `required` (the 2025-11-25 field; the 2026-07-28 wire does not show it, the server decides there).
 * - 2026-07-28: a task when the tool supports one and this request's client capabilities declare the extension
 *   `io.modelcontextprotocol/tasks`; a `required` tool without it is -32021 naming the extension; `params.task` is
 *   ignored.
 * - 2025-11-25: a task when the request carries `params.task` (its `ttl` is honoured within bounds); `params.task`
 *   on a `forbidden` tool, or none on a `required` one, is -32601.
 * - Earlier versions know no tasks: every call runs as before.
 *
 * A task starts when the call starts, unless the tool's definition says `"x-mcpd-task-start": "explicit"` (2026):
 * then the call runs as an ordinary request (it may ask for input with an InputRequiredResult first) until its
 * code calls `ctx.beginTask()`, which answers the request with the task and lets the code go on detached.
 */
import { callId } from '../calls/call-id.js';
import { Cancellation } from '../engine/cancellation.js';
import type { RequestContext } from '../engine/context.js';
import type { MessageSink } from '../engine/sink.js';
import { ErrorCode, McpError } from '../protocol/errors.js';
import { isSupportedModernVersion, ModernErrorCode } from '../protocol/modern.js';
import type { Definition } from '../registry/catalog.js';
import type { TaskRegistry } from './task-registry.js';
import { TASK_POLL_INTERVAL_MS, taskTtl } from './task-registry.js';
import { Task } from './task.js';

export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
/** The first handshake version with tasks. */
const TASKS_SINCE = '2025-11-25';

export type TaskSupport = 'forbidden' | 'optional' | 'required';

/** CreateTaskResults, so the 2026 dispatcher marks them `resultType: "task"`. */
const TASK_RESULTS = new WeakSet<object>();
export const isTaskResult = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && TASK_RESULTS.has(value);

export function taskSupportOf(definition: Definition): TaskSupport {
  const execution = definition['execution'] as { taskSupport?: unknown } | undefined;
  const v = execution?.taskSupport;
  return v === 'optional' || v === 'required' ? v : 'forbidden';
}

export function explicitStart(definition: Definition): boolean {
  return definition['x-mcpd-task-start'] === 'explicit';
}

/** The 2026 error for a client that must declare the tasks extension. */
export function missingTasksExtension(what: string): McpError {
  return new McpError(
    ModernErrorCode.MissingRequiredClientCapability,
    `Missing required client capability: ${what} needs the ${TASKS_EXTENSION} extension`,
    { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
  );
}

export function declaresTasks(ctx: RequestContext): boolean {
  const extensions = ctx.session.clientCapabilities['extensions'] as Record<string, unknown> | undefined;
  return extensions?.[TASKS_EXTENSION] != null;
}

export const isModernRequest = (ctx: RequestContext): boolean =>
  isSupportedModernVersion(ctx.session.protocolVersion);

/** Whether tasks exist in this request's protocol version. */
export function tasksKnown(ctx: RequestContext): boolean {
  return isModernRequest(ctx) || ctx.session.protocolVersion >= TASKS_SINCE;
}

/** `true` when this call runs as a task; throws the protocol error when it may not run at all. */
export function wantsTask(
  definition: Definition,
  params: Record<string, unknown>,
  ctx: RequestContext,
): boolean {
  const support = taskSupportOf(definition);
  const name = String(definition.name);
  if (isModernRequest(ctx)) {
    const declared = declaresTasks(ctx);
    if (support === 'required' && !declared) throw missingTasksExtension(`tool ${name}`);
    return support !== 'forbidden' && declared;
  }
  if (!tasksKnown(ctx)) return false;
  const asked = typeof params['task'] === 'object' && params['task'] !== null;
  if (asked && support === 'forbidden') {
    throw new McpError(ErrorCode.MethodNotFound, `Tool ${name} does not support task-augmented calls`);
  }
  if (!asked && support === 'required') {
    throw new McpError(ErrorCode.MethodNotFound, `Tool ${name} must be called as a task (params.task)`);
  }
  return asked;
}

/** The code of one call, run with the task's context (detached from the request) under the task's id. */
export type Work = (rc: RequestContext, id: string) => Promise<Record<string, unknown>>;

const NO_SINK: MessageSink = { send: () => undefined };

export interface StartOptions {
  readonly registry: TaskRegistry;
  readonly definition: Definition;
  readonly params: Record<string, unknown>;
  readonly ctx: RequestContext;
  readonly work: Work;
}

/**
 * Starts the call as a task and answers the request with the task (CreateTaskResult), or, with an explicit start,
 * with whatever the call answers before it begins its task.
 */
export function startTask(opts: StartOptions): Promise<Record<string, unknown>> {
  const { ctx, definition } = opts;
  const modern = isModernRequest(ctx);
  const cancel = new Cancellation();
  // 2026: nothing of a task goes to any stream; 2025: progress and logs reach the session's stream, if open.
  const sink: MessageSink = modern ? NO_SINK : { send: (m) => ctx.session.notifier?.(m) };
  const detached = Object.assign({}, ctx, {
    cancel,
    sink,
    progressToken: modern ? undefined : ctx.progressToken,
  }) as RequestContext & { task?: Task; beginTask?: () => void };
  const explicit = modern && explicitStart(definition);
  // The task's id is its call record's id, so the call history answers for it once this instance forgets it.
  const id = callId();
  let created: Task | undefined;
  const create = (): Record<string, unknown> => {
    const requested = (opts.params['task'] as { ttl?: unknown } | undefined)?.ttl;
    created = new Task({
      id,
      endpointId: ctx.endpoint.id,
      owner: ctx.session.principal,
      era: modern ? 'modern' : 'handshake',
      toolName: String(definition.name),
      ttlMs: taskTtl(modern ? undefined : requested),
      pollIntervalMs: TASK_POLL_INTERVAL_MS,
      cancel,
    });
    opts.registry.add(created);
    if (!modern) {
      // 2025-11-25 notifications/tasks/status, on the session's stream when one is open.
      created.onChange = (t) =>
        ctx.session.notifier?.({
          jsonrpc: '2.0',
          method: 'notifications/tasks/status',
          params: t.toHandshake(),
        });
    }
    detached.task = created;
    const result = modern ? created.toModern(false) : { task: created.toHandshake() };
    TASK_RESULTS.add(result);
    return result;
  };
  if (!explicit) {
    const answer = create();
    const task = created as unknown as Task;
    void opts.work(detached, id).then(
      (result) => task.complete(result),
      (err: unknown) => task.fail(err),
    );
    return Promise.resolve(answer);
  }
  // Explicit start: the request's cancellation reaches the code only until the task begins.
  ctx.cancel.signal.addEventListener('abort', () => {
    if (!created) cancel.abort(ctx.cancel.reason);
  });
  return new Promise((resolve, reject) => {
    detached.beginTask = () => {
      if (!created) resolve(create());
    };
    opts.work(detached, id).then(
      (result) => (created ? created.complete(result) : resolve(result)),
      (err: unknown) => (created ? created.fail(err) : reject(err as Error)),
    );
  });
}
