/**
 * The auth routes: `POST /auth/token` (the older engine's form fields `username`/`password`, or JSON; local users,
 * then Cognito USER_PASSWORD_AUTH;
 * rate-limited against password guessing), `GET /me` (who the token says you are), and the Protected Resource
 * Metadata documents (RFC 9728) for the server and for each endpoint.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Auth } from '../auth/create-auth.js';
import { AuthError } from '../auth/errors.js';
import type { LoginAnswer } from '../auth/password-login.js';
import { type AuthCounters, bump } from '../observability/metrics.js';
import { PRM_WELL_KNOWN, protectedResourceMetadata } from '../auth/metadata.js';
import type { LoginLimiter } from '../auth/login-limiter.js';
import type { AuthConfig } from '../auth/config.js';
import { ENDPOINT_ID } from '../registry/endpoints.js';
import { principalOf } from './auth-guard.js';

export interface AuthRouteDeps {
  readonly auth: Auth;
  readonly config: AuthConfig;
  readonly limiter: LoginLimiter;
  /** Login outcomes, for /metrics. */
  readonly counters?: AuthCounters;
}

function credentials(contentType: string | undefined, body: unknown): { username: string; password: string } {
  const text = typeof body === 'string' ? body : '';
  let fields: Record<string, unknown> = {};
  if (contentType?.startsWith('application/x-www-form-urlencoded')) {
    fields = Object.fromEntries(new URLSearchParams(text));
  } else if (contentType?.startsWith('application/json')) {
    try {
      const v: unknown = JSON.parse(text);
      if (typeof v === 'object' && v !== null) fields = v as Record<string, unknown>;
    } catch {
      // answered below as missing fields
    }
  }
  const { username, password } = fields;
  if (typeof username !== 'string' || typeof password !== 'string' || username === '' || password === '') {
    throw new AuthError('MCPD_AUTH_MISSING', 'username and password are required (form fields or JSON)');
  }
  return { username, password };
}

const OUTCOME: Partial<Record<AuthError['code'], string>> = {
  MCPD_AUTH_BAD_CREDENTIALS: 'bad_credentials',
  MCPD_AUTH_RATE_LIMITED: 'rate_limited',
  MCPD_AUTH_UNAVAILABLE: 'unavailable',
  MCPD_AUTH_MISSING: 'invalid',
};

const fail = (reply: FastifyReply, err: AuthError) => {
  if (err.retryAfterSeconds !== undefined) reply.header('retry-after', String(err.retryAfterSeconds));
  return reply
    .code(err.code === 'MCPD_AUTH_MISSING' ? 400 : err.status)
    .send({ detail: err.message, code: err.code });
};

export function registerAuthRoutes(app: FastifyInstance, deps: AuthRouteDeps): void {
  const { auth, config, limiter } = deps;
  const count = (outcome: string) => {
    if (deps.counters) bump(deps.counters.logins, outcome);
  };

  app.post('/auth/token', async (req, reply) => {
    if (auth.logins.length === 0) {
      return reply.code(404).send({
        detail: 'Password logins are not enabled (AUTH_PROVIDER=local, or cognito with an app client)',
      });
    }
    try {
      const { username, password } = credentials(req.headers['content-type'], req.body);
      // Counted while the password is checked, so parallel guesses cannot all pass the limiter at once.
      await limiter.begin(username, req.ip);
      let answer: LoginAnswer | undefined;
      try {
        for (const provider of auth.logins) {
          answer = await provider.login(username, password);
          if (answer) break;
        }
        // Counted as a failure before it stops counting as under way: no gap for a parallel guess to pass through.
        if (!answer) await limiter.recordFailure(username, req.ip);
      } finally {
        await limiter.end(username, req.ip);
      }
      if (!answer) throw new AuthError('MCPD_AUTH_BAD_CREDENTIALS', 'Incorrect username or password');
      await limiter.recordSuccess(username, req.ip);
      count('ok');
      return answer;
    } catch (err) {
      if (err instanceof AuthError) {
        count(OUTCOME[err.code] ?? 'failed');
        return fail(reply, err);
      }
      throw err;
    }
  });

  app.get('/me', async (req) => {
    const p = principalOf(req);
    if (!p) return { id: 'anonymous', kind: 'anonymous', global_admin: false, roles: {} };
    return {
      id: p.id,
      name: p.name,
      kind: p.kind,
      global_admin: p.globalAdmin,
      roles: Object.fromEntries(p.roles),
      scopes: p.scopes,
      ...(p.expiresAt !== undefined ? { expires_at: p.expiresAt } : {}),
    };
  });

  const metadata = (base: string, endpointId?: string) =>
    protectedResourceMetadata({
      publicUrl: config.publicUrl ?? base,
      ...(endpointId ? { endpointId } : {}),
      authorizationServers: auth.authorizationServers,
      scopesSupported: config.scopesSupported,
      resourceName: endpointId ? `mcpd endpoint ${endpointId}` : 'mcpd',
    });
  app.get(PRM_WELL_KNOWN, async (req) => metadata(`${req.protocol}://${req.headers.host ?? 'localhost'}`));
  // Answered for any well-formed endpoint id, whether or not it exists: the document reveals nothing.
  app.get<{ Params: { endpointId: string } }>(`${PRM_WELL_KNOWN}/:endpointId/mcp`, async (req, reply) => {
    if (!ENDPOINT_ID.test(req.params.endpointId)) return reply.code(404).send({ detail: 'Not Found' });
    return metadata(`${req.protocol}://${req.headers.host ?? 'localhost'}`, req.params.endpointId);
  });
}
