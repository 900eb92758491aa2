/**
 * Turns a registry in the config-file shape (a bundle's `mcp.json`, or the older API's `mcpConfiguration`) into
 * store rows: one function row per tool, resource, template and prompt, linked to its module. The MCP definition
 * minus `name` and `description` goes into the row's `data`, as the older engine stored it.
 */
import type { FunctionRecord, Put } from '../store/index.js';
import type { Item, LinkType, ModuleLink, RegistryFile } from './config-file.js';

export function functionRows(
  partition: string,
  file: RegistryFile,
  updatedBy: string,
  defaultModule?: string,
): Put<FunctionRecord>[] {
  const links = new Map<string, ModuleLink>();
  for (const l of file.module_links) links.set(`${l.type}:${l.name}`, l);
  const row = (item: Item, mcpType: string, linkTypes: LinkType[], keys: unknown[]): Put<FunctionRecord> => {
    let link: ModuleLink | undefined;
    for (const t of linkTypes) for (const k of keys) link ??= links.get(`${t}:${String(k)}`);
    const { name, description, ...data } = item;
    const r: Put<FunctionRecord> = {
      partition_key: partition,
      name: String(name),
      mcp_type: mcpType,
      description: typeof description === 'string' ? description : null,
      data,
      annotations: null,
      module_name: link?.module_name ?? defaultModule ?? null,
      class_name: link?.class_name ?? null,
      function_name: link?.function_name ?? (defaultModule ? String(name) : null),
      return_type: link?.return_type ?? null,
      is_async: link?.is_async ?? false,
      ...(link?.timeout_ms !== undefined ? { timeout_ms: link.timeout_ms } : {}),
      updated_by: updatedBy,
    };
    return r;
  };
  return [
    ...file.tools.map((t) => row(t, 'tool', ['tool'], [t['name']])),
    ...file.resources.map((r) => row(r, 'resource', ['resource'], [r['uri'], r['name']])),
    ...file.resourceTemplates.map((r) =>
      row(r, 'resource', ['resourceTemplate', 'resource'], [r['uriTemplate'], r['name']]),
    ),
    ...file.prompts.map((p) => row(p, 'prompt', ['prompt'], [p['name']])),
  ];
}
