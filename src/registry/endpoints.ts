/**
 * The endpoints this daemon serves, by id. Replacing an endpoint's catalog reports which lists changed,
 * so the engine can send list_changed notifications to that endpoint's sessions only.
 */
import { join } from 'node:path';
import type { Catalog, Endpoint } from './catalog.js';

export type ListKind = 'tools' | 'resources' | 'prompts';
export type ChangeListener = (endpointId: string, kinds: ListKind[]) => void;

/** An endpoint id; ids starting with `__` are reserved for the daemon's own records. */
export const ENDPOINT_ID = /^(?!__)[A-Za-z0-9_-]{1,128}$/;
/** A `Part-ID` header value (the older engine's sub-partitions). */
export const PART_ID = /^[A-Za-z0-9_-]{1,128}$/;
/** What the registry is keyed by: `endpoint_id`, or `endpoint_id#part_id` when a `Part-ID` header is sent. */
export const PARTITION = /^(?!__)[A-Za-z0-9_-]{1,128}(?:#[A-Za-z0-9_-]{1,128})?$/;

/** The partition a request addresses; undefined when its Part-ID header is malformed. */
export function partitionFor(
  endpointId: string,
  partHeader: string | string[] | undefined,
): string | undefined {
  const part = Array.isArray(partHeader) ? partHeader[0] : partHeader;
  if (part === undefined || part === '') return endpointId;
  return PART_ID.test(part) ? `${endpointId}#${part}` : undefined;
}

export class EndpointRegistry {
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly listeners: ChangeListener[] = [];

  get(endpointId: string): Endpoint | undefined {
    return this.endpoints.get(endpointId);
  }

  ids(): string[] {
    return [...this.endpoints.keys()];
  }

  /** Forgets an endpoint (it is loaded again on its next request). */
  delete(endpointId: string): boolean {
    return this.endpoints.delete(endpointId);
  }

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  set(endpoint: Endpoint): void {
    const before = this.endpoints.get(endpoint.id);
    this.endpoints.set(endpoint.id, endpoint);
    if (!before) return;
    const kinds = changedLists(before.catalog, endpoint.catalog);
    if (kinds.length > 0) for (const l of this.listeners) l(endpoint.id, kinds);
  }
}

function changedLists(a: Catalog, b: Catalog): ListKind[] {
  const kinds: ListKind[] = [];
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  if (!same(a.toolList, b.toolList)) kinds.push('tools');
  if (!same(a.resourceList, b.resourceList) || !same(a.templateList, b.templateList)) kinds.push('resources');
  if (!same(a.promptList, b.promptList)) kinds.push('prompts');
  return kinds;
}

/** The folder of one partition under `root`. No `#` in file paths: it would need escaping in module URLs. */
export function partitionFolder(root: string, partition: string): string {
  return join(root, partition.replace('#', '~'));
}
