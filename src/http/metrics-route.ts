/**
 * `GET /metrics`: the Prometheus text format, or prom-client's JSON with `Accept: application/json`. The auth
 * guard lets through the global admin and MCPD_METRICS_TOKEN only.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export function registerMetricsRoute(app: FastifyInstance, registry: Registry): void {
  app.get('/metrics', async (req, reply) => {
    reply.header('cache-control', 'no-store');
    if (req.headers.accept?.includes('application/json') === true) return registry.getMetricsAsJSON();
    reply.type(registry.contentType);
    return registry.metrics();
  });
}
