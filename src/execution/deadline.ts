/**
 * Time budgets of calls into bundle code. Time spent waiting for the client (sampling, elicitation, roots: a
 * human may take minutes) does not count: a budget pauses while any server→client request is pending.
 * One coarse shared clock (a 50 ms tick, running only while budgets exist) checks them all, because a timer per
 * call measurably slowed the tools/call hot path; budgets therefore expire up to one tick late.
 */
const TICK_MS = 50;

const active = new Set<Deadline>();
let ticker: NodeJS.Timeout | undefined;

function tick(): void {
  const now = Date.now();
  for (const d of active) if (d.pauses === 0 && d.expiresAt <= now) d.expire();
  if (active.size === 0 && ticker) {
    clearInterval(ticker);
    ticker = undefined;
  }
}

export class Deadline {
  expiresAt: number;
  pauses = 0;
  private remainingMs = 0;

  constructor(
    budgetMs: number,
    private readonly onExpire: () => void,
  ) {
    this.expiresAt = Date.now() + budgetMs;
    active.add(this);
    if (!ticker) {
      ticker = setInterval(tick, TICK_MS);
      ticker.unref();
    }
  }

  pause(): void {
    if (this.pauses++ === 0) this.remainingMs = this.expiresAt - Date.now();
  }

  resume(): void {
    if (this.pauses > 0 && --this.pauses === 0) this.expiresAt = Date.now() + this.remainingMs;
  }

  clear(): void {
    active.delete(this);
  }

  /** Called by the clock once the budget is used up. */
  expire(): void {
    active.delete(this);
    this.onExpire();
  }
}
