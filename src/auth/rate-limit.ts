/**
 * Password-guessing brake for `POST /auth/token`: failed logins are counted per (username, client address) and
 * per address alone, in a sliding window. Over the limit, attempts are refused (without checking the password)
 * until enough failures age out; the answer says when (`Retry-After`). Attempts still being checked count
 * against the limits too (`begin`/`end`), so parallel guesses cannot all pass before the first failure counts.
 * In-process and bounded in memory; several instances each keep their own counts (redis-login-limiter.ts shares
 * them).
 */
import { AuthError } from './errors.js';
import type { LoginLimiter, LoginLimits } from './login-limiter.js';

export interface LoginRateLimiterOptions extends LoginLimits {
  /** Tracked keys before the least recently failed are forgotten; default 10 000. */
  readonly maxEntries?: number;
  /** Clock (epoch ms), for tests. */
  readonly now?: () => number;
}

export type LimitCheck =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

const ALLOWED: LimitCheck = Object.freeze({ allowed: true });

export class LoginRateLimiter implements LoginLimiter {
  readonly #max: number;
  readonly #maxPerAddress: number;
  readonly #windowMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** key → failure times (ms), oldest first, at most the key's limit. Map order = least recently failed first. */
  readonly #failures = new Map<string, number[]>();
  /** key → attempts under way (between `begin` and `end`); they may all fail, so they count as failures. */
  readonly #pending = new Map<string, number>();

  constructor(options: LoginRateLimiterOptions = {}) {
    this.#max = options.maxFailures ?? 5;
    this.#maxPerAddress = options.maxFailuresPerAddress ?? 50;
    this.#windowMs = options.windowMs ?? 15 * 60_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Number of keys tracked (for metrics). */
  get size(): number {
    return this.#failures.size;
  }

  /** Whether an attempt may go ahead now. */
  check(username: string, address: string): LimitCheck {
    const now = this.#now();
    let wait = 0;
    for (const [key, limit] of this.#keys(username, address)) {
      const times = this.#recent(key, now);
      const oldest = times[0];
      if (oldest !== undefined && times.length >= limit) wait = Math.max(wait, oldest + this.#windowMs - now);
      // Full only with the attempts under way: they settle within a password check.
      else if (times.length + (this.#pending.get(key) ?? 0) >= limit) wait = Math.max(wait, 1000);
    }
    return wait > 0 ? { allowed: false, retryAfterSeconds: Math.ceil(wait / 1000) } : ALLOWED;
  }

  /** Like `check`, throwing MCPD_AUTH_RATE_LIMITED (429, with `retryAfterSeconds`) when refused. */
  assertAllowed(username: string, address: string): void {
    const result = this.check(username, address);
    if (!result.allowed) {
      throw new AuthError('MCPD_AUTH_RATE_LIMITED', 'Too many failed logins; try again later', {
        retryAfterSeconds: result.retryAfterSeconds,
      });
    }
  }

  /**
   * `assertAllowed`, then counts the attempt as under way until `end`: call `end` once the password is checked
   * (then `recordFailure` or `recordSuccess`), also when the check throws.
   */
  begin(username: string, address: string): void {
    this.assertAllowed(username, address);
    for (const [key] of this.#keys(username, address))
      this.#pending.set(key, (this.#pending.get(key) ?? 0) + 1);
  }

  /** Ends an attempt started with `begin`. */
  end(username: string, address: string): void {
    for (const [key] of this.#keys(username, address)) {
      const n = (this.#pending.get(key) ?? 0) - 1;
      if (n > 0) this.#pending.set(key, n);
      else this.#pending.delete(key);
    }
  }

  /** Counts a failed login; returns whether the next attempt is allowed. */
  recordFailure(username: string, address: string): LimitCheck {
    const now = this.#now();
    for (const [key, limit] of this.#keys(username, address)) {
      const times = [...this.#recent(key, now), now].slice(-limit);
      this.#failures.delete(key);
      this.#failures.set(key, times);
    }
    for (const key of this.#failures.keys()) {
      if (this.#failures.size <= this.#maxEntries) break;
      this.#failures.delete(key);
    }
    return this.check(username, address);
  }

  /** A successful login clears that username's failures from that address (not the address-wide count). */
  recordSuccess(username: string, address: string): void {
    this.#failures.delete(this.#keys(username, address)[0][0]);
  }

  #keys(username: string, address: string): [[string, number], [string, number]] {
    return [
      [`u\u0000${address}\u0000${username}`, this.#max],
      [`a\u0000${address}`, this.#maxPerAddress],
    ];
  }

  /** The key's failures still inside the window (expired ones are dropped, and empty keys forgotten). */
  #recent(key: string, now: number): number[] {
    const times = this.#failures.get(key);
    if (times === undefined) return [];
    const recent = times.filter((t) => t > now - this.#windowMs);
    if (recent.length === 0) this.#failures.delete(key);
    else if (recent.length !== times.length) this.#failures.set(key, recent);
    return recent;
  }
}
