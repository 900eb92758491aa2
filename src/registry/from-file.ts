/** Builds an Endpoint from a parsed config file: definitions paired with the bundle code their links name. */
import { dirname, resolve } from 'node:path';
import { linkHandler } from '../bundles/link.js';
import { workerLinkHandler } from '../bundles/worker-link.js';
import type { WorkerPools } from '../execution/worker/pools.js';
import { ConfigError } from '../config/errors.js';
import type { Logger } from '../observability/logger.js';
import {
  buildCatalog,
  type Definition,
  type Endpoint,
  type Handler,
  type PromptArgument,
} from './catalog.js';
import type { Item, ModuleEntry, ModuleLink, RegistryFile } from './config-file.js';
import type { IsolationLevel } from './catalog.js';
import { parseUriTemplate } from './uri-template.js';
import { headerParamsOf } from './x-mcp-header.js';

export function endpointFromFile(
  id: string,
  file: RegistryFile,
  configPath: string,
  logger: Logger,
  execution?: ExecutionOptions,
): Endpoint {
  const baseDir = dirname(resolve(configPath));
  return endpointFromRegistry(
    id,
    file,
    (module, link) => resolve(baseDir, module?.source ?? module?.package_name ?? link.module_name),
    configPath,
    logger,
    execution,
  );
}

/** Where a link's code lives: the folder its module's bundle was extracted to. */
export type BundleDirOf = (module: ModuleEntry | undefined, link: ModuleLink) => string;

/**
 * Builds an Endpoint from a registry in the config-file shape, whatever it came from (a file, the store).
 * `origin` names the source in error messages.
 */
export interface ExecutionOptions {
  /** Isolation level of modules that do not name one. */
  readonly isolation: IsolationLevel;
  /** Required for the `worker` and `process` levels. */
  readonly workers?: WorkerPools | undefined;
}

export function endpointFromRegistry(
  id: string,
  file: RegistryFile,
  bundleDirOf: BundleDirOf,
  origin: string,
  logger: Logger,
  execution: ExecutionOptions = { isolation: 'inline' },
): Endpoint {
  const configPath = origin;
  const modules = new Map(file.modules.map((m) => [m.module_name, m]));
  const links = new Map<string, ModuleLink>();
  for (const l of file.module_links) links.set(`${l.type}:${l.name}`, l);

  const handlerFor = (type: ModuleLink['type'], ...names: unknown[]): Handler | undefined => {
    for (const name of names) {
      const link = typeof name === 'string' ? links.get(`${type}:${name}`) : undefined;
      if (!link) continue;
      const module = modules.get(link.module_name);
      const level = module?.isolation ?? execution.isolation;
      if (level !== 'inline' && execution.workers) {
        return workerLinkHandler(link, module, bundleDirOf(module, link), id, execution.workers, level);
      }
      return linkHandler(link, module, bundleDirOf(module, link), logger);
    }
    return undefined;
  };
  const unique = (items: Item[], key: string, kind: string) => {
    const seen = new Set<unknown>();
    for (const item of items) {
      if (seen.has(item[key]))
        throw new ConfigError(`Config file ${configPath}: duplicate ${kind} ${String(item[key])}`);
      seen.add(item[key]);
    }
  };
  unique(file.tools, 'name', 'tool');
  unique(file.resources, 'uri', 'resource');
  unique(file.prompts, 'name', 'prompt');

  const completions = new Map<string, Handler>();
  for (const l of file.module_links.filter((x) => x.type === 'completion')) {
    const h = handlerFor('completion', l.name);
    if (h) completions.set(l.name, h);
  }
  const catalog = buildCatalog({
    tools: file.tools.map((t) => {
      const annotated = headerParamsOf(t['inputSchema']);
      if (!annotated.ok)
        throw new ConfigError(`Config file ${configPath}: tool ${String(t['name'])}: ${annotated.reason}`);
      return {
        definition: withDefaults(t) as Definition,
        handler: handlerFor('tool', t['name']),
        ...(annotated.params.length > 0 ? { headerParams: annotated.params } : {}),
      };
    }),
    resources: file.resources.map((r) => ({
      definition: r as Definition & { uri: string },
      handler: handlerFor('resource', r['uri'], r['name']),
    })),
    templates: file.resourceTemplates.map((r) => ({
      definition: r as Definition & { uriTemplate: string },
      template: parseUriTemplate(r['uriTemplate'] as string),
      handler:
        handlerFor('resourceTemplate', r['uriTemplate'], r['name']) ??
        handlerFor('resource', r['uriTemplate'], r['name']),
    })),
    prompts: file.prompts.map((p) => ({
      definition: p as Definition & { arguments?: PromptArgument[] },
      handler: handlerFor('prompt', p['name']),
    })),
    completions,
  });
  return file.instructions ? { id, catalog, instructions: file.instructions } : { id, catalog };
}

/** Tools must advertise an object inputSchema; the older engine's files sometimes omit it. */
function withDefaults(tool: Item): Item {
  if (tool['inputSchema'] !== undefined) return tool;
  return { ...tool, inputSchema: { type: 'object', properties: {} } };
}
