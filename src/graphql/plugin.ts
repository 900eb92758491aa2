/**
 * Mounts the management API at `POST /{endpoint_id}/mcp_core_graphql` (the older engine's route) with mercurius.
 * The route has its own JSON body parser (the MCP routes read raw strings). `Part-ID` selects a sub-partition,
 * as in the older engine.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import mercurius from 'mercurius';
import type { BlobStore } from '../blobs/index.js';
import type { DeployRequest, DeployResult } from '../bundles/deploy.js';
import type { Logger } from '../observability/logger.js';
import { ENDPOINT_ID } from '../registry/endpoints.js';
import type { Store } from '../store/index.js';
import { registerGraphiql } from './graphiql.js';
import { formatError } from './errors.js';
import { createLoaders, type ManagementContext, resolvers } from './resolvers.js';
import { schema } from './schema.js';
import { guardResolvers } from './authz.js';
import type { ApiKeyDirectory } from '../auth/api-keys.js';
import { principalOf } from '../http/auth-guard.js';
import { partitionOf } from '../store/index.js';

export interface ManagementDeps {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly refresh: (partition: string) => Promise<void>;
  readonly deploy: (req: DeployRequest) => Promise<DeployResult>;
  readonly logger: Logger;
  readonly graphiql: boolean;
  readonly apiKeys?: ApiKeyDirectory;
}

const PART_ID = /^[A-Za-z0-9_-]{1,128}$/;

function idsOf(req: FastifyRequest): { endpointId: string; partId: string | undefined } {
  const { endpointId } = req.params as { endpointId: string };
  const partHeader = req.headers['part-id'];
  return { endpointId, partId: Array.isArray(partHeader) ? partHeader[0] : partHeader };
}

/** Why a request names no valid partition, or undefined when it does. */
function refusal(req: FastifyRequest): string | undefined {
  const { endpointId, partId } = idsOf(req);
  if (!ENDPOINT_ID.test(endpointId)) return 'endpoint id must match [A-Za-z0-9_-]+';
  if (partId !== undefined && partId !== '' && !PART_ID.test(partId))
    return 'Part-ID must match [A-Za-z0-9_-]+';
  return undefined;
}

export async function registerGraphql(app: FastifyInstance, deps: ManagementDeps): Promise<void> {
  if (deps.graphiql) registerGraphiql(app);
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, JSON.parse(body as string) as unknown);
      } catch {
        done(Object.assign(new Error('Body is not valid JSON'), { statusCode: 400 }), undefined);
      }
    });
    // Checked before mercurius runs: its error handler (which replaces any set here) calls `context` again, so a
    // throw from `context` would escape as a bare 500.
    scope.addHook('onRequest', async (req, reply) => {
      const refused = refusal(req);
      if (refused) {
        return reply
          .code(400)
          .send({ data: null, errors: [{ message: refused, extensions: { code: 'BAD_USER_INPUT' } }] });
      }
    });
    await scope.register(mercurius, {
      schema,
      resolvers: guardResolvers(resolvers) as never,
      path: '/:endpointId/mcp_core_graphql',
      graphiql: false,
      jit: 1,
      context: (req: FastifyRequest): ManagementContext => {
        const { endpointId, partId } = idsOf(req);
        const partition = partitionOf(endpointId, partId || undefined);
        const principal = principalOf(req);
        return {
          partition,
          store: deps.store,
          blobs: deps.blobs,
          refresh: deps.refresh,
          deploy: deps.deploy,
          loaders: createLoaders(deps.store, partition),
          ...(principal ? { principal } : {}),
          ...(deps.apiKeys ? { apiKeys: deps.apiKeys } : {}),
        };
      },
      errorFormatter: (execution) => {
        const errors = (execution.errors ?? []).flatMap((e) =>
          formatError(e, (err) => deps.logger.error({ err }, 'management API resolver failed')),
        );
        const data = execution.data ?? null;
        return { statusCode: data === null && errors.length > 0 ? 400 : 200, response: { data, errors } };
      },
    });
  });
}
