/**
 * The `process` level's confinement per endpoint: read its own bundles (for the config file's `default`, the config
 * file's folder) and its own folder `<data dir>/sandbox/<partition>` (created here, mode 0700), the only place it
 * may write.
 */
import { mkdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../../config/config.js';
import { partitionFolder } from '../../registry/endpoints.js';
import type { SandboxFor } from './pools.js';

/** The config file's endpoint (cli/load-registry.ts); repeated here to keep this module's imports light. */
const CONFIG_FILE_ENDPOINT = 'default';

export function sandboxesFor(config: Pick<Config, 'dataDir' | 'configFile'>): SandboxFor {
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
    return { read: [realpathSync(read), own], write: own };
  };
}
