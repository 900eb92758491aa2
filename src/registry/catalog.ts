/**
 * The catalog of one endpoint: tools, resources, resource templates, prompts and completion providers,
 * each paired with the code that serves it. Built once per registry version and then read-only, so the
 * hot path (tools/call) is two map lookups.
 */
import type { ToolContext } from '../sdk/types.js';
import type { UriTemplate } from './uri-template.js';
import type { HeaderParam } from './x-mcp-header.js';

export type ReturnType = 'text' | 'image' | 'embedded_resource';

/** Calls bundle code. Arguments are already validated. */
export type Invoker = (args: Record<string, unknown>, ctx: ToolContext) => Promise<unknown>;

/** The code behind one catalog entry, with the module settings its context carries. */
export interface Handler {
  readonly invoke: Invoker;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly returnType: ReturnType | undefined;
  /** The bundle version the code came from (store-backed endpoints), for call records. */
  readonly bundleVersion?: string | undefined;
  /** Where the code runs: `inline` (the daemon's thread; the default) or `worker`. */
  readonly isolation?: IsolationLevel;
  /** The older engine's `is_async`: slow calls answer with a handle, fetched later by `mcp_function_call_uuid`. */
  readonly isAsync?: boolean;
}

export type Definition = Record<string, unknown> & { name: string };

export interface ToolEntry {
  readonly definition: Definition;
  readonly handler: Handler | undefined;
  /** Input properties mirrored in `Mcp-Param-*` headers (2026-07-28 `x-mcp-header`). */
  readonly headerParams?: readonly HeaderParam[];
}

export interface ResourceEntry {
  readonly definition: Definition & { uri: string };
  readonly handler: Handler | undefined;
}

export interface TemplateEntry {
  readonly definition: Definition & { uriTemplate: string };
  readonly template: UriTemplate;
  readonly handler: Handler | undefined;
}

export interface PromptArgument {
  name: string;
  required?: boolean;
}

export interface PromptEntry {
  readonly definition: Definition & { arguments?: PromptArgument[] };
  readonly handler: Handler | undefined;
}

export interface Catalog {
  readonly tools: ReadonlyMap<string, ToolEntry>;
  readonly toolList: readonly Definition[];
  /** tools/list in 2026-07-28: without `execution` (task support is the server's business in that era). */
  readonly modernToolList: readonly Definition[];
  readonly resources: ReadonlyMap<string, ResourceEntry>;
  readonly resourceList: readonly Definition[];
  readonly templates: readonly TemplateEntry[];
  readonly templateList: readonly Definition[];
  readonly prompts: ReadonlyMap<string, PromptEntry>;
  readonly promptList: readonly Definition[];
  /** Keyed `prompt:<name>` or `resource:<uriTemplate>`. */
  readonly completions: ReadonlyMap<string, Handler>;
}

export interface Endpoint {
  readonly id: string;
  readonly catalog: Catalog;
  /** Shown to clients in `initialize`. */
  readonly instructions?: string;
}

export function buildCatalog(parts: {
  tools?: ToolEntry[];
  resources?: ResourceEntry[];
  templates?: TemplateEntry[];
  prompts?: PromptEntry[];
  completions?: Map<string, Handler>;
}): Catalog {
  const tools = parts.tools ?? [];
  const resources = parts.resources ?? [];
  const templates = parts.templates ?? [];
  const prompts = parts.prompts ?? [];
  return {
    tools: new Map(tools.map((t) => [t.definition.name, t])),
    toolList: tools.map((t) => publicDefinition(t.definition, false)),
    modernToolList: tools.map((t) => publicDefinition(t.definition, true)),
    resources: new Map(resources.map((r) => [r.definition.uri, r])),
    resourceList: resources.map((r) => r.definition),
    templates,
    templateList: templates.map((t) => t.definition),
    prompts: new Map(prompts.map((p) => [p.definition.name, p])),
    promptList: prompts.map((p) => p.definition),
    completions: parts.completions ?? new Map(),
  };
}

export const emptyCatalog: Catalog = buildCatalog({});

/** Where bundle code runs: the daemon's thread, a worker thread of its endpoint, or a confined child process. */
export type IsolationLevel = 'inline' | 'worker' | 'process';
export const ISOLATION_LEVELS: readonly IsolationLevel[] = ['inline', 'worker', 'process'];

/** A tool definition as clients see it: without the daemon's own `x-mcpd-*` keys (and, in 2026, `execution`). */
function publicDefinition(definition: Definition, modern: boolean): Definition {
  const keys = Object.keys(definition);
  if (!keys.some((k) => k.startsWith('x-mcpd-') || (modern && k === 'execution'))) return definition;
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    if (!k.startsWith('x-mcpd-') && !(modern && k === 'execution')) out[k] = definition[k];
  }
  return out as Definition;
}
