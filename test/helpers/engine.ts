/** An Engine over an in-memory catalog whose handlers are plain functions, and a sink that records messages. */
import { Engine } from '../../src/engine/engine.js';
import { Session } from '../../src/engine/session.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { JsonRpcMessage, JsonRpcResponse } from '../../src/protocol/jsonrpc.js';
import {
  buildCatalog,
  type Catalog,
  type Definition,
  type Handler,
  type Invoker,
  type ReturnType,
} from '../../src/registry/catalog.js';
import { EndpointRegistry } from '../../src/registry/endpoints.js';
import { parseUriTemplate } from '../../src/registry/uri-template.js';

export const handler = (invoke: Invoker, returnType?: ReturnType, settings = {}): Handler => ({
  invoke,
  settings,
  returnType,
});

export interface CatalogSpec {
  tools?: Array<{ definition: Definition; invoke?: Invoker; returnType?: ReturnType }>;
  resources?: Array<{ definition: Definition & { uri: string }; invoke?: Invoker }>;
  templates?: Array<{ definition: Definition & { uriTemplate: string }; invoke?: Invoker }>;
  prompts?: Array<{
    definition: Definition & { arguments?: Array<{ name: string; required?: boolean }> };
    invoke?: Invoker;
  }>;
  completions?: Record<string, Invoker>;
}

export function catalogOf(spec: CatalogSpec): Catalog {
  return buildCatalog({
    tools: (spec.tools ?? []).map((t) => ({
      definition: t.definition,
      handler: t.invoke ? handler(t.invoke, t.returnType) : undefined,
    })),
    resources: (spec.resources ?? []).map((r) => ({
      definition: r.definition,
      handler: r.invoke ? handler(r.invoke) : undefined,
    })),
    templates: (spec.templates ?? []).map((t) => ({
      definition: t.definition,
      template: parseUriTemplate(t.definition.uriTemplate),
      handler: t.invoke ? handler(t.invoke) : undefined,
    })),
    prompts: (spec.prompts ?? []).map((p) => ({
      definition: p.definition,
      handler: p.invoke ? handler(p.invoke) : undefined,
    })),
    completions: new Map(Object.entries(spec.completions ?? {}).map(([k, v]) => [k, handler(v)])),
  });
}

export class RecordingSink {
  readonly messages: JsonRpcMessage[] = [];
  private waiters: Array<() => void> = [];
  send(message: JsonRpcMessage): void {
    this.messages.push(message);
    for (const w of this.waiters.splice(0)) w();
  }
  /** Resolves once a message matching `pred` has been sent. */
  async waitFor(pred: (m: JsonRpcMessage) => boolean): Promise<JsonRpcMessage> {
    for (;;) {
      const found = this.messages.find(pred);
      if (found) return found;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
}

export function createTestEngine(spec: CatalogSpec, opts: { pageSize?: number; instructions?: string } = {}) {
  const registry = new EndpointRegistry();
  const endpoint = opts.instructions
    ? { id: 'default', catalog: catalogOf(spec), instructions: opts.instructions }
    : { id: 'default', catalog: catalogOf(spec) };
  registry.set(endpoint);
  const engine = new Engine({
    endpoints: registry,
    logger: silentLogger,
    pageSize: opts.pageSize ?? 100,
    clientRequestTimeoutMs: 2000,
  });
  registry.onChange((id, kinds) => {
    for (const k of kinds) engine.notifyListChanged(id, k);
  });
  return { engine, registry };
}

/** A session that has completed initialize, plus a sink, and a call helper returning the single response. */
export async function connect(
  engine: Engine,
  capabilities: Record<string, unknown> = {},
  version = '2025-11-25',
) {
  const session = new Session('default', 'test-session');
  const sink = new RecordingSink();
  session.notifier = (m) => sink.send(m);
  engine.hub.add(session);
  let nextId = 1;
  const request = async (method: string, params?: Record<string, unknown>): Promise<JsonRpcResponse> => {
    const message = params
      ? { jsonrpc: '2.0', id: nextId++, method, params }
      : { jsonrpc: '2.0', id: nextId++, method };
    const res = await engine.handle(message, session, sink);
    if (res === undefined || Array.isArray(res))
      throw new Error(`expected one response, got ${JSON.stringify(res)}`);
    return res;
  };
  const init = await request('initialize', {
    protocolVersion: version,
    capabilities,
    clientInfo: { name: 'unit', version: '1' },
  });
  return { session, sink, request, init };
}

export function resultOf(res: JsonRpcResponse): Record<string, unknown> {
  if ('error' in res) throw new Error(`unexpected error ${JSON.stringify(res.error)}`);
  return res.result as Record<string, unknown>;
}

export function errorOf(res: JsonRpcResponse): { code: number; message: string; data?: unknown } {
  if (!('error' in res)) throw new Error(`expected an error, got ${JSON.stringify(res)}`);
  return res.error;
}
