/**
 * Bounds the bundle code running for one endpoint: at most `concurrency` calls at once, then a bounded queue,
 * then a clear "busy" error (HTTP 429 with Retry-After on HTTP). One tenant's flood cannot take every slot of the
 * daemon. Under the limit, a call pays one counter check and no allocation.
 */
import { McpError } from '../protocol/errors.js';

/** JSON-RPC code of the "endpoint busy" error (implementation-defined server error range). */
export const SERVER_BUSY = -32050;

/** Seconds a client is told to wait before retrying a refused call. */
export const RETRY_AFTER_SECONDS = 1;

interface Lane {
  active: number;
  queue: Array<() => void>;
}

export class EndpointLimiter {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly concurrency: number,
    private readonly queueLimit: number,
  ) {}

  /** Runs `fn` when the endpoint has a free slot; refuses at once when its queue is full. */
  run<T>(endpointId: string, fn: () => Promise<T>): Promise<T> {
    let lane = this.lanes.get(endpointId);
    if (!lane) {
      lane = { active: 0, queue: [] };
      this.lanes.set(endpointId, lane);
    }
    const current = lane;
    if (current.active < this.concurrency) {
      current.active += 1;
      return this.runHolding(current, endpointId, fn);
    }
    if (current.queue.length >= this.queueLimit) {
      return Promise.reject(
        new McpError(
          SERVER_BUSY,
          `Endpoint ${endpointId} is busy: ${this.concurrency} calls running and ${this.queueLimit} waiting; retry later`,
          { retryAfterSeconds: RETRY_AFTER_SECONDS },
        ),
      );
    }
    // A queued call inherits the slot of the call that finishes (no window in which a newcomer could take it).
    return new Promise<void>((resolve) => current.queue.push(resolve)).then(() =>
      this.runHolding(current, endpointId, fn),
    );
  }

  /** Calls running plus calls waiting, for an endpoint. */
  load(endpointId: string): number {
    const lane = this.lanes.get(endpointId);
    return lane ? lane.active + lane.queue.length : 0;
  }

  private runHolding<T>(lane: Lane, endpointId: string, fn: () => Promise<T>): Promise<T> {
    const release = () => {
      const next = lane.queue.shift();
      if (next) {
        next();
        return;
      }
      lane.active -= 1;
      if (lane.active === 0) this.lanes.delete(endpointId);
    };
    let running: Promise<T>;
    try {
      running = fn();
    } catch (err) {
      running = Promise.reject(err);
    }
    return running.finally(release);
  }
}
