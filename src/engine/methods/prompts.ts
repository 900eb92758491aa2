/** Prompts: list and get, with required-argument checks. */

import { toPromptResult } from '../../execution/results.js';
import { recordCall } from '../../calls/record-call.js';
import { runHandler } from '../../execution/run.js';
import { ErrorCode, invalidParams, McpError } from '../../protocol/errors.js';
import type { MethodTable } from '../engine.js';
import { paginate } from '../pagination.js';

export const promptMethods: MethodTable = {
  'prompts/list': {
    run(params, ctx, engine) {
      const { page, nextCursor } = paginate(
        ctx.endpoint.catalog.promptList,
        params['cursor'],
        engine.pageSize,
      );
      return nextCursor ? { prompts: page, nextCursor } : { prompts: page };
    },
  },
  'prompts/get': {
    async run(params, ctx, engine) {
      const name = params['name'];
      if (typeof name !== 'string') throw invalidParams('prompts/get requires a prompt name');
      const entry = ctx.endpoint.catalog.prompts.get(name);
      if (!entry) throw invalidParams(`Unknown prompt: ${name}`);
      const raw = params['arguments'] ?? {};
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw invalidParams('arguments must be an object');
      }
      const args = raw as Record<string, unknown>;
      for (const [key, value] of Object.entries(args)) {
        if (typeof value !== 'string') throw invalidParams(`Argument ${key} must be a string`);
      }
      const missing = (entry.definition.arguments ?? [])
        .filter((a) => a.required === true && args[a.name] === undefined)
        .map((a) => a.name);
      if (missing.length > 0) throw invalidParams(`Missing required arguments: ${missing.join(', ')}`);
      if (!entry.handler)
        throw new McpError(ErrorCode.InternalError, `Prompt ${name} has no implementation linked`);
      const handler = entry.handler;
      const get = async () => {
        const outcome = await runHandler(handler, args, ctx, engine, 'prompt', `prompt ${name}`);
        if (!outcome.ok)
          throw new McpError(ErrorCode.InternalError, `Prompt ${name} failed: ${outcome.message}`);
        return toPromptResult(outcome.value, entry.definition['description']);
      };
      return recordCall(engine.recorder, ctx, 'prompt', name, args, handler, get, (r) => ({
        status: 'completed',
        content: (r as { messages?: unknown }).messages ?? null,
      }));
    },
  },
};
