/**
 * Starts the real daemon in-process on a free loopback port, exactly like test/helpers/daemon.ts, except for the
 * logger: the helper's `silentLogger` (src/observability/logger.ts) is rejected by Fastify with
 * FST_ERR_LOG_INVALID_LOGGER (it lacks `fatal`/`trace`), so this passes a silent pino logger, as `mcpd serve`
 * passes pino.
 */
import { loadConfig } from '../../../src/config/config.js';
import { createDaemon } from '../../../src/daemon.js';
import { createPinoLogger } from '../../../src/observability/pino.js';
import type { RunningDaemon } from '../../helpers/daemon.js';

export type { RunningDaemon } from '../../helpers/daemon.js';
export { CONFORMANCE_CONFIG, DEMO_CONFIG } from '../../helpers/daemon.js';

export async function startDaemon(env: Record<string, string>, configFile: string): Promise<RunningDaemon> {
  const config = loadConfig('serve', { port: '0', config: configFile }, { ...env });
  const daemon = await createDaemon(config, createPinoLogger('silent'));
  const url = await daemon.listen();
  return { daemon, url, close: () => daemon.close() };
}

/** Requests the daemon is still running on endpoint `default`, over all sessions. */
export function inflightCount(d: RunningDaemon): () => number {
  return () => {
    let n = 0;
    for (const s of d.daemon.engine.hub.sessions('default')) n += s.inflight?.size ?? 0;
    return n;
  };
}
