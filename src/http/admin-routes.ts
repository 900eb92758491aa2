/**
 * The older engine's endpoint routes beside MCP: `GET /{endpoint_id}` (server info with the endpoint's tools,
 * resources and prompts) and the registry cache routes (`POST …/admin/cache/refresh`, `GET …/admin/cache/status`,
 * `DELETE …/admin/cache`, `DELETE /admin/cache`).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ErrorCode } from '../protocol/errors.js';
import type { Catalog } from '../registry/catalog.js';
import { type EndpointRegistry, PARTITION } from '../registry/endpoints.js';
import { NAME, VERSION } from '../version.js';
import { sendRpcError } from './replies.js';

export interface AdminDeps {
  readonly registry: EndpointRegistry;
  /** Re-reads an endpoint from the store. */
  readonly refresh: (endpointId: string) => Promise<void>;
  /** Drops an endpoint from memory (the next request reloads it); false for one that cannot be dropped. */
  readonly evict: (endpointId: string) => boolean;
  readonly moduleCount: (endpointId: string) => Promise<number>;
}

type Req = { Params: { endpointId: string } };

const counts = (c: Catalog) => ({
  tools: c.toolList.length,
  resources: c.resourceList.length + c.templateList.length,
  prompts: c.promptList.length,
});

function badId(id: string, reply: FastifyReply): boolean {
  if (PARTITION.test(id)) return false;
  sendRpcError(reply, 400, ErrorCode.InvalidRequest, 'Bad Request: endpoint id must match [A-Za-z0-9_-]+');
  return true;
}

export function registerAdminRoutes(app: FastifyInstance, deps: AdminDeps): void {
  app.get<Req>('/:endpointId', async (req, reply) => {
    const id = req.params.endpointId;
    if (badId(id, reply)) return reply;
    const endpoint = deps.registry.get(id);
    if (!endpoint) return sendRpcError(reply, 404, ErrorCode.InvalidRequest, 'Not Found');
    const c = endpoint.catalog;
    return {
      name: NAME,
      version: VERSION,
      endpoint_id: id,
      ...(endpoint.instructions ? { instructions: endpoint.instructions } : {}),
      tools: c.toolList,
      resources: [...c.resourceList, ...c.templateList],
      prompts: c.promptList,
    };
  });
  app.post<Req>('/:endpointId/admin/cache/refresh', async (req, reply) => {
    const id = req.params.endpointId;
    if (badId(id, reply)) return reply;
    await deps.refresh(id);
    const endpoint = deps.registry.get(id);
    if (!endpoint) return sendRpcError(reply, 404, ErrorCode.InvalidRequest, 'Not Found');
    return { partition_key: id, ...counts(endpoint.catalog), modules: await deps.moduleCount(id) };
  });
  app.get<Req>('/:endpointId/admin/cache/status', async (req, reply) => {
    const id = req.params.endpointId;
    if (badId(id, reply)) return reply;
    const endpoint = deps.registry.get(id);
    return {
      partition_key: id,
      is_cached: endpoint !== undefined,
      cache_info: endpoint ? counts(endpoint.catalog) : null,
    };
  });
  app.delete<Req>('/:endpointId/admin/cache', async (req, reply) => {
    const id = req.params.endpointId;
    if (badId(id, reply)) return reply;
    return { partition_key: id, cleared: deps.evict(id) };
  });
  app.delete('/admin/cache', async () => {
    let cleared = 0;
    for (const id of deps.registry.ids()) if (deps.evict(id)) cleared++;
    return { cleared };
  });
}
