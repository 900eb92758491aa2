/** Opens the bus the config names: none for a lone daemon, Redis when instances share a store. */
import type { BusConfig } from '../config/config.js';
import type { Logger } from '../observability/logger.js';
import type { Bus } from './index.js';
import { noBus } from './none.js';
import { RedisBus } from './redis.js';

export function openBus(config: BusConfig, logger: Logger): Bus {
  return config.kind === 'redis' ? new RedisBus({ url: config.url, prefix: config.prefix, logger }) : noBus();
}
