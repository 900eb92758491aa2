/**
 * CORS for browser MCP clients. The Origin guard (host-origin.ts) runs first and refuses origins that are not allowed
 * (`MCPD_ALLOWED_ORIGINS`, or same-host origins by default), so an Origin that reaches this hook is allowed: it gets
 * `Access-Control-Allow-Origin` echoing that one origin (never `*`, and no credentials: tokens travel in the
 * Authorization header). Preflights (OPTIONS) are answered without authentication, as browsers send them
 * without credentials. Headers go on the raw response, so the routes that write it directly carry them too.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const ALLOW_HEADERS = [
  'authorization',
  'content-type',
  'accept',
  'last-event-id',
  'mcp-session-id',
  'mcp-protocol-version',
  'mcp-method',
  'mcp-name',
  'part-id',
];
const EXPOSE_HEADERS = 'mcp-session-id, mcp-protocol-version, www-authenticate, retry-after';
/** `Mcp-Param-*` headers are named by tools' schemas; they are allowed by prefix. */
const PARAM_HEADER = /^mcp-param-[a-z0-9-]+$/;

export function registerCors(app: FastifyInstance): void {
  const originOf = (req: FastifyRequest) => req.headers.origin;
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const origin = originOf(req);
    reply.raw.setHeader('vary', 'Origin');
    if (!origin) return;
    reply.raw.setHeader('access-control-allow-origin', origin);
    reply.raw.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
  });
  app.options('/*', async (req, reply) => {
    if (!originOf(req)) return reply.code(400).send({ detail: 'A preflight needs an Origin header' });
    const asked = String(req.headers['access-control-request-headers'] ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean);
    const refused = asked.filter((h) => !ALLOW_HEADERS.includes(h) && !PARAM_HEADER.test(h));
    if (refused.length > 0)
      return reply.code(403).send({ detail: `Headers not allowed: ${refused.join(', ')}` });
    return reply
      .code(204)
      .header('access-control-allow-methods', 'GET, POST, DELETE, OPTIONS')
      .header(
        'access-control-allow-headers',
        [...ALLOW_HEADERS, ...asked.filter((h) => PARAM_HEADER.test(h))].join(', '),
      )
      .header('access-control-max-age', '600')
      .send();
  });
}
