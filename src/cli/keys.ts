/**
 * `mcpd key create --endpoint ID --role caller|editor|admin [--label L]` and `mcpd key revoke KEY_ID`: API keys
 * straight in the configured store, for bootstrapping without the management API. The key is printed once.
 */
import { createApiKey } from '../auth/api-keys.js';
import { isRole } from '../auth/principal.js';
import { StoreApiKeys } from '../auth/store-api-keys.js';
import type { Config } from '../config/config.js';
import { ConfigError } from '../config/errors.js';
import { ENDPOINT_ID } from '../registry/endpoints.js';
import { openStore } from '../store/open.js';

export interface KeyOptions {
  readonly endpoint?: string | undefined;
  readonly role?: string | undefined;
  readonly label?: string | undefined;
}

export async function runKey(
  config: Config,
  action: string | undefined,
  arg: string | undefined,
  opts: KeyOptions,
  out: (line: string) => void,
): Promise<number> {
  if (action === 'create') {
    if (!opts.endpoint || !ENDPOINT_ID.test(opts.endpoint)) {
      throw new ConfigError('--endpoint must name an endpoint ([A-Za-z0-9_-]+)');
    }
    if (!isRole(opts.role)) throw new ConfigError('--role must be caller, editor or admin');
    const store = await openStore(config.store, config.initializeTables);
    try {
      const created = await createApiKey(new StoreApiKeys(store), {
        endpointId: opts.endpoint,
        role: opts.role,
        createdBy: 'mcpd-cli',
        ...(opts.label ? { label: opts.label } : {}),
      });
      out(`key ${created.record.id} (${opts.role} on ${opts.endpoint}); shown once:`);
      out(created.key);
    } finally {
      await store.close();
    }
    return 0;
  }
  if (action === 'revoke' && arg) {
    const store = await openStore(config.store, config.initializeTables);
    try {
      const ok = await new StoreApiKeys(store).revoke(arg, new Date().toISOString());
      out(ok ? `key ${arg} revoked` : `no key ${arg}`);
      return ok ? 0 : 1;
    } finally {
      await store.close();
    }
  }
  throw new ConfigError(
    'Usage: mcpd key create --endpoint ID --role caller|editor|admin [--label L] | mcpd key revoke KEY_ID',
  );
}
