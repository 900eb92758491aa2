/**
 * Deploys a bundle: a zip (or a folder, packed deterministically) whose `mcp.json` (or a manifest given beside it)
 * names tools, resources and prompts and the modules serving them. Everything is checked before anything is
 * registered: the archive is extracted safely, every linked module must exist and parse (`node --check`, which
 * runs no tenant code). Then the immutable version is stored at `bundles/{partition}/{package}/{sha256-prefix}.zip`,
 * the module, settings and function rows are written, rows of functions the new version dropped are removed, and
 * the endpoint is refreshed so connected clients hear list_changed.
 */
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../blobs/index.js';
import { ConfigError } from '../config/errors.js';
import { parseRegistry, type RegistryFile } from '../registry/config-file.js';
import { functionRows } from '../registry/manifest.js';
import type { StoreEndpoints } from '../registry/store-endpoints.js';
import type { Store } from '../store/index.js';
import { readAll } from '../registry/from-store.js';
import { packDirectory, sha256 } from './archive.js';
import { type BundleCache, versionKey } from './bundle-cache.js';
import { BundleError, resolveModuleFile } from './module-loader.js';

export interface DeployDeps {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly bundles: BundleCache;
  readonly endpoints: StoreEndpoints;
}

export interface DeployRequest {
  readonly partition: string;
  readonly zip: Buffer;
  /** The registry; read from `mcp.json` in the bundle when absent. */
  readonly manifest?: unknown;
  /** Defaults to the manifest's first module's package_name. */
  readonly packageName?: string;
  readonly updatedBy: string;
}

export interface DeployResult {
  readonly packageName: string;
  readonly version: string;
  readonly sha256: string;
  readonly modules: string[];
  readonly functions: string[];
  readonly removed: string[];
}

export async function deployFolder(deps: DeployDeps, dir: string, req: Omit<DeployRequest, 'zip'>) {
  return deployBundle(deps, { ...req, zip: await packDirectory(dir) });
}

export async function deployBundle(deps: DeployDeps, req: DeployRequest): Promise<DeployResult> {
  const digest = sha256(req.zip);
  const version = digest.slice(0, 16);
  const staging = `_staging-${digest.slice(0, 12)}`;
  // Extract under a staging package name first: the package name may come from the manifest inside.
  const stagedDir = await deps.bundles.extract(req.partition, staging, digest, req.zip);
  let file: RegistryFile;
  let pkg: string;
  try {
    file = parseRegistry(req.manifest ?? (await readManifest(stagedDir)), 'bundle manifest');
    pkg = req.packageName ?? file.modules[0]?.package_name ?? '';
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(pkg)) {
      throw new BundleError(`The bundle needs a valid package name (got ${JSON.stringify(pkg)})`);
    }
    await checkModules(stagedDir, file, subdirs(file));
  } finally {
    await rm(stagedDir, { recursive: true, force: true });
  }
  const key = versionKey(req.partition, pkg, version);
  await deps.blobs.put(key, req.zip, 'application/zip');
  await deps.bundles.extract(req.partition, pkg, digest, req.zip);

  const moduleNames = new Set([
    ...file.modules.map((m) => m.module_name),
    ...file.module_links.map((l) => l.module_name),
  ]);
  for (const name of moduleNames) {
    const entry = file.modules.find((m) => m.module_name === name);
    const classes: Record<string, unknown>[] = [];
    const cls = entry?.class_name ?? file.module_links.find((l) => l.module_name === name)?.class_name;
    const hasSetting = entry?.setting !== undefined && Object.keys(entry.setting).length > 0;
    if (entry?.setting && hasSetting) {
      await deps.store.settings.put({
        partition_key: req.partition,
        setting_id: `${pkg}.${name}`,
        setting: entry.setting,
        updated_by: req.updatedBy,
      });
    }
    if (cls) classes.push({ class_name: cls, setting_id: `${pkg}.${name}` });
    else if (hasSetting) classes.push({ setting_id: `${pkg}.${name}` });
    await deps.store.modules.put({
      partition_key: req.partition,
      module_name: name,
      package_name: pkg,
      classes,
      source: key,
      bundle_version: version,
      bundle_sha256: digest,
      bundle_path: subdirs(file).get(name) ?? null,
      updated_by: req.updatedBy,
    });
  }
  const rows = functionRows(req.partition, file, req.updatedBy);
  for (const r of rows) await deps.store.functions.put(r);
  const kept = new Set(rows.map((r) => r.name));
  const removed: string[] = [];
  for (const f of await readAll(deps.store.functions, req.partition)) {
    if (f.module_name && moduleNames.has(f.module_name) && !kept.has(f.name)) {
      await deps.store.functions.delete(req.partition, f.name);
      removed.push(f.name);
    }
  }
  await deps.endpoints.refresh(req.partition);
  return {
    packageName: pkg,
    version,
    sha256: digest,
    modules: [...moduleNames],
    functions: rows.map((r) => r.name),
    removed,
  };
}

/**
 * Modules whose manifest `source` is a relative folder (`./bundle`): their code sits in that folder of the bundle.
 * Anything that could leave the bundle is refused.
 */
function subdirs(file: RegistryFile): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of file.modules) {
    const src = m.source;
    if (typeof src !== 'string' || src === '' || src === '.' || src === './') continue;
    const clean = src.replace(/^\.\//, '').replace(/\/+$/, '');
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$/.test(clean) || clean.split('/').includes('..')) {
      throw new BundleError(`Module ${m.module_name}: source must be a folder inside the bundle`);
    }
    out.set(m.module_name, clean);
  }
  return out;
}

async function readManifest(dir: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(join(dir, 'mcp.json'), 'utf8');
  } catch {
    throw new BundleError('The bundle has no mcp.json and no manifest was given');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BundleError(`The bundle's mcp.json is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Every linked module exists and parses as an ES module. The source goes to `node --check` on stdin: that compiles
 * without running tenant code (and `--check FILE` lets some broken ES modules through on Node 20).
 */
async function checkModules(dir: string, file: RegistryFile, paths: Map<string, string>): Promise<void> {
  if (file.module_links.length === 0 && file.tools.length + file.resources.length + file.prompts.length > 0) {
    throw new ConfigError('The manifest links no code: add module_links');
  }
  const names = new Set(file.module_links.map((l) => l.module_name));
  for (const name of names) {
    const sub = paths.get(name);
    const source = await readFile(await resolveModuleFile(sub ? join(dir, sub) : dir, name));
    const problem = await syntaxError(source);
    if (problem !== undefined) throw new BundleError(`Module ${name} does not compile:\n${problem}`);
  }
}

function syntaxError(source: Buffer): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '--check'], {
      stdio: ['pipe', 'ignore', 'pipe'],
      timeout: 10_000,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve(undefined);
      // The source line, the caret and the message; not Node's stack or version banner.
      const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !/^\s+at |^Node\.js /.test(l));
      resolve(lines.slice(0, 6).join('\n') || 'syntax check failed');
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(source);
  });
}
