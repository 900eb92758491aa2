/** `completion/complete` for prompt arguments and resource-template variables. */

import { toCompletionResult } from '../../execution/results.js';
import { runHandler } from '../../execution/run.js';
import { invalidParams } from '../../protocol/errors.js';
import type { MethodTable } from '../engine.js';

const empty = { completion: { values: [], hasMore: false } };

export const completionMethods: MethodTable = {
  'completion/complete': {
    async run(params, ctx, engine) {
      const ref = params['ref'] as { type?: unknown; name?: unknown; uri?: unknown } | undefined;
      const argument = params['argument'] as { name?: unknown; value?: unknown } | undefined;
      if (typeof argument?.name !== 'string' || typeof argument.value !== 'string') {
        throw invalidParams('argument must have a string name and value');
      }
      const catalog = ctx.endpoint.catalog;
      let key: string;
      if (ref?.type === 'ref/prompt' && typeof ref.name === 'string') {
        if (!catalog.prompts.has(ref.name)) throw invalidParams(`Unknown prompt: ${ref.name}`);
        key = `prompt:${ref.name}`;
      } else if (ref?.type === 'ref/resource' && typeof ref.uri === 'string') {
        const known =
          catalog.templates.some((t) => t.definition.uriTemplate === ref.uri) ||
          catalog.resources.has(ref.uri);
        if (!known) throw invalidParams(`Unknown resource template: ${ref.uri}`);
        key = `resource:${ref.uri}`;
      } else {
        throw invalidParams('ref must be a ref/prompt with a name or a ref/resource with a uri');
      }
      const handler = catalog.completions.get(key);
      if (!handler) return empty;
      const args: Record<string, unknown> = { argument: { name: argument.name, value: argument.value } };
      if (params['context'] !== undefined) args['context'] = params['context'];
      const outcome = await runHandler(handler, args, ctx, engine, 'completion', `completion ${key}`);
      return outcome.ok ? toCompletionResult(outcome.value) : empty;
    },
  },
};
