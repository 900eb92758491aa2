/**
 * `mcpd bundle deploy DIR --endpoint ID`: packs a bundle folder and deploys it. With `--url` (or MCPD_URL) it uploads
 * through a running daemon's management API, whose clients then hear list_changed at once; without, it writes to the
 * configured store and blob store directly (a running daemon picks the change up on its next
 * `POST /{id}/admin/cache/refresh` or restart).
 */
import { join } from 'node:path';
import { packDirectory } from '../bundles/archive.js';
import { BundleCache } from '../bundles/bundle-cache.js';
import { openBus } from '../bus/open.js';
import { deployBundle, type DeployResult } from '../bundles/deploy.js';
import type { Config } from '../config/config.js';
import { ConfigError } from '../config/errors.js';
import { openBlobStore } from '../blobs/open.js';
import { silentLogger } from '../observability/logger.js';
import { EndpointRegistry, ENDPOINT_ID } from '../registry/endpoints.js';
import { StoreEndpoints } from '../registry/store-endpoints.js';
import { partitionOf } from '../store/index.js';
import { openStore } from '../store/open.js';

export interface DeployOptions {
  readonly dir: string;
  readonly endpoint: string;
  readonly part?: string | undefined;
  readonly url?: string | undefined;
  readonly updatedBy?: string | undefined;
}

const MUTATION = `mutation Deploy($zip: String!, $by: String!) {
  deployBundle(zipBase64: $zip, updatedBy: $by) { packageName bundleVersion bundleSha256 functions removed }
}`;

export async function runBundleDeploy(
  config: Config,
  opts: DeployOptions,
  out: (line: string) => void,
): Promise<number> {
  if (!ENDPOINT_ID.test(opts.endpoint)) throw new ConfigError('--endpoint must match [A-Za-z0-9_-]+');
  if (opts.part !== undefined && !ENDPOINT_ID.test(opts.part))
    throw new ConfigError('--part must match [A-Za-z0-9_-]+');
  const zip = await packDirectory(opts.dir);
  const by = opts.updatedBy ?? process.env['USER'] ?? 'mcpd-cli';
  const { result, told } = opts.url
    ? { result: await viaApi(opts, zip, by), told: undefined }
    : await direct(config, opts, zip, by);
  out(`deployed ${result.packageName} ${result.version} (sha256 ${result.sha256}) to ${opts.endpoint}`);
  out(`functions: ${result.functions.join(', ') || '(none)'}`);
  if (result.removed.length > 0) out(`removed: ${result.removed.join(', ')}`);
  if (told === true) out('running daemons were told over Redis');
  if (told === false)
    out('Redis could not be reached: running daemons serve the new version once they reload the endpoint');
  return 0;
}

/**
 * Straight into the store and blob store. With a bus configured, the daemons sharing that storage are told, as if
 * the deploy had gone through one of them; `told` says whether that worked (undefined: no bus).
 */
async function direct(
  config: Config,
  opts: DeployOptions,
  zip: Buffer,
  by: string,
): Promise<{ result: DeployResult; told: boolean | undefined }> {
  const store = await openStore(config.store, config.initializeTables);
  const blobs = await openBlobStore(config.blobs, config.initializeTables);
  const bus = await openBus(config.redis, silentLogger);
  try {
    await bus.subscribe({
      registryChanged: () => undefined,
      taskCancelled: () => undefined,
      notice: () => undefined,
      resync: () => undefined,
    });
    const bundles = new BundleCache(blobs, join(config.dataDir, 'bundles'));
    const endpoints = new StoreEndpoints({
      store,
      bundles,
      registry: new EndpointRegistry(),
      logger: silentLogger,
      bus,
    });
    const partition = partitionOf(opts.endpoint, opts.part);
    const result = await deployBundle(
      { store, blobs, bundles, endpoints },
      { partition, zip, updatedBy: by },
    );
    // Closing waits for the message to be sent.
    await bus.close();
    return { result, told: bus.kind === 'none' ? undefined : bus.stats.published > 0 };
  } finally {
    await Promise.all([bus.close(), store.close(), blobs.close()]);
  }
}

async function viaApi(opts: DeployOptions, zip: Buffer, by: string): Promise<DeployResult> {
  const base = (opts.url ?? '').replace(/\/+$/, '');
  const res = await fetch(`${base}/${opts.endpoint}/mcp_core_graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(opts.part ? { 'part-id': opts.part } : {}) },
    body: JSON.stringify({ query: MUTATION, variables: { zip: zip.toString('base64'), by } }),
  });
  const body = (await res.json().catch(() => ({}))) as {
    data?: { deployBundle?: Record<string, unknown> | null };
    errors?: { message: string }[];
  };
  const d = body.data?.deployBundle;
  if (!d)
    throw new ConfigError(
      `Deploy failed (HTTP ${res.status}): ${body.errors?.map((e) => e.message).join('; ') ?? 'no answer'}`,
    );
  return {
    packageName: String(d['packageName']),
    version: String(d['bundleVersion']),
    sha256: String(d['bundleSha256']),
    modules: [],
    functions: (d['functions'] as string[] | undefined) ?? [],
    removed: (d['removed'] as string[] | undefined) ?? [],
  };
}
