/** `tools/list` and `tools/call`: argument validation, invocation of bundle code, result shaping. */

import { toolErrorResult, toToolResult } from '../../execution/results.js';
import { runHandler } from '../../execution/run.js';
import { invalidParams } from '../../protocol/errors.js';
import type { MethodTable } from '../engine.js';
import { paginate } from '../pagination.js';
import { validate } from '../schema-validation.js';

export const toolMethods: MethodTable = {
  'tools/list': {
    run(params, ctx, engine) {
      const { page, nextCursor } = paginate(ctx.endpoint.catalog.toolList, params['cursor'], engine.pageSize);
      return nextCursor ? { tools: page, nextCursor } : { tools: page };
    },
  },
  'tools/call': {
    async run(params, ctx, engine) {
      const name = params['name'];
      if (typeof name !== 'string') throw invalidParams('tools/call requires a tool name');
      const entry = ctx.endpoint.catalog.tools.get(name);
      if (!entry) throw invalidParams(`Unknown tool: ${name}`);
      const rawArgs = params['arguments'] ?? {};
      if (typeof rawArgs !== 'object' || rawArgs === null || Array.isArray(rawArgs)) {
        throw invalidParams('arguments must be an object');
      }
      const args = rawArgs as Record<string, unknown>;
      const { definition, handler } = entry;
      const inputSchema = definition['inputSchema'];
      if (typeof inputSchema === 'object' && inputSchema !== null) {
        let check = validate(inputSchema, args);
        if (check instanceof Promise) check = await check;
        if (!check.ok) return toolErrorResult(`Invalid arguments for tool ${name}: ${check.message}`);
      }
      if (!handler) return toolErrorResult(`Tool ${name} has no implementation linked`);
      const outcome = await runHandler(handler, args, ctx, engine, `tool ${name}`);
      if (!outcome.ok) return toolErrorResult(outcome.message);
      const result = toToolResult(
        outcome.value,
        handler.returnType,
        definition['outputSchema'] !== undefined,
      );
      const outputSchema = definition['outputSchema'];
      if (typeof outputSchema === 'object' && outputSchema !== null && result.isError !== true) {
        if (result.structuredContent === undefined) {
          return toolErrorResult(`Tool ${name} has an outputSchema but returned no structured content`);
        }
        const check = await validate(outputSchema, result.structuredContent);
        if (!check.ok)
          return toolErrorResult(
            `Tool ${name} returned output that breaks its outputSchema: ${check.message}`,
          );
      }
      return result;
    },
  },
};
