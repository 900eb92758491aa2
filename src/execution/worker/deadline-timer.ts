/**
 * One timer for many deadlines (the pool's per-call time limits), set for the earliest: a timer per call, made and
 * cleared on every call, cost the event loop more than the rest of a call's bookkeeping. It moves only for a deadline
 * sooner than the one it waits for. Times are `performance.now()` milliseconds.
 */

/** setTimeout waits at most ~24.8 days (a longer delay fires at once): a later deadline is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class DeadlineTimer {
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;

  /** `due(now)` acts on the deadlines that have passed and returns the next one (Infinity: none). */
  constructor(private readonly due: (now: number) => number) {}

  /** Waits for `at` too. While it waits for anything, it keeps the process alive. */
  add(at: number): void {
    if (at < this.armedFor) this.arm(at);
    else this.timer?.ref();
  }

  /** Nothing to wait for now (no call running): the process may exit meanwhile; `add` keeps it alive again. */
  idle(): void {
    this.timer?.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    this.armedFor = at;
    const ms = Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(at - performance.now())));
    this.timer = setTimeout(() => this.fire(), ms);
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const next = this.due(performance.now());
    if (next !== Infinity) this.arm(next);
  }
}
