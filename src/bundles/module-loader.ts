/**
 * Finds and imports a module of a folder bundle. A bundle is a folder holding an ES-module package; a module
 * name maps to `<name>.js`, `<name>.mjs` or `<name>/index.js` inside it, and never to a path outside it.
 */
import { stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

export class BundleError extends Error {
  override readonly name = 'BundleError';
  readonly code = 'MCPD_BUNDLE_INVALID';
}

const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$/;

export async function resolveModuleFile(bundleDir: string, moduleName: string): Promise<string> {
  if (!SAFE_NAME.test(moduleName) || moduleName.split('/').includes('..')) {
    throw new BundleError(`Invalid module name: ${moduleName}`);
  }
  const root = resolve(bundleDir);
  for (const candidate of [
    `${moduleName}.js`,
    `${moduleName}.mjs`,
    join(moduleName, 'index.js'),
    join(moduleName, 'index.mjs'),
  ]) {
    const file = resolve(root, candidate);
    const rel = relative(root, file);
    if (rel.startsWith('..') || rel.startsWith(sep)) continue;
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile()) return file;
  }
  throw new BundleError(`Module ${moduleName} not found in its bundle`);
}

/** Imports a bundle module; the result is cached by Node's module cache. */
export async function importModule(bundleDir: string, moduleName: string): Promise<Record<string, unknown>> {
  const file = await resolveModuleFile(bundleDir, moduleName);
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    // Node's messages name files by absolute path: clients see paths relative to the bundle only.
    const message = String((err as Error).message)
      .split(pathToFileURL(resolve(bundleDir)).href)
      .join('<bundle>')
      .split(resolve(bundleDir))
      .join('<bundle>')
      .replace(/ imported from \S+/, '');
    throw new BundleError(`Module ${moduleName} failed to load: ${message}`, { cause: err });
  }
}
