/**
 * Authentication and authorization of every HTTP request, before anything looks at the endpoint it names: the
 * principal comes from the `Authorization: Bearer` header only, and the policy decides per route. An endpoint the
 * principal has no role on answers exactly like one that does not exist (404); a role that is too weak gets 403
 * `insufficient_scope`; no or bad credentials get 401 with `WWW-Authenticate` pointing at the resource metadata.
 * Public: /health, POST /auth/token, the metadata documents and CORS preflights.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AdminTokenVerifier } from '../auth/admin-token.js';
import type { Authenticator } from '../auth/authenticator.js';
import { type AuthCounters, bump } from '../observability/metrics.js';
import { AuthError } from '../auth/errors.js';
import { resourceMetadataUrl, resourceUri, wwwAuthenticate, wwwAuthenticateFor } from '../auth/metadata.js';
import { type Action, authorize } from '../auth/policy.js';
import type { Principal } from '../auth/principal.js';
import type { VerifiedCredentials } from '../auth/verified-credentials.js';
import type { Logger } from '../observability/logger.js';
import { ErrorCode } from '../protocol/errors.js';
import { ENDPOINT_ID, partitionFor } from '../registry/endpoints.js';
import { sendRpcError } from './replies.js';

export interface GuardOptions {
  readonly authenticator: Authenticator;
  /** MCPD_PUBLIC_URL: enables the audience check and absolute metadata URLs. */
  readonly publicUrl: string | undefined;
  readonly logger: Logger;
  /** MCPD_METRICS_TOKEN: lets Prometheus read /metrics without an admin token. */
  readonly metricsToken?: AdminTokenVerifier;
  /** Refusals by code, for /metrics. */
  readonly counters?: AuthCounters;
  /** Filled with the credentials allowed to POST to an endpoint's /mcp, for the Streamable HTTP fast path. */
  readonly verified?: VerifiedCredentials;
}

const PUBLIC = new Set(['/health', '/auth/token']);

/** The action a route needs on its endpoint; `null` for routes that need only an authenticated principal. */
function actionOf(route: string, method: string): Action | null {
  if (route === '/admin/cache') return 'admin';
  if (route.includes('/admin/cache')) return 'edit';
  if (route === '/:endpointId' || route.endsWith('/mcp_core_graphql') || route.endsWith('/graphiql'))
    return 'list';
  if (route.startsWith('/:endpointId/')) return 'call';
  // GET /me, and the HEAD Fastify adds for it.
  return route === '/me' && (method === 'GET' || method === 'HEAD') ? null : 'admin';
}

/** The routes whose handlers answer an unknown endpoint with `Not Found: no endpoint <partition>`. */
const NAMES_ENDPOINT = /^\/:endpointId\/(mcp|sse|messages)$/;

export function principalOf(req: FastifyRequest): Principal | undefined {
  return (req as { principal?: Principal }).principal;
}

export function createAuthGuard(opts: GuardOptions) {
  const metadataUrl = (req: FastifyRequest, endpointId: string | undefined) => {
    const base = opts.publicUrl ?? `${req.protocol}://${req.headers.host ?? 'localhost'}`;
    try {
      return resourceMetadataUrl(base, endpointId);
    } catch {
      return resourceMetadataUrl(base);
    }
  };
  const refused = (code: string) => {
    if (opts.counters) bump(opts.counters.refused, code);
  };
  const challenge = (reply: FastifyReply, status: number, header: string, message: string, code: number) => {
    reply.header('www-authenticate', header);
    return sendRpcError(reply, status, code, message);
  };

  return async function guard(req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const route = req.routeOptions.url;
    if (route === undefined || PUBLIC.has(route) || route.startsWith('/.well-known/')) return undefined;
    // CORS preflights (cors.ts): browsers send them without credentials; they reveal nothing about endpoints.
    if (req.method === 'OPTIONS' && route === '/*') return undefined;
    const authorization = req.headers.authorization;
    if (
      route === '/metrics' &&
      opts.metricsToken &&
      authorization?.startsWith('Bearer ') &&
      opts.metricsToken.matches(authorization.slice(7))
    ) {
      return undefined;
    }
    const rawId = (req.params as { endpointId?: unknown } | undefined)?.endpointId;
    const endpointId = typeof rawId === 'string' && ENDPOINT_ID.test(rawId) ? rawId : undefined;
    const resources = opts.publicUrl && endpointId ? [resourceUri(opts.publicUrl, endpointId)] : undefined;
    let principal: Principal | undefined;
    try {
      principal = await opts.authenticator.authenticate(authorization, resources ? { resources } : {});
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      refused(err.code);
      if (err.status === 503) {
        opts.logger.error({ err: err.cause ?? err }, 'authentication unavailable');
        return sendRpcError(
          reply,
          503,
          ErrorCode.InternalError,
          'Service Unavailable: cannot verify credentials',
        );
      }
      if (err.status === 429 && err.retryAfterSeconds !== undefined) {
        reply.header('retry-after', String(err.retryAfterSeconds));
      }
      const header = wwwAuthenticateFor(err, { resourceMetadata: metadataUrl(req, endpointId) });
      return challenge(reply, err.status, header, `Unauthorized: ${err.message}`, ErrorCode.ConnectionClosed);
    }
    if (!principal) {
      refused('MCPD_AUTH_MISSING');
      const header = wwwAuthenticate({ resourceMetadata: metadataUrl(req, endpointId) });
      return challenge(
        reply,
        401,
        header,
        'Unauthorized: a Bearer token is required',
        ErrorCode.ConnectionClosed,
      );
    }
    (req as { principal?: Principal }).principal = principal;
    const action = actionOf(route, req.method);
    if (action === null) return undefined;
    const decision = authorize(principal, action === 'admin' ? undefined : (endpointId ?? ''), action);
    if (decision === 'allow') {
      if (
        opts.verified &&
        authorization &&
        endpointId &&
        req.method === 'POST' &&
        route === '/:endpointId/mcp'
      )
        opts.verified.remember(endpointId, authorization, principal);
      return undefined;
    }
    if (decision === 'invisible') {
      refused('MCPD_AUTH_INVISIBLE');
      // Exactly what an endpoint that does not exist answers (the transports name the partition).
      const partition =
        endpointId === undefined ? undefined : partitionFor(endpointId, req.headers['part-id']);
      const message = NAMES_ENDPOINT.test(route)
        ? `Not Found: no endpoint ${partition ?? String(rawId)}`
        : 'Not Found';
      return sendRpcError(reply, 404, ErrorCode.InvalidRequest, message);
    }
    refused('MCPD_AUTH_FORBIDDEN');
    const header = wwwAuthenticate({
      resourceMetadata: metadataUrl(req, endpointId),
      error: 'insufficient_scope',
      errorDescription: `This needs a role that allows "${action}"`,
    });
    return challenge(
      reply,
      403,
      header,
      `Forbidden: your role does not allow "${action}" here`,
      ErrorCode.InvalidRequest,
    );
  };
}
