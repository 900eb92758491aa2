/**
 * Bounds the bundle code running for one endpoint: at most `concurrency` calls at once, then a bounded queue,
 * then a clear "busy" error (HTTP 429 with Retry-After on HTTP). One tenant's flood cannot take every slot of the
 * daemon. Under the limit, acquiring a slot is a counter check that allocates nothing.
 */
import { McpError } from '../protocol/errors.js';

/** JSON-RPC code of the "endpoint busy" error (implementation-defined server error range). */
export const SERVER_BUSY = -32050;

/** Seconds a client is told to wait before retrying a refused call. */
export const RETRY_AFTER_SECONDS = 1;

export type Release = () => void;

class Lane {
  active = 0;
  readonly queue: Array<(release: Release) => void> = [];
  /** One release function per lane: a finishing call hands its slot to the next waiter, if any. */
  readonly release: Release = () => {
    const next = this.queue.shift();
    if (next) next(this.release);
    else this.active -= 1;
  };
}

export class EndpointLimiter {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly concurrency: number,
    private readonly queueLimit: number,
  ) {}

  /**
   * A slot for one call: the release function at once when one is free, a promise of it when the call must wait,
   * or a busy McpError (thrown) when the queue is full. Call the release exactly once when the call ends.
   */
  acquire(endpointId: string): Release | Promise<Release> {
    let lane = this.lanes.get(endpointId);
    if (!lane) {
      lane = new Lane();
      this.lanes.set(endpointId, lane);
    }
    if (lane.active < this.concurrency) {
      lane.active += 1;
      return lane.release;
    }
    if (lane.queue.length >= this.queueLimit) {
      throw new McpError(
        SERVER_BUSY,
        `Endpoint ${endpointId} is busy: ${this.concurrency} calls running and ${this.queueLimit} waiting; retry later`,
        { retryAfterSeconds: RETRY_AFTER_SECONDS },
      );
    }
    const queue = lane.queue;
    return new Promise<Release>((resolve) => queue.push(resolve));
  }

  /** Runs `fn` in a slot of the endpoint (a convenience over acquire). */
  async run<T>(endpointId: string, fn: () => Promise<T>): Promise<T> {
    const slot = this.acquire(endpointId);
    const release = typeof slot === 'function' ? slot : await slot;
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Calls running plus calls waiting, for an endpoint. */
  load(endpointId: string): number {
    const lane = this.lanes.get(endpointId);
    return lane ? lane.active + lane.queue.length : 0;
  }
}
