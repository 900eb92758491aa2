/** Resources: list, templates/list, read (exact URIs first, then templates), subscribe and unsubscribe. */

import { toResourceResult } from '../../execution/results.js';
import { recordCall } from '../../calls/record-call.js';
import { runHandler } from '../../execution/run.js';
import { ErrorCode, invalidParams, McpError } from '../../protocol/errors.js';
import type { Handler } from '../../registry/catalog.js';
import type { MethodTable } from '../engine.js';
import { paginate } from '../pagination.js';

function requireUri(params: Record<string, unknown>): string {
  const uri = params['uri'];
  if (typeof uri !== 'string' || uri.length === 0) throw invalidParams('uri must be a non-empty string');
  return uri;
}

const notFound = (uri: string) =>
  new McpError(ErrorCode.ResourceNotFound, `Resource not found: ${uri}`, { uri });

export const resourceMethods: MethodTable = {
  'resources/list': {
    run(params, ctx, engine) {
      const { page, nextCursor } = paginate(
        ctx.endpoint.catalog.resourceList,
        params['cursor'],
        engine.pageSize,
      );
      return nextCursor ? { resources: page, nextCursor } : { resources: page };
    },
  },
  'resources/templates/list': {
    run(params, ctx, engine) {
      const list = ctx.endpoint.catalog.templateList;
      const { page, nextCursor } = paginate(list, params['cursor'], engine.pageSize);
      return nextCursor ? { resourceTemplates: page, nextCursor } : { resourceTemplates: page };
    },
  },
  'resources/read': {
    async run(params, ctx, engine) {
      const uri = requireUri(params);
      const catalog = ctx.endpoint.catalog;
      let handler: Handler | undefined;
      let args: Record<string, unknown> = { uri };
      let mimeType: unknown;
      const exact = catalog.resources.get(uri);
      if (exact) {
        handler = exact.handler;
        mimeType = exact.definition['mimeType'];
      } else {
        for (const t of catalog.templates) {
          const vars = t.template.match(uri);
          if (vars) {
            handler = t.handler;
            args = { ...vars, uri };
            mimeType = t.definition['mimeType'];
            break;
          }
        }
        if (!handler) throw notFound(uri);
      }
      if (!handler)
        throw new McpError(ErrorCode.InternalError, `Resource ${uri} has no implementation linked`);
      const linked = handler;
      const read = async () => {
        const outcome = await runHandler(linked, args, ctx, engine, 'resource', `resource ${uri}`);
        if (!outcome.ok)
          throw new McpError(ErrorCode.InternalError, `Reading ${uri} failed: ${outcome.message}`);
        return toResourceResult(outcome.value, uri, mimeType);
      };
      return recordCall(engine.recorder, ctx, 'resource', uri, args, linked, read, (r) => ({
        status: 'completed',
        content: (r as { contents?: unknown }).contents ?? null,
      }));
    },
  },
  'resources/subscribe': {
    run(params, ctx) {
      (ctx.session.subscriptions ??= new Set()).add(requireUri(params));
      return {};
    },
  },
  'resources/unsubscribe': {
    run(params, ctx) {
      ctx.session.subscriptions?.delete(requireUri(params));
      return {};
    },
  },
};
