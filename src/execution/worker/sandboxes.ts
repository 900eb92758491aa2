/**
 * The `process` level's confinement per endpoint: read its own bundles (for the config file's `default`, the config
 * file's folder) and its own folder `<data dir>/sandbox/<partition>` (created here, mode 0700), the only place it
 * may write; with MCPD_PROCESS_NETWORK=none, no network either.
 */
import { mkdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../../config/config.js';
import { ConfigError } from '../../config/errors.js';
import { partitionFolder } from '../../registry/endpoints.js';
import type { SandboxFor } from './pools.js';
import { noNetworkUnavailable } from './runner.js';

/** The config file's endpoint (cli/load-registry.ts); repeated here to keep this module's imports light. */
const CONFIG_FILE_ENDPOINT = 'default';

export function sandboxesFor(
  config: Pick<Config, 'dataDir' | 'configFile'> & { readonly processNetwork?: 'host' | 'none' },
): SandboxFor {
  if (config.processNetwork === 'none') {
    // Refused at start rather than failing every call later.
    const why = noNetworkUnavailable();
    if (why) throw new ConfigError(`MCPD_PROCESS_NETWORK=none cannot be honoured here: ${why}`);
  }
  const bundles = join(config.dataDir, 'bundles');
  const sandboxes = join(config.dataDir, 'sandbox');
  return (endpointId) => {
    const write = partitionFolder(sandboxes, endpointId);
    const read =
      endpointId === CONFIG_FILE_ENDPOINT && config.configFile
        ? dirname(config.configFile)
        : partitionFolder(bundles, endpointId);
    mkdirSync(write, { recursive: true, mode: 0o700 });
    mkdirSync(read, { recursive: true });
    // The permission model compares real paths.
    const own = realpathSync(write);
    return { read: [realpathSync(read), own], write: own, network: config.processNetwork ?? 'host' };
  };
}
