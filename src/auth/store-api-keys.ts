/**
 * API key records in the Store, so keys survive restarts and every instance sees the same ones. They live in the
 * settings table under a reserved partition (`__mcpd_api_keys`, which no endpoint id can name: ids starting with
 * `__` are refused), one row per key, so both store adapters hold them without a schema of their own.
 */
import { readAll } from '../registry/from-store.js';
import type { Store } from '../store/index.js';
import type { ApiKeyDirectory, ApiKeyRecord } from './api-keys.js';

export const API_KEY_PARTITION = '__mcpd_api_keys';

export class StoreApiKeys implements ApiKeyDirectory {
  constructor(
    private readonly store: Store,
    /** Called after a key is revoked here (the daemon forgets the credentials it verified recently). */
    private readonly onRevoke?: () => void,
  ) {}

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.store.settings.get(API_KEY_PARTITION, id);
    return row ? (row.setting as unknown as ApiKeyRecord) : undefined;
  }

  async put(record: ApiKeyRecord): Promise<void> {
    await this.store.settings.put({
      partition_key: API_KEY_PARTITION,
      setting_id: record.id,
      setting: { ...record },
      updated_by: record.created_by ?? 'mcpd',
    });
  }

  async revoke(id: string, at: string): Promise<boolean> {
    const record = await this.get(id);
    if (!record) return false;
    await this.put({ ...record, revoked_at: at });
    this.onRevoke?.();
    return true;
  }

  async list(endpointId: string): Promise<ApiKeyRecord[]> {
    const rows = await readAll(this.store.settings, API_KEY_PARTITION);
    return rows
      .map((r) => r.setting as unknown as ApiKeyRecord)
      .filter((r) => r.endpointId === endpointId)
      .sort((a, b) => a.created_at.localeCompare(b.created_at));
  }
}
