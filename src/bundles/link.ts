/**
 * Turns a module link (MCP name → module, optional class, function) into a Handler. Code is imported on first
 * use, so a broken bundle fails only the entries that use it, with a clear message, while the rest keep serving.
 * A class is constructed per call as `new Class(logger, setting)`, as in the older engine.
 */
import type { Logger } from '../observability/logger.js';
import type { Handler, Invoker } from '../registry/catalog.js';
import type { ModuleEntry, ModuleLink } from '../registry/config-file.js';
import type { ToolContext } from '../sdk/types.js';
import { BundleError, importModule } from './module-loader.js';

type Fn = (args: Record<string, unknown>, ctx: ToolContext) => unknown;
type Target = (args: Record<string, unknown>, ctx: ToolContext) => unknown;

/** What a link's handler shares at every isolation level: its class, its settings, and what records name. */
export function linkParts(link: ModuleLink, module: ModuleEntry | undefined) {
  const className = link.class_name ?? module?.class_name;
  const own = className === undefined ? undefined : module?.class_settings?.[className];
  const settings: Readonly<Record<string, unknown>> = Object.freeze({ ...(own ?? module?.setting ?? {}) });
  const version = module?.bundle_version ?? undefined;
  const meta = {
    settings,
    returnType: link.return_type,
    ...(version ? { bundleVersion: version } : {}),
    ...(link.is_async ? { isAsync: true } : {}),
  };
  return { className, settings, meta };
}

export function linkHandler(
  link: ModuleLink,
  module: ModuleEntry | undefined,
  bundleDir: string,
  logger: Logger,
): Handler {
  const { className, settings, meta } = linkParts(link, module);
  let target: Promise<Target> | undefined;
  const resolveTarget = async (): Promise<Target> => {
    const ns = await importModule(bundleDir, link.module_name);
    if (className) {
      const Cls = ns[className] ?? (ns['default'] as Record<string, unknown> | undefined)?.[className];
      if (typeof Cls !== 'function')
        throw new BundleError(`Class ${className} not found in module ${link.module_name}`);
      const Ctor = Cls as new (logger: Logger, setting: Record<string, unknown>) => Record<string, unknown>;
      const proto = (Ctor as unknown as { prototype: Record<string, unknown> }).prototype;
      if (typeof proto[link.function_name] !== 'function') {
        throw new BundleError(
          `Method ${className}.${link.function_name} not found in module ${link.module_name}`,
        );
      }
      const classLogger = logger.child({ module: link.module_name, class: className });
      return (args, ctx) => {
        const instance = new Ctor(classLogger, { ...settings });
        return (instance[link.function_name] as Fn).call(instance, args, ctx);
      };
    }
    const fn = ns[link.function_name];
    if (typeof fn !== 'function')
      throw new BundleError(`Function ${link.function_name} not found in module ${link.module_name}`);
    return fn as Fn;
  };
  let resolved: Target | undefined;
  const invoke: Invoker = (args, ctx) => {
    if (resolved) return callSafely(resolved, args, ctx);
    return (target ??= resolveTarget()).then((fn) => {
      resolved = fn;
      return fn(args, ctx);
    });
  };
  return { invoke, ...meta };
}

/** Calls bundle code, turning a synchronous throw into a rejection, without an extra async frame. */
function callSafely(fn: Target, args: Record<string, unknown>, ctx: ToolContext): Promise<unknown> {
  try {
    return Promise.resolve(fn(args, ctx));
  } catch (err) {
    return Promise.reject(err);
  }
}
