/**
 * Composition root of the HTTP daemon: config → logger, store and blob store, registry (the config file's
 * `default` endpoint, and every other endpoint from the store), engine, sessions, the Fastify app with the MCP
 * transports, the management API and the admin routes. Tests build a daemon through this too, so they exercise
 * exactly what `mcpd serve` runs.
 */
import type { FastifyInstance } from 'fastify';
import type { BlobStore } from './blobs/index.js';
import type { Bus } from './bus/index.js';
import { deployBundle } from './bundles/deploy.js';
import { createEngine, DEFAULT_ENDPOINT, loadDefaultEndpoint } from './cli/load-registry.js';
import type { Config } from './config/config.js';
import type { Engine } from './engine/engine.js';
import { noticesPerTurn } from './bus/notices-per-turn.js';
import { registerGraphql } from './graphql/plugin.js';
import { registerAdminRoutes } from './http/admin-routes.js';
import { buildApp } from './http/app.js';
import { VerifiedCredentials } from './auth/verified-credentials.js';
import { createAuthGuard } from './http/auth-guard.js';
import { registerAuthRoutes } from './http/auth-routes.js';
import { type Auth, createAuth } from './auth/create-auth.js';
import { LoginRateLimiter } from './auth/rate-limit.js';
import { RedisLoginLimiter } from './auth/redis-login-limiter.js';
import { StoreApiKeys } from './auth/store-api-keys.js';
import { StoreUsers } from './auth/store-users.js';
import { AdminTokenVerifier } from './auth/admin-token.js';
import { createMetrics, newAuthCounters } from './observability/metrics.js';
import { registerMetricsRoute } from './http/metrics-route.js';
import { WorkerPools } from './execution/worker/pools.js';
import { openServingParts } from './serving-parts.js';
import { sandboxesFor } from './execution/worker/sandboxes.js';
import type { Logger } from './observability/logger.js';
import { type EndpointRegistry } from './registry/endpoints.js';
import { type StoreEndpoints } from './registry/store-endpoints.js';
import type { Store } from './store/index.js';
import { HttpSessionStore } from './transports/http-sessions.js';

export interface Daemon {
  readonly app: FastifyInstance;
  readonly engine: Engine;
  readonly registry: EndpointRegistry;
  readonly sessions: HttpSessionStore;
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly endpoints: StoreEndpoints;
  /** How this instance hears of, and tells, registry changes made by the others sharing its store. */
  readonly bus: Bus;
  /** Set unless the daemon runs open (AUTH_PROVIDER=none on loopback). */
  readonly auth: Auth | undefined;
  /** Listens on the configured host and port; resolves to the base URL. */
  listen(): Promise<string>;
  /** Re-reads the config file; sessions get list_changed for what changed. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export async function createDaemon(config: Config, logger: Logger): Promise<Daemon> {
  const workers = new WorkerPools(config.limits, logger, sandboxesFor(config));
  const parts = await openServingParts(config, logger, workers);
  const { store, blobs, bundles, registry, endpoints, recorder, bus, tasks } = parts;
  // Without a config file, `default` is an endpoint like any other, served from the store (empty at first).
  if (!config.configFile) await endpoints.ensure(DEFAULT_ENDPOINT);
  const engine = createEngine(config, registry, logger, tasks);
  // Notifications bundle code asks for reach the clients of every instance.
  if (bus.kind !== 'none') {
    engine.noticeRelay = noticesPerTurn((notice) => bus.publishNotice(notice));
    parts.onNotice((notice) => engine.deliverNotice(notice));
  }
  if (recorder) {
    engine.recorder = recorder;
    engine.asyncWaitMs = config.asyncWaitMs;
  }
  const sessions = new HttpSessionStore(engine.hub, config.sessionIdleMs);
  const verified = config.open ? undefined : new VerifiedCredentials();
  const apiKeys = new StoreApiKeys(store, () => verified?.clear());
  const auth = config.open
    ? undefined
    : await createAuth(config.auth, { dataDir: config.dataDir, apiKeys, storeUsers: new StoreUsers(store) });
  const authCounters = newAuthCounters();
  const app = buildApp({
    config,
    engine,
    registry,
    sessions,
    logger,
    ensureEndpoint: (id) => endpoints.ensure(id),
    ...(auth && verified
      ? {
          verified,
          guard: createAuthGuard({
            authenticator: auth.authenticator,
            publicUrl: config.auth.publicUrl,
            logger,
            counters: authCounters,
            verified,
            ...(config.auth.metricsToken
              ? { metricsToken: new AdminTokenVerifier(config.auth.metricsToken, 'MCPD_METRICS_TOKEN') }
              : {}),
          }),
        }
      : {}),
    health: () => ({
      workers: workers.threads,
      ...(bus.kind === 'none' ? {} : { bus: { kind: bus.kind, connected: bus.connected } }),
      ...(recorder ? { calls: { ...recorder.stats } } : {}),
    }),
  });
  const deploy = (req: Parameters<typeof deployBundle>[1]) =>
    deployBundle({ store, blobs, bundles, endpoints }, req);
  // Shared by the instances through Redis when there is one, so spreading guesses over them gains nothing.
  // Its keys are HMACs under a secret the instances already share, when they have one.
  const keySecret =
    config.auth.local?.secret ??
    config.auth.cognito?.clientSecret ??
    config.requestStateKey ??
    config.auth.adminStaticToken;
  const limiter =
    auth && config.redis
      ? new RedisLoginLimiter({ ...config.redis, logger, ...(keySecret ? { keySecret } : {}) })
      : undefined;
  if (auth) {
    registerAuthRoutes(app, {
      auth,
      config: config.auth,
      limiter: limiter ?? new LoginRateLimiter(),
      counters: authCounters,
    });
  }
  registerMetricsRoute(
    app,
    createMetrics({
      calls: engine.callCounts,
      workers,
      sessions,
      endpoints: registry,
      ...(recorder ? { recorder } : {}),
      ...(auth ? { auth: authCounters } : {}),
      ...(bus.kind === 'none' ? {} : { bus }),
    }),
  );
  await registerGraphql(app, {
    store,
    blobs,
    refresh: (p) => endpoints.refresh(p),
    deploy,
    logger,
    graphiql: config.graphiql,
    apiKeys,
  });
  registerAdminRoutes(app, {
    registry,
    refresh: (id) => endpoints.refresh(id),
    evict: (id) => (id === DEFAULT_ENDPOINT && config.configFile ? false : registry.delete(id)),
    moduleCount: (id) => store.modules.count(id),
  });
  // After the server stops taking requests: records still queued are written, then storage closes.
  app.addHook('onClose', async () => {
    auth?.close();
    limiter?.close();
    await parts.close();
  });
  return {
    app,
    engine,
    registry,
    sessions,
    store,
    blobs,
    endpoints,
    bus,
    auth,
    async listen() {
      const address = await app.listen({ host: config.host, port: config.port });
      return address;
    },
    reload: () => loadDefaultEndpoint(registry, config, logger, workers),
    close: () => app.close(),
  };
}
