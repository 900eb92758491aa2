/** Builds the endpoint registry from the config file (endpoint `default`) and its engine, shared by serve and stdio. */
import type { Config } from '../config/config.js';
import { Engine } from '../engine/engine.js';
import type { TaskRegistry } from '../tasks/task-registry.js';
import type { WorkerPools } from '../execution/worker/pools.js';
import type { Logger } from '../observability/logger.js';
import { emptyCatalog } from '../registry/catalog.js';
import { readRegistryFile } from '../registry/config-file.js';
import { EndpointRegistry } from '../registry/endpoints.js';
import { endpointFromFile } from '../registry/from-file.js';

export const DEFAULT_ENDPOINT = 'default';

export async function loadDefaultEndpoint(
  registry: EndpointRegistry,
  config: Config,
  logger: Logger,
  workers?: WorkerPools,
): Promise<void> {
  if (!config.configFile) {
    registry.set({ id: DEFAULT_ENDPOINT, catalog: emptyCatalog });
    return;
  }
  const file = await readRegistryFile(config.configFile);
  // The config file is the operator's own code: inline unless a module asks for a worker.
  registry.set(
    endpointFromFile(DEFAULT_ENDPOINT, file, config.configFile, logger, { isolation: 'inline', workers }),
  );
}

/** The engine for a registry, configured from Config, with list changes announced to connected clients. */
export function createEngine(
  config: Config,
  registry: EndpointRegistry,
  logger: Logger,
  tasks?: TaskRegistry,
): Engine {
  const engine = new Engine({
    endpoints: registry,
    logger,
    pageSize: config.pageSize,
    requestStateSecret: config.requestStateKey,
    cacheTtlMs: config.cacheTtlMs,
    ...(tasks ? { tasks } : {}),
  });
  registry.onChange((id, kinds) => {
    for (const k of kinds) engine.notifyListChanged(id, k);
  });
  return engine;
}

export async function createRegistry(
  config: Config,
  logger: Logger,
  workers?: WorkerPools,
): Promise<EndpointRegistry> {
  const registry = new EndpointRegistry();
  await loadDefaultEndpoint(registry, config, logger, workers);
  return registry;
}
