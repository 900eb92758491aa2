/**
 * The Fastify application: body handling, DNS-rebinding guard, error masking, health, and the MCP transports.
 * Bodies reach the transports as raw strings so that malformed JSON is answered with JSON-RPC -32700.
 */
import type { VerifiedCredentials } from '../auth/verified-credentials.js';
import { createServer } from 'node:http';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Config } from '../config/config.js';
import type { Engine } from '../engine/engine.js';
import type { Logger } from '../observability/logger.js';
import { ErrorCode } from '../protocol/errors.js';
import { ENDPOINT_ID, type EndpointRegistry, partitionFor } from '../registry/endpoints.js';
import type { HttpSessionStore } from '../transports/http-sessions.js';
import { registerLegacySse } from '../transports/legacy-sse.js';
import { ActivityFeed } from '../transports/activity-feed.js';
import { streamableFastPath } from '../transports/streamable-fast-path.js';
import { registerStreamableHttp } from '../transports/streamable-http.js';
import { registerCors } from './cors.js';
import { createHostOriginCheck, hostOriginGuard } from './host-origin.js';
import { sendRpcError } from './replies.js';

export interface AppDeps {
  config: Config;
  engine: Engine;
  registry: EndpointRegistry;
  sessions: HttpSessionStore;
  logger: Logger;
  /** Loads an endpoint this instance has not served yet (from the store); resolves when known or absent. */
  ensureEndpoint?: (endpointId: string) => Promise<unknown>;
  /** Authentication and authorization of every request (absent when the daemon runs open). */
  guard?: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  /** What the guard has just allowed: with a guard, the fast path serves only those credentials. */
  verified?: VerifiedCredentials;
  /** Extra figures for /health (counts only: no tenant or user names). */
  health?: () => Record<string, unknown>;
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const { config, engine, registry, sessions, logger } = deps;
  const hostOrigin = createHostOriginCheck({
    boundHost: config.host,
    allowedHosts: config.allowedHosts,
    allowedOrigins: config.allowedOrigins,
  });
  const streams = { keepAliveMs: config.keepAliveMs, sseRetryMs: config.sseRetryMs };
  // The fast path serves POSTs before Fastify's hooks: with a guard, only for credentials it has just allowed.
  const fastPath =
    config.stateless || (deps.guard && !deps.verified)
      ? undefined
      : streamableFastPath({
          engine,
          endpoints: registry,
          sessions,
          hostOrigin,
          bodyLimitBytes: config.bodyLimitBytes,
          ...(deps.guard && deps.verified ? { verified: deps.verified } : {}),
          ...streams,
        });
  const app = Fastify({
    // Session-bound Streamable HTTP POSTs are served before Fastify routing (see streamable-fast-path.ts).
    serverFactory: (handler) => {
      const server = createServer((req, res) => {
        if (!fastPath?.(req, res)) handler(req, res);
      });
      // What Fastify sets on servers it creates itself: idle keep-alive connections live 72 s, longer than
      // the usual load-balancer idle timeout, so the balancer closes first.
      server.keepAliveTimeout = 72_000;
      return server;
    },
    bodyLimit: config.bodyLimitBytes,
    trustProxy: trustProxyOption(config.trustProxy),
    return503OnClosing: true,
    forceCloseConnections: true,
    // Fastify's own logger stays off: it would build a child logger per request. Errors are logged by the
    // error handler below through the daemon's logger.
    logger: false,
    routerOptions: { maxParamLength: 256 },
    frameworkErrors: (err, _req, reply) => {
      sendRpcError(reply, err.statusCode ?? 400, ErrorCode.InvalidRequest, `Bad Request: ${err.message}`);
    },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addHook('onRequest', hostOriginGuard(hostOrigin));
  registerCors(app);
  if (deps.guard) {
    app.decorateRequest('principal', undefined);
    app.addHook('onRequest', deps.guard);
  }
  const ensure = deps.ensureEndpoint;
  app.addHook('onRequest', async (req, reply) => {
    const params = req.params as { endpointId?: unknown } | undefined;
    const id = params?.endpointId;
    if (typeof id !== 'string' || !ENDPOINT_ID.test(id)) return;
    const route = req.routeOptions.url ?? '';
    // The management API reads Part-ID itself.
    if (route.endsWith('/mcp_core_graphql')) return;
    // From here on, routes see the partition (`endpoint_id#part_id` when a Part-ID header is sent).
    const partition = partitionFor(id, req.headers['part-id']);
    if (partition === undefined) {
      return sendRpcError(
        reply,
        400,
        ErrorCode.InvalidRequest,
        'Bad Request: Part-ID must match [A-Za-z0-9_-]+',
      );
    }
    (params as { endpointId: string }).endpointId = partition;
    // Endpoints in the store are loaded on their first request; later requests find them in memory. Cache
    // administration reports and drops what is loaded; it never loads.
    if (ensure && !registry.get(partition) && !route.includes('/admin/cache')) {
      try {
        await ensure(partition);
      } catch (err) {
        // The store or blob store is down: this endpoint cannot be loaded now, the rest keep serving.
        logger.error({ err, endpoint: partition }, 'endpoint could not be loaded');
        const code = (err as { code?: unknown }).code;
        const unavailable = code === 'MCPD_STORE_UNAVAILABLE' || code === 'MCPD_BLOB_UNAVAILABLE';
        return sendRpcError(
          reply,
          unavailable ? 503 : 500,
          ErrorCode.InternalError,
          unavailable ? 'Service Unavailable: the registry store cannot be reached' : 'Internal error',
        );
      }
    }
  });
  app.setErrorHandler((err: FastifyError, _req, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) {
      logger.error({ err }, 'request failed');
      return sendRpcError(reply, 500, ErrorCode.InternalError, 'Internal error');
    }
    const code = status === 413 ? ErrorCode.InvalidRequest : ErrorCode.ConnectionClosed;
    const message =
      status === 413 ? `Payload Too Large: the limit is ${config.bodyLimitBytes} bytes` : err.message;
    return sendRpcError(reply, status, code, message);
  });
  app.setNotFoundHandler((_req, reply) => sendRpcError(reply, 404, ErrorCode.InvalidRequest, 'Not Found'));

  app.get('/health', async () => ({
    status: 'ok',
    timestamp: new Date().toISOString(),
    endpoints: registry.ids().length,
    sessions: sessions.size,
    ...deps.health?.(),
  }));

  registerStreamableHttp(app, {
    engine,
    endpoints: registry,
    sessions,
    stateless: config.stateless,
    ...streams,
  });
  registerLegacySse(app, {
    engine,
    endpoints: registry,
    sessions,
    keepAliveMs: config.keepAliveMs,
    activity: new ActivityFeed(),
  });
  // Before connections are cut: listen streams get their final result, so clients see a graceful end.
  app.addHook('preClose', async () => {
    engine.endSubscriptions();
    await new Promise((resolve) => setImmediate(resolve));
  });
  app.addHook('onClose', async () => sessions.close());
  return app;
}

/** Fastify's `trustProxy` for MCPD_TRUST_PROXY (a hop count becomes "trust the first n hops"). */
function trustProxyOption(
  v: Config['trustProxy'],
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof v === 'number') return (_address, hop) => hop < v;
  return typeof v === 'boolean' ? v : [...v];
}
