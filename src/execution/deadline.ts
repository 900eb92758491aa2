/**
 * The time budget of one call into bundle code. Time spent waiting for the client (sampling, elicitation, roots:
 * a human may take minutes) does not count: the budget pauses while any server→client request is pending.
 */
export class Deadline {
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private pauses = 0;
  private done = false;

  constructor(
    private remainingMs: number,
    private readonly onExpire: () => void,
  ) {
    this.arm();
  }

  pause(): void {
    if (this.done || this.pauses++ > 0) return;
    clearTimeout(this.timer);
    this.remainingMs -= Date.now() - this.startedAt;
  }

  resume(): void {
    if (this.done || --this.pauses > 0) return;
    this.arm();
  }

  clear(): void {
    this.done = true;
    clearTimeout(this.timer);
  }

  private arm(): void {
    this.startedAt = Date.now();
    this.timer = setTimeout(
      () => {
        this.done = true;
        this.onExpire();
      },
      Math.max(0, this.remainingMs),
    );
  }
}
