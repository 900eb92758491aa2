/** What the pools did, over all endpoints (read by /metrics). */
export interface WorkerCounters {
  /** Threads started. */
  spawned: number;
  /** Threads gone (recycled, idle, crashed, terminated, shut down). */
  ended: number;
  /** Threads that crashed or ran out of memory. */
  crashed: number;
  /** Calls stopped by the per-call time limit. */
  timeouts: number;
  /** Calls refused because the endpoint's queue was full. */
  busy: number;
}

export const newWorkerCounters = (): WorkerCounters => ({
  spawned: 0,
  ended: 0,
  crashed: 0,
  timeouts: 0,
  busy: 0,
});
