/** Opens the configured Store adapter. The AWS SDK is imported only when DynamoDB is configured. */
import type { StoreConfig } from '../config/config.js';
import type { Store } from './index.js';

export async function openStore(config: StoreConfig, initialize: boolean): Promise<Store> {
  if (config.kind === 'sqlite') {
    const { createSqliteStore } = await import('./sqlite.js');
    return createSqliteStore({
      path: config.path,
      writer: { idle: config.writerIdle, maxBacklog: config.writerMaxBacklog },
    });
  }
  const { createDynamoStore } = await import('./dynamodb.js');
  const store = createDynamoStore({
    region: config.region,
    tablePrefix: config.tablePrefix,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
  });
  if (initialize) await store.init();
  return store;
}
