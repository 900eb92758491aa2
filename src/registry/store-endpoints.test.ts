/**
 * StoreEndpoints on a real SQLite store, with buses on an in-process hub: refreshes of one endpoint never overlap,
 * a change made here is told to the other instances, and a change heard from them is applied without being told
 * again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFolderBlobStore } from '../blobs/folder.js';
import { BundleCache } from '../bundles/bundle-cache.js';
import { eventually, Heard } from '../bus/contract.js';
import { MemoryBusHub } from '../bus/memory.js';
import { silentLogger } from '../observability/logger.js';
import type { Store } from '../store/index.js';
import { createSqliteStore } from '../store/sqlite.js';
import { EndpointRegistry } from './endpoints.js';
import { StoreEndpoints } from './store-endpoints.js';

describe('StoreEndpoints', () => {
  let dir: string;
  let store: Store;
  let registry: EndpointRegistry;
  let endpoints: StoreEndpoints;
  let other: Heard;
  let reads: number;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcpd-store-endpoints-'));
    store = createSqliteStore({ path: ':memory:' });
    // Counts the registry reads (each refresh reads the partition's functions once).
    const list = store.functions.list.bind(store.functions);
    reads = 0;
    store.functions.list = (...args) => {
      reads++;
      return list(...args);
    };
    registry = new EndpointRegistry();
    const hub = new MemoryBusHub();
    endpoints = new StoreEndpoints({
      store,
      bundles: new BundleCache(createFolderBlobStore(join(dir, 'blobs')), join(dir, 'cache')),
      registry,
      logger: silentLogger,
      fixed: new Set(['default']),
      bus: hub.attach(),
    });
    other = new Heard();
    await hub.attach().subscribe(other);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const addTool = (partition: string, name: string) =>
    store.functions.put({
      partition_key: partition,
      name,
      mcp_type: 'tool',
      description: null,
      data: { inputSchema: { type: 'object' } },
      annotations: null,
      module_name: null,
      class_name: null,
      function_name: null,
      return_type: null,
      is_async: false,
      updated_by: 'test',
    });
  const tools = (partition: string) => registry.get(partition)?.catalog.toolList.map((t) => t.name) ?? [];

  it('runs one refresh of an endpoint at a time; those asked for meanwhile share one read', async () => {
    await addTool('t', 'one');
    await endpoints.ensure('t');
    reads = 0;
    await addTool('t', 'two');
    const first = endpoints.refresh('t');
    await addTool('t', 'three');
    // Asked while the first runs: they wait for it, then share one read that sees everything.
    await Promise.all([first, endpoints.refresh('t'), endpoints.refresh('t'), endpoints.refresh('t')]);
    expect(reads).toBe(2);
    expect(tools('t').sort()).toEqual(['one', 'three', 'two']);
    // Every refresh asked for here was told to the other instances.
    await eventually(() => other.changes.length === 4, 'four messages');
    await endpoints.refresh('t');
    expect(reads).toBe(3);
  });

  it('applies a change heard from another instance to a loaded endpoint, without telling it again', async () => {
    await addTool('t', 'one');
    await endpoints.ensure('t');
    await addTool('t', 'two');
    endpoints.registryChanged('t');
    await eventually(() => tools('t').length === 2, 'the new tool');
    // Not loaded here, or the config file's own: nothing to read.
    reads = 0;
    endpoints.registryChanged('elsewhere');
    endpoints.registryChanged('default');
    await new Promise((r) => setTimeout(r, 20));
    expect(reads).toBe(0);
    expect(registry.get('elsewhere')).toBeUndefined();
    expect(other.changes).toEqual([]);
  });

  it('resync re-reads every endpoint loaded here', async () => {
    await addTool('a', 'one');
    await addTool('b', 'one');
    await Promise.all([endpoints.ensure('a'), endpoints.ensure('b')]);
    await Promise.all([addTool('a', 'two'), addTool('b', 'two')]);
    endpoints.resync();
    await eventually(() => tools('a').length === 2 && tools('b').length === 2, 'both endpoints re-read');
    expect(other.changes).toEqual([]);
  });

  it('keeps an endpoint whose stored registry did not change when another instance says it did', async () => {
    await addTool('t', 'one');
    const before = await endpoints.ensure('t');
    reads = 0;
    endpoints.registryChanged('t');
    await eventually(() => reads === 1, 'the read');
    await new Promise((r) => setTimeout(r, 20));
    // Read, found the same: the same catalog object still serves (no list_changed, workers kept).
    expect(registry.get('t')).toBe(before);
    // A refresh asked for here rebuilds all the same.
    await endpoints.refresh('t');
    expect(registry.get('t')).not.toBe(before);
    expect(tools('t')).toEqual(['one']);
    // And a real change heard from elsewhere is applied.
    await addTool('t', 'two');
    const current = registry.get('t');
    endpoints.registryChanged('t');
    await eventually(() => tools('t').length === 2, 'the new tool');
    expect(registry.get('t')).not.toBe(current);
  });

  it('resync reads a few endpoints at a time, and replaces only those that changed', async () => {
    const ids = Array.from({ length: 10 }, (_, i) => `e${i}`);
    for (const id of ids) await addTool(id, 'one');
    await Promise.all(ids.map((id) => endpoints.ensure(id)));
    const before = new Map(ids.map((id) => [id, registry.get(id)]));
    await addTool('e3', 'two');
    let running = 0;
    let most = 0;
    const list = store.functions.list;
    store.functions.list = async (...args) => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 5));
      try {
        return await list(...args);
      } finally {
        running--;
      }
    };
    await endpoints.resync();
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(4);
    expect(tools('e3').sort()).toEqual(['one', 'two']);
    for (const id of ids) {
      if (id === 'e3') expect(registry.get(id)).not.toBe(before.get(id));
      else expect(registry.get(id)).toBe(before.get(id));
    }
    expect(other.changes).toEqual([]);
  });

  it('a refresh asked for here that joins a queued change heard from elsewhere still rebuilds', async () => {
    await addTool('t', 'one');
    await endpoints.ensure('t');
    const list = store.functions.list;
    store.functions.list = async (...args) => {
      await new Promise((r) => setTimeout(r, 30));
      return list(...args);
    };
    const running = endpoints.refresh('t');
    endpoints.registryChanged('t'); // queued behind it, and would keep an unchanged endpoint
    const local = endpoints.refresh('t'); // joins that queued refresh
    await running;
    const afterFirst = registry.get('t');
    await local;
    expect(registry.get('t')).not.toBe(afterFirst);
  });

  it('rebuilds an endpoint whose bundle could not be fetched when a change is heard, even if the store is the same', async () => {
    await addTool('t', 'one');
    await store.modules.put({
      partition_key: 't',
      module_name: 'gone',
      package_name: 'gone',
      classes: [],
      source: null,
      bundle_version: 'deadbeef',
      bundle_sha256: 'deadbeef',
      updated_by: 'test',
    });
    const before = await endpoints.ensure('t');
    reads = 0;
    endpoints.registryChanged('t');
    await eventually(() => registry.get('t') !== before, 'a new attempt at the endpoint');
    expect(reads).toBe(1);
  });

  it('tells the others of a change even when this instance cannot rebuild the endpoint', async () => {
    await addTool('t', 'one');
    await endpoints.ensure('t');
    store.functions.list = () => Promise.reject(new Error('store unavailable'));
    await expect(endpoints.refresh('t')).rejects.toThrow('store unavailable');
    await eventually(() => other.changes.length === 1, 'the message');
    // The old catalog keeps serving.
    expect(tools('t')).toEqual(['one']);
  });
});
