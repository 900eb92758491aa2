/**
 * Stops an endpoint's workers once no call ran for a while. Armed when the last call ends and not disarmed by a new
 * one (that would cost a timer per call): when it fires, it checks, and waits again for what is left of the period.
 */

export class IdleCheck {
  private timer: NodeJS.Timeout | undefined;
  private since = 0;

  constructor(
    private readonly idleMs: number,
    /** Whether calls run or wait now. */
    private readonly busy: () => boolean,
    private readonly onIdle: () => void,
  ) {}

  /** The last call ended: idle from now. */
  start(): void {
    this.since = performance.now();
    if (!this.timer) this.arm(this.idleMs);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        if (this.busy()) return; // the end of those calls starts it again
        const idle = performance.now() - this.since;
        if (idle >= this.idleMs) this.onIdle();
        else this.arm(this.idleMs - idle);
      },
      Math.max(1, Math.ceil(ms)),
    );
    // Never what keeps the daemon alive.
    this.timer.unref();
  }
}
