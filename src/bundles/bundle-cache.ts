/**
 * Bundles from the blob store, extracted once per content hash into the data dir:
 * `{dataDir}/bundles/{partition}/{package}/{sha256}`. A folder is created atomically by the archive module, so a
 * folder that exists is complete; a new version gets a new folder (and new module URLs, so Node's module cache never
 * serves old code for a new version). Partitions never share a folder: two tenants' modules of the same name are
 * different code.
 */
import { stat } from 'node:fs/promises';
import { partitionFolder } from '../registry/endpoints.js';
import { join } from 'node:path';
import type { BlobStore } from '../blobs/index.js';
import type { ModuleRecord } from '../store/index.js';
import { type ArchiveLimits, extractZip, sha256 } from './archive.js';
import { BundleError } from './module-loader.js';

const SAFE_PACKAGE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const SAFE_PARTITION = /^[A-Za-z0-9_-]{1,128}(?:#[A-Za-z0-9_-]{1,128})?$/;

/** Blob key of an immutable, content-addressed bundle version. */
export function versionKey(partition: string, packageName: string, version: string): string {
  return `bundles/${partition}/${packageName}/${version}.zip`;
}

/** Blob key of the older engine's mutable `{package_name}.zip`. */
export function legacyKey(packageName: string): string {
  return `${packageName}.zip`;
}

export class BundleCache {
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    private readonly blobs: BlobStore,
    private readonly root: string,
    private readonly limits: Partial<ArchiveLimits> = {},
  ) {}

  /** The folder holding the module's bundle, downloading and extracting it when this instance has not yet. */
  async folderFor(partition: string, module: ModuleRecord): Promise<string> {
    const pkg = module.package_name;
    if (!SAFE_PACKAGE.test(pkg)) throw new BundleError(`Invalid package name: ${JSON.stringify(pkg)}`);
    if (!SAFE_PARTITION.test(partition))
      throw new BundleError(`Invalid partition: ${JSON.stringify(partition)}`);
    const version = module.bundle_version ?? undefined;
    const key = version ? versionKey(partition, pkg, version) : legacyKey(pkg);
    if (version && module.bundle_sha256) {
      // Immutable version: when its folder exists, no download is needed.
      const dir = this.dirFor(partition, pkg, module.bundle_sha256);
      if (await exists(dir)) return dir;
    }
    const zip = await this.blobs.get(key);
    if (!zip) throw new BundleError(`Bundle ${key} not found in the ${this.blobs.kind} blob store`);
    const digest = sha256(zip);
    if (module.bundle_sha256 && module.bundle_sha256 !== digest) {
      throw new BundleError(`Bundle ${key} does not match its recorded sha256`);
    }
    return this.extract(partition, pkg, digest, zip);
  }

  /** Extracts a zip once per content hash; concurrent callers share one extraction. */
  async extract(partition: string, pkg: string, digest: string, zip: Buffer): Promise<string> {
    const dir = this.dirFor(partition, pkg, digest);
    let job = this.pending.get(dir);
    if (!job) {
      job = (async () => {
        if (!(await exists(dir))) await extractZip(zip, dir, this.limits);
        return dir;
      })().finally(() => this.pending.delete(dir));
      this.pending.set(dir, job);
    }
    return job;
  }

  dirFor(partition: string, pkg: string, digest: string): string {
    return join(partitionFolder(this.root, partition), pkg, digest);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
