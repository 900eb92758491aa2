/**
 * Composition root of the HTTP daemon: config → logger, registry, engine, sessions, Fastify app.
 * Tests build a daemon through this too, so they exercise exactly what `mcpd serve` runs.
 */
import type { FastifyInstance } from 'fastify';
import { createEngine, createRegistry, loadDefaultEndpoint } from './cli/load-registry.js';
import type { Config } from './config/config.js';
import type { Engine } from './engine/engine.js';
import { buildApp } from './http/app.js';
import type { Logger } from './observability/logger.js';
import type { EndpointRegistry } from './registry/endpoints.js';
import { HttpSessionStore } from './transports/http-sessions.js';

export interface Daemon {
  readonly app: FastifyInstance;
  readonly engine: Engine;
  readonly registry: EndpointRegistry;
  readonly sessions: HttpSessionStore;
  /** Listens on the configured host and port; resolves to the base URL. */
  listen(): Promise<string>;
  /** Re-reads the config file; sessions get list_changed for what changed. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export async function createDaemon(config: Config, logger: Logger): Promise<Daemon> {
  const registry = await createRegistry(config, logger);
  const engine = createEngine(config, registry, logger);
  const sessions = new HttpSessionStore(engine.hub, config.sessionIdleMs);
  const app = buildApp({ config, engine, registry, sessions, logger });
  return {
    app,
    engine,
    registry,
    sessions,
    async listen() {
      const address = await app.listen({ host: config.host, port: config.port });
      return address;
    },
    reload: () => loadDefaultEndpoint(registry, config, logger),
    close: () => app.close(),
  };
}
