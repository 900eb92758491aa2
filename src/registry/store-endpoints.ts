/**
 * Endpoints whose registry lives in the Store. An endpoint is loaded on its first request (one read of its
 * functions and modules, its bundles fetched and extracted), then served from memory: the tools/call hot path never
 * touches the store. A change made through the management API refreshes the endpoint (cascading purge): the new
 * catalog replaces the old one atomically, calls in flight finish on the code they started with, and connected
 * clients get list_changed for what changed. With a bus, the other instances sharing the store hear of the change and
 * refresh their copy too (if they have loaded the endpoint; otherwise their first request reads the new state).
 */
import { join } from 'node:path';
import type { BundleCache } from '../bundles/bundle-cache.js';
import type { Bus, BusListener } from '../bus/index.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/index.js';
import { type Endpoint, emptyCatalog } from './catalog.js';
import type { EndpointRegistry } from './endpoints.js';
import { endpointFromRegistry, type ExecutionOptions } from './from-file.js';
import { registryFromStore, type StoredRegistry } from './from-store.js';

export interface StoreEndpointsDeps {
  readonly store: Store;
  readonly bundles: BundleCache;
  readonly registry: EndpointRegistry;
  readonly logger: Logger;
  /** Endpoints served from elsewhere (the config file's `default`), never read from the store. */
  readonly fixed?: ReadonlySet<string>;
  /** Endpoints that exist even with nothing in the store (served with an empty catalog). */
  readonly always?: ReadonlySet<string>;
  /** Isolation of tenant code (default inline) and the worker pools for the `worker` level. */
  readonly execution?: ExecutionOptions;
  /** Tells other instances of the changes made here. */
  readonly bus?: Bus;
}

interface RefreshSlot {
  readonly running: Promise<void>;
  queued: Promise<void> | undefined;
  /** The queued refresh may keep an unchanged endpoint: only when every refresh that joined it may. */
  queuedKeeps: boolean;
}

/** How many endpoints a resync re-reads at once. */
const RESYNC_CONCURRENCY = 4;

/** Hears registry changes on the bus (task cancellations go to the task registry: serving-parts.ts). */
export class StoreEndpoints implements Pick<BusListener, 'registryChanged' | 'resync'> {
  private readonly loading = new Map<string, Promise<Endpoint | undefined>>();
  /** The refresh running or queued per partition: refreshes of one endpoint never overlap. */
  private readonly refreshing = new Map<string, RefreshSlot>();
  /** What each endpoint served here was built from (its stored registry, as JSON). */
  private readonly builtFrom = new Map<string, string>();

  constructor(private readonly deps: StoreEndpointsDeps) {}

  /** The endpoint, loading it from the store when this instance has not yet; undefined when it does not exist. */
  ensure(partition: string): Promise<Endpoint | undefined> {
    const known = this.deps.registry.get(partition);
    if (known || this.deps.fixed?.has(partition)) return Promise.resolve(known);
    let job = this.loading.get(partition);
    if (!job) {
      job = this.read(partition)
        .then(async ({ stored, source }) => {
          const built = await this.build(partition, stored);
          // A refresh may have landed meanwhile; never overwrite a newer catalog with this one.
          if (built.endpoint && !this.deps.registry.get(partition)) {
            this.deps.registry.set(built.endpoint);
            this.remember(partition, source, built.complete);
          }
          return this.deps.registry.get(partition);
        })
        .finally(() => this.loading.delete(partition));
      this.loading.set(partition, job);
    }
    return job;
  }

  /**
   * Re-reads an endpoint after a change made through this instance, then tells the other instances. A loaded
   * endpoint is replaced (sessions get list_changed); one with nothing left in the store stays served with an empty
   * catalog so its sessions hear that the lists emptied.
   */
  async refresh(partition: string): Promise<void> {
    if (this.deps.fixed?.has(partition)) return;
    try {
      await this.serially(partition);
    } finally {
      // Even when this instance could not rebuild (a bundle store down): the change is in the store.
      this.deps.bus?.publishRegistryChange(partition);
    }
  }

  /** Another instance changed a partition: re-read it if it is served here. */
  registryChanged(partition: string): void {
    void this.applyRemote(partition);
  }

  /**
   * The bus was down: changes may have been missed, so every endpoint served here is read again, a few at a time
   * (a daemon serving thousands of endpoints must not read them all at once the moment Redis comes back). One whose
   * stored registry did not change is left as it is: no new catalog, no list_changed, its workers kept.
   */
  resync(): Promise<void> {
    // Those still loading too: their read may have come before a lost message.
    const ids = [...new Set([...this.deps.registry.ids(), ...this.loading.keys()])];
    let next = 0;
    const lane = async () => {
      while (next < ids.length) await this.applyRemote(ids[next++]!);
    };
    return Promise.all(Array.from({ length: Math.min(RESYNC_CONCURRENCY, ids.length) }, lane)).then(
      () => undefined,
    );
  }

  private applyRemote(partition: string): Promise<void> {
    if (this.deps.fixed?.has(partition)) return Promise.resolve();
    if (!this.deps.registry.get(partition) && !this.loading.has(partition)) return Promise.resolve();
    return this.serially(partition, true).catch((err: unknown) =>
      this.deps.logger.error(
        { err, endpoint: partition },
        'could not apply a change made by another instance',
      ),
    );
  }

  /**
   * Runs one refresh at a time per partition, in order, so an older read never replaces a newer catalog. A refresh
   * asked for while another runs waits for it; any more asked for meanwhile share that waiting one, which reads the
   * store after all of them were asked.
   */
  private serially(partition: string, keepUnchanged = false): Promise<void> {
    const slot = this.refreshing.get(partition);
    if (!slot) return this.startRefresh(partition, keepUnchanged);
    if (slot.queued) {
      slot.queuedKeeps &&= keepUnchanged;
      return slot.queued;
    }
    slot.queuedKeeps = keepUnchanged;
    slot.queued = slot.running
      .catch(() => undefined)
      .then(() => this.startRefresh(partition, slot.queuedKeeps));
    return slot.queued;
  }

  private startRefresh(partition: string, keepUnchanged: boolean): Promise<void> {
    const slot: RefreshSlot = {
      running: this.rebuild(partition, keepUnchanged),
      queued: undefined,
      queuedKeeps: true,
    };
    this.refreshing.set(partition, slot);
    const done = () => {
      // A queued refresh takes the slot over when it starts.
      if (this.refreshing.get(partition) === slot && !slot.queued) this.refreshing.delete(partition);
    };
    slot.running.then(done, done);
    return slot.running;
  }

  /**
   * With `keepUnchanged` (a change heard from another instance), an endpoint whose stored registry is the one its
   * catalog was built from is kept. A refresh asked for here always rebuilds: it may be meant to reload bundles.
   */
  private async rebuild(partition: string, keepUnchanged: boolean): Promise<void> {
    const { stored, source } = await this.read(partition);
    // Compared before any bundle is fetched: an unchanged endpoint costs one read of the store.
    if (keepUnchanged && this.deps.registry.get(partition) && this.builtFrom.get(partition) === source)
      return;
    const { endpoint, complete } = await this.build(partition, stored);
    if (endpoint) {
      this.deps.registry.set(endpoint);
      this.remember(partition, source, complete);
    } else if (this.deps.registry.get(partition)) {
      this.deps.registry.set({ id: partition, catalog: emptyCatalog });
      this.remember(partition, source, complete);
    }
    // Workers hold the modules they imported: fresh ones load the new version, the old ones stop when idle.
    this.deps.execution?.workers?.recycle(partition);
  }

  /** The stored registry, and it as JSON (`null` when there is none). */
  private async read(partition: string): Promise<{ stored: StoredRegistry | undefined; source: string }> {
    const stored = await registryFromStore(this.deps.store, partition);
    return { stored, source: stored ? JSON.stringify(stored) : 'null' };
  }

  /**
   * Remembers what the catalog now serving was built from; not when a bundle could not be fetched, so that the next
   * change heard (or a resync) tries again even if the store did not change.
   */
  private remember(partition: string, source: string, complete: boolean): void {
    if (complete) this.builtFrom.set(partition, source);
    else this.builtFrom.delete(partition);
  }

  /** The endpoint for a stored registry; `complete` is false when one of its bundles could not be fetched. */
  private async build(
    partition: string,
    stored: StoredRegistry | undefined,
  ): Promise<{ endpoint: Endpoint | undefined; complete: boolean }> {
    if (!stored) {
      const endpoint = this.deps.always?.has(partition)
        ? { id: partition, catalog: emptyCatalog }
        : undefined;
      return { endpoint, complete: true };
    }
    let complete = true;
    const folders = new Map<string, string>();
    await Promise.all(
      stored.modules.map(async (m) => {
        if (!m.bundle_version && !m.source) return;
        try {
          const root = await this.deps.bundles.folderFor(partition, m);
          folders.set(m.module_name, m.bundle_path ? join(root, m.bundle_path) : root);
        } catch (err) {
          // The module's entries answer with an error naming the module; the rest of the endpoint serves.
          complete = false;
          this.deps.logger.error({ err, endpoint: partition, module: m.module_name }, 'bundle unavailable');
        }
      }),
    );
    const missing = join('/nonexistent', 'mcpd-bundle-unavailable');
    const endpoint = await endpointFromRegistry(
      partition,
      stored.file,
      (_module, link) => folders.get(link.module_name) ?? missing,
      `store partition ${partition}`,
      this.deps.logger,
      this.deps.execution,
    );
    return { endpoint, complete };
  }
}
