/** `mcpd stdio`: endpoint `default` on stdin/stdout; logs on stderr; exits on stdin EOF or SIGTERM. */
import type { Config } from '../config/config.js';
import { createLineLogger } from '../observability/logger.js';
import { WorkerPools } from '../execution/worker/pools.js';
import { serveStdio } from '../transports/stdio.js';
import { createEngine, createRegistry, DEFAULT_ENDPOINT, loadDefaultEndpoint } from './load-registry.js';

export async function runStdio(config: Config): Promise<number> {
  const logger = createLineLogger(config.logLevel);
  const workers = new WorkerPools(config.limits, logger);
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
