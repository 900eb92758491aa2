/**
 * Reads one partition's registry out of the Store (functions, modules, their settings) into the config-file shape,
 * so the same builder serves a file and the store. A function row is an MCP definition (`name`, `description`,
 * and `data` holding inputSchema / uri / uriTemplate / arguments …) plus the link to its code.
 */
import type { FunctionRecord, ModuleRecord, Store, Table, Audit } from '../store/index.js';
import type { Item, LinkType, ModuleEntry, ModuleLink, RegistryFile } from './config-file.js';

const PAGE = 500;
const SNAKE_KEYS = [
  ['input_schema', 'inputSchema'],
  ['output_schema', 'outputSchema'],
  ['mime_type', 'mimeType'],
  ['uri_template', 'uriTemplate'],
] as const;

export async function readAll<T extends Audit>(table: Table<T>, partition: string): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await table.list(
      partition,
      cursor === undefined ? { limit: PAGE } : { limit: PAGE, cursor },
    );
    out.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return out;
}

export interface StoredRegistry {
  readonly file: RegistryFile;
  readonly modules: readonly ModuleRecord[];
}

/** Undefined when the partition holds neither functions nor modules (no such endpoint). */
export async function registryFromStore(
  store: Store,
  partition: string,
): Promise<StoredRegistry | undefined> {
  const [functions, modules] = await Promise.all([
    readAll(store.functions, partition),
    readAll(store.modules, partition),
  ]);
  if (functions.length === 0 && modules.length === 0) return undefined;
  const settingIds = new Set<string>();
  for (const m of modules)
    for (const c of m.classes) if (typeof c['setting_id'] === 'string') settingIds.add(c['setting_id']);
  const settings = new Map(
    (await store.settings.getMany(partition, [...settingIds])).map((s) => [s.setting_id, s.setting]),
  );
  const file: RegistryFile = {
    tools: [],
    resources: [],
    resourceTemplates: [],
    prompts: [],
    module_links: [],
    modules: modules.map((m) => moduleEntry(m, settings)),
  };
  for (const f of functions) {
    const definition = definitionOf(f);
    const type = linkType(f, definition);
    if (type === 'tool') file.tools.push(definition);
    else if (type === 'resourceTemplate') file.resourceTemplates.push(definition);
    else if (type === 'resource') file.resources.push(definition);
    else if (type === 'prompt') file.prompts.push(definition);
    if (f.module_name && f.function_name) file.module_links.push(linkOf(f, type, definition));
  }
  return { file, modules };
}

function definitionOf(f: FunctionRecord): Item {
  const data = typeof f.data === 'object' && f.data !== null ? f.data : {};
  const def: Item = { name: f.name };
  if (f.description) def['description'] = f.description;
  Object.assign(def, data);
  // Rows written by the older engine through its GraphQL API may hold snake_case keys.
  for (const [snake, camel] of SNAKE_KEYS) {
    if (def[camel] === undefined && def[snake] !== undefined) {
      def[camel] = def[snake];
      delete def[snake];
    }
  }
  def['name'] = f.name;
  if (f.mcp_type === 'tool' && def['inputSchema'] === undefined)
    def['inputSchema'] = { type: 'object', properties: {} };
  return def;
}

function linkType(f: FunctionRecord, def: Item): LinkType | undefined {
  switch (f.mcp_type) {
    case 'tool':
      return 'tool';
    case 'resource':
      return typeof def['uriTemplate'] === 'string' ? 'resourceTemplate' : 'resource';
    case 'prompt':
      return 'prompt';
    default:
      return undefined;
  }
}

function linkOf(f: FunctionRecord, type: LinkType | undefined, def: Item): ModuleLink {
  const name =
    type === 'resource'
      ? String(def['uri'] ?? f.name)
      : type === 'resourceTemplate'
        ? String(def['uriTemplate'])
        : f.name;
  const link: ModuleLink = {
    type: type ?? 'tool',
    name,
    module_name: f.module_name ?? '',
    function_name: f.function_name ?? '',
    is_async: f.is_async,
  };
  if (f.class_name) link.class_name = f.class_name;
  if (typeof f.timeout_ms === 'number' && Number.isInteger(f.timeout_ms) && f.timeout_ms > 0) {
    link.timeout_ms = f.timeout_ms;
  }
  if (f.return_type === 'text' || f.return_type === 'image' || f.return_type === 'embedded_resource') {
    link.return_type = f.return_type;
  }
  return link;
}

function moduleEntry(m: ModuleRecord, settings: Map<string, Record<string, unknown>>): ModuleEntry {
  const classSettings: Record<string, Record<string, unknown>> = {};
  let moduleSetting: Record<string, unknown> | undefined;
  for (const c of m.classes) {
    const cls = c['class_name'];
    const id = c['setting_id'];
    const s = typeof id === 'string' ? settings.get(id) : undefined;
    if (!s) continue;
    if (typeof cls === 'string') classSettings[cls] = s;
    else moduleSetting = s;
  }
  const entry: ModuleEntry = {
    package_name: m.package_name,
    module_name: m.module_name,
    source: m.source,
    class_settings: classSettings,
    bundle_version: m.bundle_version ?? null,
  };
  if (moduleSetting) entry.setting = moduleSetting;
  return entry;
}
