/**
 * A module link whose code runs in the endpoint's worker threads (isolation level `worker`). The module file is
 * resolved in the daemon (it cannot leave its bundle folder) and imported by the worker; the call's `ctx` stays here.
 */
import type { WorkerPools } from '../execution/worker/pools.js';
import type { Handler, Invoker } from '../registry/catalog.js';
import type { ModuleEntry, ModuleLink } from '../registry/config-file.js';
import { resolveModuleFile } from './module-loader.js';

export function workerLinkHandler(
  link: ModuleLink,
  module: ModuleEntry | undefined,
  bundleDir: string,
  endpointId: string,
  pools: WorkerPools,
): Handler {
  const cls = link.class_name ?? module?.class_name;
  const own = cls === undefined ? undefined : module?.class_settings?.[cls];
  const settings = Object.freeze({ ...(own ?? module?.setting ?? {}) });
  let file: Promise<string> | undefined;
  const invoke: Invoker = (args, ctx) =>
    (file ??= resolveModuleFile(bundleDir, link.module_name)).then((path) =>
      pools
        .for(endpointId)
        .run(
          { file: path, className: cls, fn: link.function_name, settings, args, timeoutMs: link.timeout_ms },
          ctx,
        ),
    );
  const version = module?.bundle_version ?? undefined;
  return {
    invoke,
    settings,
    returnType: link.return_type,
    isolation: 'worker',
    ...(version ? { bundleVersion: version } : {}),
    ...(link.is_async ? { isAsync: true } : {}),
  };
}
