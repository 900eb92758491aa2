/** `tools/list` and `tools/call`: argument validation, invocation of bundle code, result shaping. */

import { type ToolResult, toolErrorResult, toToolResult } from '../../execution/results.js';
import { recordCall, toolOutcome } from '../../calls/record-call.js';
import { runHandler } from '../../execution/run.js';
import { invalidParams } from '../../protocol/errors.js';
import type { ToolEntry } from '../../registry/catalog.js';
import type { RequestContext } from '../context.js';
import type { Engine, MethodTable } from '../engine.js';
import { paginate } from '../pagination.js';
import { validate, type ValidationOutcome } from '../schema-validation.js';

export const toolMethods: MethodTable = {
  'tools/list': {
    run(params, ctx, engine) {
      const { page, nextCursor } = paginate(ctx.endpoint.catalog.toolList, params['cursor'], engine.pageSize);
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
      const inputSchema = entry.definition['inputSchema'];
      if (typeof inputSchema === 'object' && inputSchema !== null) {
        const check = validate(inputSchema, args);
        // Compiled schemas validate synchronously; only a tool's first call waits for compilation.
        if (check instanceof Promise) return check.then((c) => invoke(entry, name, args, c, ctx, engine));
        return invoke(entry, name, args, check, ctx, engine);
      }
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
  return runHandler(handler, args, ctx, engine, `tool ${name}`).then((outcome) => {
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
