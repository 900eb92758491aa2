/**
 * The endpoints this daemon serves, by id. Replacing an endpoint's catalog reports which lists changed,
 * so the engine can send list_changed notifications to that endpoint's sessions only.
 */
import type { Catalog, Endpoint } from './catalog.js';

export type ListKind = 'tools' | 'resources' | 'prompts';
export type ChangeListener = (endpointId: string, kinds: ListKind[]) => void;

export const ENDPOINT_ID = /^[A-Za-z0-9_-]{1,128}$/;

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
