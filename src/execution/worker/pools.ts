/** The worker pools of all endpoints, created on an endpoint's first worker call. */
import type { Logger } from '../../observability/logger.js';
import { EndpointWorkers, newWorkerCounters, type PoolLimits, type WorkerCounters } from './pool.js';

export class WorkerPools {
  private readonly pools = new Map<string, EndpointWorkers>();
  readonly counters: WorkerCounters = newWorkerCounters();

  constructor(
    readonly limits: PoolLimits,
    private readonly logger: Logger,
  ) {}

  for(endpointId: string): EndpointWorkers {
    let pool = this.pools.get(endpointId);
    if (!pool) {
      pool = new EndpointWorkers(endpointId, this.limits, this.logger, this.counters);
      this.pools.set(endpointId, pool);
    }
    return pool;
  }

  /** The endpoint's code changed: its workers finish what they run and make way for fresh ones. */
  recycle(endpointId: string): void {
    this.pools.get(endpointId)?.recycle();
  }

  /** Worker threads alive, over all endpoints. */
  get threads(): number {
    let n = 0;
    for (const p of this.pools.values()) n += p.size;
    return n;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
  }
}
