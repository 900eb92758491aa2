/**
 * The login brake's port: what `POST /auth/token` asks before and after checking a password. Adapters: the
 * in-process LoginRateLimiter (rate-limit.ts; each instance keeps its own counts) and RedisLoginLimiter
 * (redis-login-limiter.ts; instances behind one load balancer share them, so a guesser gets no more tries by
 * spreading them). contract.ts in rate-limit tests runs against both.
 */
export interface LoginLimiter {
  /**
   * Refuses with MCPD_AUTH_RATE_LIMITED (429, `retryAfterSeconds`) when over a limit; otherwise counts the attempt
   * as under way until `end`, so parallel guesses cannot all pass before the first failure counts.
   */
  begin(username: string, address: string): void | Promise<void>;
  /** Ends an attempt started with `begin` (also when the password check threw). */
  end(username: string, address: string): void | Promise<void>;
  recordFailure(username: string, address: string): unknown;
  /** Clears that username's failures from that address (not the address-wide count). */
  recordSuccess(username: string, address: string): void | Promise<void>;
}

/** Limits shared by every adapter. */
export interface LoginLimits {
  /** Failures allowed per username and address within the window; default 5. */
  readonly maxFailures?: number;
  /** Failures allowed per address over all usernames; default 50. */
  readonly maxFailuresPerAddress?: number;
  /** Default 15 minutes. */
  readonly windowMs?: number;
}
