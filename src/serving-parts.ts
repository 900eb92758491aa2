/**
 * What serves endpoints from storage, shared by `mcpd serve` (daemon.ts) and `mcpd stdio --endpoint`: the store
 * and blob store, the bundle cache, the registry with store-backed endpoints (and the config file's `default`
 * when there is one), the bus to the other instances sharing the store, and the call recorder (after marking the
 * calls a crashed run left unfinished).
 */
import { join } from 'node:path';
import type { BlobStore } from './blobs/index.js';
import { openBlobStore } from './blobs/open.js';
import { BundleCache } from './bundles/bundle-cache.js';
import type { Bus, EndpointNotice } from './bus/index.js';
import { openBus } from './bus/open.js';
import { instanceId } from './calls/instance-id.js';
import { CallRecorder } from './calls/recorder.js';
import { DEFAULT_ENDPOINT, loadDefaultEndpoint } from './cli/load-registry.js';
import type { Config } from './config/config.js';
import type { WorkerPools } from './execution/worker/pools.js';
import type { Logger } from './observability/logger.js';
import { EndpointRegistry } from './registry/endpoints.js';
import { StoreEndpoints } from './registry/store-endpoints.js';
import type { Store } from './store/index.js';
import { TaskRegistry } from './tasks/task-registry.js';
import { openStore } from './store/open.js';

export interface ServingParts {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly bundles: BundleCache;
  readonly registry: EndpointRegistry;
  readonly endpoints: StoreEndpoints;
  readonly bus: Bus;
  /** Unless MCPD_RECORD_CALLS=false. */
  readonly recorder: CallRecorder | undefined;
  /** This instance's MCP tasks (the engine's): cancellations for them may come over the bus. */
  readonly tasks: TaskRegistry;
  /** Where the notifications other instances' bundle code asked for go (the engine, once there is one). */
  onNotice(deliver: (notice: EndpointNotice) => void): void;
  /** Stops the workers, flushes the recorder, closes storage. */
  close(): Promise<void>;
}

export async function openServingParts(
  config: Config,
  logger: Logger,
  workers: WorkerPools,
): Promise<ServingParts> {
  const store = await openStore(config.store, config.initializeTables);
  const blobs = await openBlobStore(config.blobs, config.initializeTables);
  const registry = new EndpointRegistry();
  if (config.configFile) await loadDefaultEndpoint(registry, config, logger, workers);
  const bundles = new BundleCache(blobs, join(config.dataDir, 'bundles'));
  const bus = await openBus(config.redis, logger);
  const endpoints = new StoreEndpoints({
    store,
    bundles,
    registry,
    logger,
    bus,
    execution: { isolation: config.isolation, workers },
    ...(config.configFile ? { fixed: new Set([DEFAULT_ENDPOINT]) } : { always: new Set([DEFAULT_ENDPOINT]) }),
  });
  const recorder = config.recordCalls
    ? new CallRecorder({
        store,
        blobs,
        logger,
        instanceId: await instanceId(config.dataDir),
        offloadBytes: config.contentOffloadBytes,
        durableAnswers: config.durableAnswers,
        beginDelayMs: config.recordBeginDelayMs,
      })
    : undefined;
  if (recorder) await recoverInterrupted(recorder, logger);
  const tasks = new TaskRegistry();
  let deliver: ((notice: EndpointNotice) => void) | undefined;
  tasks.relay = (cancel) => bus.publishTaskCancel(cancel);
  await bus.subscribe({
    registryChanged: (partition) => endpoints.registryChanged(partition),
    resync: () => void endpoints.resync(),
    taskCancelled: (cancel) => {
      if (tasks.cancelHeld(cancel))
        logger.info({ task: cancel.taskId }, 'task cancelled from another instance');
    },
    notice: (notice) => deliver?.(notice),
  });
  return {
    store,
    blobs,
    bundles,
    registry,
    endpoints,
    bus,
    recorder,
    tasks,
    onNotice: (d) => {
      deliver = d;
    },
    async close() {
      await bus.close();
      await workers.close();
      await recorder?.close();
      await Promise.allSettled([store.close(), blobs.close()]);
    },
  };
}

/**
 * Marks the calls this instance left unfinished (a crash) as failed. A store that is down at start does not stop
 * the daemon: recovery is retried in the background until it succeeds.
 */
async function recoverInterrupted(recorder: CallRecorder, logger: Logger, delayMs = 1000): Promise<void> {
  try {
    const interrupted = await recorder.recover();
    if (interrupted > 0)
      logger.warn({ calls: interrupted }, 'calls left unfinished by the last run marked failed');
  } catch (err) {
    logger.error({ err }, 'could not mark the calls of the last run; retrying');
    setTimeout(
      () => void recoverInterrupted(recorder, logger, Math.min(delayMs * 2, 60_000)),
      delayMs,
    ).unref();
  }
}
