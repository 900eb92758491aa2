/** `tools/list` and `tools/call`: argument validation, invocation of bundle code, result shaping. */

import { type ToolResult, toolErrorResult, toToolResult } from '../../execution/results.js';
import { followUp, handleResult } from '../../calls/async-calls.js';
import { recordCall, toolOutcome } from '../../calls/record-call.js';
import type { CallRecorder } from '../../calls/recorder.js';
import { Cancellation } from '../cancellation.js';
import { runHandler } from '../../execution/run.js';
import { invalidParams } from '../../protocol/errors.js';
import type { ToolEntry } from '../../registry/catalog.js';
import type { RequestContext } from '../context.js';
import type { Engine, MethodTable } from '../engine.js';
import { paginate } from '../pagination.js';
import { validate, type ValidationOutcome } from '../schema-validation.js';
import { isSupportedModernVersion } from '../../protocol/modern.js';
import { startTask, wantsTask } from '../../tasks/start.js';

export const toolMethods: MethodTable = {
  'tools/list': {
    run(params, ctx, engine) {
      const catalog = ctx.endpoint.catalog;
      const list = isSupportedModernVersion(ctx.session.protocolVersion)
        ? catalog.modernToolList
        : catalog.toolList;
      const { page, nextCursor } = paginate(list, params['cursor'], engine.pageSize);
      return nextCursor ? { tools: page, nextCursor } : { tools: page };
    },
  },
  'tools/call': {
    run(params, ctx, engine) {
      const name = params['name'];
      if (typeof name !== 'string') throw invalidParams('tools/call requires a tool name');
      const entry = ctx.endpoint.catalog.tools.get(name);
      if (!entry) throw invalidParams(`Unknown tool: ${name}`);
      const rawArgs = params['arguments'] ?? {};
      if (typeof rawArgs !== 'object' || rawArgs === null || Array.isArray(rawArgs)) {
        throw invalidParams('arguments must be an object');
      }
      const args = rawArgs as Record<string, unknown>;
      const recorder = engine.recorder;
      if (entry.handler?.isAsync && recorder && typeof args['mcp_function_call_uuid'] === 'string') {
        return followUp(recorder, ctx.endpoint.id, name, args['mcp_function_call_uuid']);
      }
      // Tasks (execution.taskSupport, params.task): decided before anything runs; most tools have neither.
      const asTask =
        (entry.definition['execution'] !== undefined || params['task'] !== undefined) &&
        wantsTask(entry.definition, params, ctx);
      const inputSchema = entry.definition['inputSchema'];
      if (typeof inputSchema === 'object' && inputSchema !== null) {
        const check = validate(inputSchema, args);
        // Compiled schemas validate synchronously; only a tool's first call waits for compilation.
        if (check instanceof Promise) {
          return check.then((c) =>
            asTask && c.ok
              ? runAsTask(entry, name, args, params, ctx, engine)
              : invoke(entry, name, args, c, ctx, engine),
          );
        }
        if (asTask && check.ok) return runAsTask(entry, name, args, params, ctx, engine);
        return invoke(entry, name, args, check, ctx, engine);
      }
      if (asTask) return runAsTask(entry, name, args, params, ctx, engine);
      return invoke(entry, name, args, { ok: true }, ctx, engine);
    },
  },
};

function invoke(
  entry: ToolEntry,
  name: string,
  args: Record<string, unknown>,
  check: ValidationOutcome,
  ctx: RequestContext,
  engine: Engine,
): ToolResult | Promise<ToolResult> {
  const recorder = engine.recorder;
  if (!recorder) return execute(entry, name, args, check, ctx, engine);
  if (entry.handler?.isAsync && check.ok) return startAsync(recorder, entry, name, args, ctx, engine);
  return recordCall(
    recorder,
    ctx,
    'tool',
    name,
    args,
    entry.handler,
    () => execute(entry, name, args, check, ctx, engine),
    toolOutcome,
  );
}

/** A tools/call that runs as an MCP task (src/tasks): answered with the task; its record's id is the task id. */
function runAsTask(
  entry: ToolEntry,
  name: string,
  args: Record<string, unknown>,
  params: Record<string, unknown>,
  ctx: RequestContext,
  engine: Engine,
): Promise<Record<string, unknown>> {
  return startTask({
    registry: engine.tasks,
    definition: entry.definition,
    params,
    ctx,
    work: (rc, id) =>
      Promise.resolve(
        recordCall(
          engine.recorder,
          rc,
          'tool',
          name,
          args,
          entry.handler,
          () => execute(entry, name, args, { ok: true }, rc, engine),
          toolOutcome,
          undefined,
          id,
        ),
      ) as Promise<Record<string, unknown>>,
  });
}

function execute(
  entry: ToolEntry,
  name: string,
  args: Record<string, unknown>,
  check: ValidationOutcome,
  ctx: RequestContext,
  engine: Engine,
): ToolResult | Promise<ToolResult> {
  if (!check.ok) return toolErrorResult(`Invalid arguments for tool ${name}: ${check.message}`);
  const handler = entry.handler;
  if (!handler) return toolErrorResult(`Tool ${name} has no implementation linked`);
  return runHandler(handler, args, ctx, engine, 'tool', `tool ${name}`).then((outcome) => {
    if (!outcome.ok) return toolErrorResult(outcome.message);
    const outputSchema = entry.definition['outputSchema'];
    const result = toToolResult(outcome.value, handler.returnType, outputSchema !== undefined);
    if (typeof outputSchema !== 'object' || outputSchema === null || result.isError === true) return result;
    return checkOutput(name, outputSchema, result);
  });
}

async function checkOutput(name: string, schema: object, result: ToolResult): Promise<ToolResult> {
  if (result.structuredContent === undefined) {
    return toolErrorResult(`Tool ${name} has an outputSchema but returned no structured content`);
  }
  const check = await validate(schema, result.structuredContent);
  if (check.ok) return result;
  return toolErrorResult(`Tool ${name} returned output that breaks its outputSchema: ${check.message}`);
}

/**
 * An `is_async` tool: runs detached from the request (the client may go away; the record keeps the result) and
 * answers with its result if it is done within `engine.asyncWaitMs`, else with its handle.
 */
function startAsync(
  recorder: CallRecorder,
  entry: ToolEntry,
  name: string,
  args: Record<string, unknown>,
  ctx: RequestContext,
  engine: Engine,
): Promise<ToolResult> {
  const detached: RequestContext = Object.assign({}, ctx, { cancel: new Cancellation() });
  let uuid = '';
  const work = Promise.resolve(
    recordCall(
      recorder,
      detached,
      'tool',
      name,
      args,
      entry.handler,
      () => execute(entry, name, args, { ok: true }, detached, engine),
      toolOutcome,
      (id) => (uuid = id),
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  const wait = new Promise<ToolResult>((resolve) => {
    timer = setTimeout(() => resolve(handleResult(uuid, 'in_process')), engine.asyncWaitMs);
  });
  work.catch(() => undefined); // its outcome is in the record
  return Promise.race([work.finally(() => clearTimeout(timer)), wait]);
}
