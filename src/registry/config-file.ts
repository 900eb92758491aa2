/**
 * The older engine's config-file format (tools, resources, prompts, module_links, modules), read and checked once.
 * Errors name the file and the offending entry, so a broken config fails start-up with a message a user can act on.
 */
import { type IsolationLevel, ISOLATION_LEVELS } from './catalog.js';
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../config/errors.js';

export type LinkType = 'tool' | 'resource' | 'resourceTemplate' | 'prompt' | 'completion';

export interface ModuleLink {
  type: LinkType;
  name: string;
  module_name: string;
  class_name?: string;
  function_name: string;
  return_type?: 'text' | 'image' | 'embedded_resource';
  is_async?: boolean;
  /** Per-function time limit (ms) at the worker and process isolation levels. */
  timeout_ms?: number;
}

export interface ModuleEntry {
  package_name: string;
  module_name: string;
  class_name?: string;
  setting?: Record<string, unknown>;
  /** Settings per class (the store's `classes: [{class_name, setting_id}]`), over `setting`. */
  class_settings?: Record<string, Record<string, unknown>>;
  source?: string | null;
  /** Content-addressed version of the module's bundle, when it came from the blob store. */
  bundle_version?: string | null;
  /** Where its code runs; the daemon's default when absent. */
  isolation?: IsolationLevel;
}

export type Item = Record<string, unknown>;

export interface RegistryFile {
  tools: Item[];
  resources: Item[];
  resourceTemplates: Item[];
  prompts: Item[];
  module_links: ModuleLink[];
  modules: ModuleEntry[];
  instructions?: string;
}

const LINK_TYPES = new Set<string>(['tool', 'resource', 'resourceTemplate', 'prompt', 'completion']);
const RETURN_TYPES = new Set<string>(['text', 'image', 'embedded_resource']);

export async function readRegistryFile(path: string): Promise<RegistryFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`Config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseRegistry(value, path);
}

export function parseRegistry(value: unknown, origin: string): RegistryFile {
  const fail = (msg: string): never => {
    throw new ConfigError(`Config file ${origin}: ${msg}`);
  };
  if (!isObject(value)) return fail('must be a JSON object');
  const list = (key: string): Item[] => {
    const v = value[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every(isObject)) return fail(`"${key}" must be an array of objects`);
    return v as Item[];
  };
  const tools = list('tools');
  tools.forEach((t, i) => {
    if (typeof t['name'] !== 'string' || t['name'] === '') fail(`tools[${i}] needs a name`);
    const schema = t['inputSchema'];
    if (schema !== undefined && !isObject(schema)) fail(`tools[${i}].inputSchema must be an object`);
  });
  const allResources = list('resources');
  const resourceTemplates = [...list('resourceTemplates'), ...allResources.filter((r) => 'uriTemplate' in r)];
  const resources = allResources.filter((r) => !('uriTemplate' in r));
  resources.forEach((r, i) => {
    if (typeof r['uri'] !== 'string') fail(`resources[${i}] needs a uri`);
  });
  resourceTemplates.forEach((r, i) => {
    if (typeof r['uriTemplate'] !== 'string') fail(`resourceTemplates[${i}] needs a uriTemplate`);
  });
  const prompts = list('prompts');
  prompts.forEach((p, i) => {
    if (typeof p['name'] !== 'string') fail(`prompts[${i}] needs a name`);
    const args = p['arguments'];
    if (
      args !== undefined &&
      (!Array.isArray(args) || !args.every((a) => isObject(a) && typeof a['name'] === 'string'))
    ) {
      fail(`prompts[${i}].arguments must be an array of {name}`);
    }
  });
  const module_links = list('module_links').map((l, i) => {
    const where = `module_links[${i}]`;
    const type = l['type'] ?? 'tool';
    if (typeof type !== 'string' || !LINK_TYPES.has(type))
      fail(`${where}.type must be one of ${[...LINK_TYPES].join(', ')}`);
    for (const k of ['name', 'module_name', 'function_name']) {
      if (typeof l[k] !== 'string' || l[k] === '') fail(`${where}.${k} must be a non-empty string`);
    }
    const timeout = l['timeout_ms'];
    if (timeout !== undefined && (!Number.isInteger(timeout) || (timeout as number) < 1)) {
      fail(`${where}.timeout_ms must be a positive integer (milliseconds)`);
    }
    const rt = l['return_type'];
    if (rt !== undefined && rt !== null && (typeof rt !== 'string' || !RETURN_TYPES.has(rt))) {
      fail(`${where}.return_type must be text, image or embedded_resource`);
    }
    return { ...l, type, return_type: rt ?? undefined } as ModuleLink;
  });
  const modules = list('modules').map((m, i) => {
    if (typeof m['module_name'] !== 'string') fail(`modules[${i}].module_name must be a string`);
    if (m['setting'] !== undefined && m['setting'] !== null && !isObject(m['setting'])) {
      fail(`modules[${i}].setting must be an object`);
    }
    if (m['isolation'] !== undefined && !ISOLATION_LEVELS.includes(m['isolation'] as IsolationLevel)) {
      fail(`modules[${i}].isolation must be inline, worker or process`);
    }
    return { package_name: m['module_name'], ...m } as ModuleEntry;
  });
  const instructions = value['instructions'];
  if (instructions !== undefined && typeof instructions !== 'string') fail('"instructions" must be a string');
  const out: RegistryFile = { tools, resources, resourceTemplates, prompts, module_links, modules };
  if (typeof instructions === 'string') out.instructions = instructions;
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
