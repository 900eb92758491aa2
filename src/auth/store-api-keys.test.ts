import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../store/index.js';
import { createSqliteStore } from '../store/sqlite.js';
import { ApiKeyVerifier, createApiKey } from './api-keys.js';
import { API_KEY_PARTITION, StoreApiKeys } from './store-api-keys.js';

describe('API keys kept in the store', () => {
  let store: Store;
  beforeEach(() => {
    store = createSqliteStore({ path: ':memory:' });
  });
  afterEach(async () => store.close());

  it('survive a new directory over the same store, list per endpoint, and revoke', async () => {
    const keys = new StoreApiKeys(store);
    const a = await createApiKey(keys, { endpointId: 'ep1', role: 'caller', label: 'ci' });
    await createApiKey(keys, { endpointId: 'ep2', role: 'admin' });
    const again = new StoreApiKeys(store);
    expect(await again.get(a.record.id)).toEqual(a.record);
    expect((await again.list('ep1')).map((k) => k.id)).toEqual([a.record.id]);
    const principal = await new ApiKeyVerifier(again).verify(a.key);
    expect(principal.roles.get('ep1')).toBe('caller');
    expect(await again.revoke(a.record.id, new Date().toISOString())).toBe(true);
    expect(await again.revoke('0000000000000000', new Date().toISOString())).toBe(false);
    await expect(new ApiKeyVerifier(again).verify(a.key)).rejects.toMatchObject({
      code: 'MCPD_AUTH_INVALID',
    });
    // Only hashes are stored, in the reserved partition.
    const row = await store.settings.get(API_KEY_PARTITION, a.record.id);
    expect(JSON.stringify(row)).not.toContain(a.key);
  });
});
