/**
 * `mcpd stdio`: endpoint `default` (the config file) on stdin/stdout, or with `--endpoint ID [--part P]` an endpoint
 * deployed to the configured store (its bundles fetched and extracted as `serve` does, its calls recorded). Logs go
 * to stderr; exits on stdin EOF or SIGTERM. stdio takes no tokens (the MCP spec): whoever starts the process chose
 * the endpoint. SIGHUP re-reads the config file or the endpoint.
 */
import type { Config } from '../config/config.js';
import { createLineLogger } from '../observability/logger.js';
import { WorkerPools } from '../execution/worker/pools.js';
import { sandboxesFor } from '../execution/worker/sandboxes.js';
import { serveStdio } from '../transports/stdio.js';
import { ConfigError } from '../config/errors.js';
import type { Logger } from '../observability/logger.js';
import { ENDPOINT_ID, partitionFor } from '../registry/endpoints.js';
import { createEngine, createRegistry, DEFAULT_ENDPOINT, loadDefaultEndpoint } from './load-registry.js';
import { noticesPerTurn } from '../bus/notices-per-turn.js';
import { tuneV8 } from './v8-tuning.js';

export interface StdioTarget {
  /** An endpoint in the store; default: the config file's `default`. */
  readonly endpoint?: string | undefined;
  readonly part?: string | undefined;
}

export async function runStdio(config: Config, target: StdioTarget = {}): Promise<number> {
  tuneV8();
  const logger = createLineLogger(config.logLevel);
  const workers = new WorkerPools(config.limits, logger, sandboxesFor(config));
  if (target.endpoint !== undefined)
    return runStoreEndpoint(config, target.endpoint, target.part, logger, workers);
  const registry = await createRegistry(config, logger, workers);
  const engine = createEngine(config, registry, logger);
  const conn = serveStdio({
    engine,
    endpointId: DEFAULT_ENDPOINT,
    input: process.stdin,
    output: process.stdout,
  });
  const stop = () => conn.close();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.on('SIGHUP', () => {
    loadDefaultEndpoint(registry, config, logger, workers).then(
      () => logger.info('config reloaded'),
      (err: unknown) => logger.error({ err }, 'config reload failed; keeping the previous registry'),
    );
  });
  await conn.done;
  await workers.close();
  process.stdin.destroy();
  return 0;
}

async function runStoreEndpoint(
  config: Config,
  endpointId: string,
  part: string | undefined,
  logger: Logger,
  workers: WorkerPools,
): Promise<number> {
  const partition = partitionFor(endpointId, part);
  if (!ENDPOINT_ID.test(endpointId) || partition === undefined) {
    throw new ConfigError('--endpoint must match [A-Za-z0-9_-]+ (and --part too)');
  }
  const { openServingParts } = await import('../serving-parts.js');
  const parts = await openServingParts(config, logger, workers);
  try {
    const endpoint = await parts.endpoints.ensure(partition);
    if (!endpoint)
      throw new ConfigError(`No endpoint ${partition} in the store (deploy a bundle to it first)`);
    const engine = createEngine(config, parts.registry, logger, parts.tasks);
    if (parts.bus.kind !== 'none') {
      engine.noticeRelay = noticesPerTurn((notice) => parts.bus.publishNotice(notice));
      parts.onNotice((notice) => engine.deliverNotice(notice));
    }
    engine.recorder = parts.recorder;
    const conn = serveStdio({ engine, endpointId: partition, input: process.stdin, output: process.stdout });
    const stop = () => conn.close();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    process.on('SIGHUP', () => {
      parts.endpoints.refresh(partition).then(
        () => logger.info({ endpoint: partition }, 'endpoint reloaded'),
        (err: unknown) => logger.error({ err }, 'endpoint reload failed; keeping the previous registry'),
      );
    });
    await conn.done;
    process.stdin.destroy();
    return 0;
  } finally {
    await parts.close();
  }
}
