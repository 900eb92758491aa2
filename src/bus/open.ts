/**
 * Opens the bus the config names: none for a lone daemon, Redis when instances share a store. The Redis client is
 * imported only when configured, so `mcpd stdio` starts without it.
 */
import type { RedisConfig } from '../config/config.js';
import type { Logger } from '../observability/logger.js';
import type { Bus } from './index.js';
import { noBus } from './none.js';

export async function openBus(config: RedisConfig | undefined, logger: Logger): Promise<Bus> {
  if (!config) return noBus();
  const { RedisBus } = await import('./redis.js');
  return new RedisBus({ url: config.url, prefix: config.prefix, logger });
}
