/** The worker pools of all endpoints, created on an endpoint's first worker call. */
import type { Logger } from '../../observability/logger.js';
import { newWorkerCounters, type WorkerCounters } from './counters.js';
import { EndpointWorkers, type PoolLimits } from './pool.js';
import type { Sandbox } from './runner.js';

export type PoolLevel = 'worker' | 'process';

/** The folders a `process`-level runner of an endpoint may read and write. */
export type SandboxFor = (endpointId: string) => Sandbox;

export class WorkerPools {
  private readonly pools = new Map<string, EndpointWorkers>();
  readonly counters: WorkerCounters = newWorkerCounters();

  constructor(
    readonly limits: PoolLimits,
    private readonly logger: Logger,
    /** Required for the `process` level. */
    private readonly sandboxFor?: SandboxFor,
  ) {}

  /** The endpoint's pool at a level (threads, or confined child processes); each level has its own. */
  for(endpointId: string, level: PoolLevel = 'worker'): EndpointWorkers {
    const key = level === 'worker' ? endpointId : `${level}\u0000${endpointId}`;
    let pool = this.pools.get(key);
    if (!pool) {
      let sandbox: Sandbox | undefined;
      if (level === 'process') {
        if (!this.sandboxFor) throw new Error('The process isolation level is not configured here');
        sandbox = this.sandboxFor(endpointId);
      }
      pool = new EndpointWorkers(endpointId, this.limits, this.logger, this.counters, sandbox);
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** The endpoint's code changed: its workers finish what they run and make way for fresh ones. */
  recycle(endpointId: string): void {
    this.pools.get(endpointId)?.recycle();
    this.pools.get(`process\u0000${endpointId}`)?.recycle();
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
