/**
 * A module link whose code runs in the endpoint's worker threads (isolation level `worker`) or in its confined child
 * processes (`process`). The module file is
 * resolved in the daemon (it cannot leave its bundle folder) and imported by the worker; the call's `ctx` stays here.
 */
import type { PoolLevel, WorkerPools } from '../execution/worker/pools.js';
import type { Handler, Invoker } from '../registry/catalog.js';
import type { ModuleEntry, ModuleLink } from '../registry/config-file.js';
import { linkParts } from './link.js';
import { resolveModuleFile } from './module-loader.js';

export function workerLinkHandler(
  link: ModuleLink,
  module: ModuleEntry | undefined,
  bundleDir: string,
  endpointId: string,
  pools: WorkerPools,
  level: PoolLevel = 'worker',
): Handler {
  const { className: cls, settings, meta } = linkParts(link, module);
  let file: Promise<string> | undefined;
  // Once resolved, calls go straight to the pool, without a turn through the resolving promise.
  let resolved: string | undefined;
  const run = (path: string, args: Record<string, unknown>, ctx: Parameters<Invoker>[1]) =>
    pools
      .for(endpointId, level)
      .run(
        { file: path, className: cls, fn: link.function_name, settings, args, timeoutMs: link.timeout_ms },
        ctx,
      );
  const invoke: Invoker = (args, ctx) => {
    if (resolved !== undefined) {
      try {
        return run(resolved, args, ctx);
      } catch (err) {
        // Still a failed call, as when it went through the promise (a pool that cannot start, say).
        return Promise.reject(err as Error);
      }
    }
    return (file ??= resolveModuleFile(bundleDir, link.module_name).then((path) => (resolved = path))).then(
      (path) => run(path, args, ctx),
    );
  };
  return { invoke, ...meta, isolation: level };
}
