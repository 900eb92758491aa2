/**
 * The login brake shared by every instance through Redis: failures are sorted sets of times per (username,
 * address) and per address, attempts under way are counters, and each step is one Lua script, so the check and the
 * count are atomic across instances. Times come from Redis (`TIME`), so instances' clocks need not agree. Keys hold
 * hashes, never usernames or addresses.
 *
 * Redis being unreachable never opens the gate: the instance falls back to its own in-process counts (the limits
 * still hold per instance) and logs it once, until Redis answers again.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.js';
import { AuthError } from './errors.js';
import type { LoginLimiter, LoginLimits } from './login-limiter.js';
import { LoginRateLimiter } from './rate-limit.js';

export interface RedisLoginLimiterOptions extends LoginLimits {
  readonly url: string;
  /** Key prefix: instances that must share counts share it. */
  readonly prefix: string;
  readonly logger: Logger;
}

/** How long a login waits for the first connection before counting on this instance alone. */
const FIRST_CONNECT_MS = 1000;

/** An attempt under way is forgotten after this long, should its instance die before `end`. */
const PENDING_TTL_MS = 60_000;

// KEYS: user failures, address failures, user pending, address pending. ARGV: window, user limit, address limit,
// pending TTL. Returns 0 (allowed, and counted as under way) or the ms to wait.
const BEGIN = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local wait = 0
for i = 1, 2 do
  local limit = tonumber(ARGV[1 + i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local n = redis.call('ZCARD', KEYS[i])
  if n >= limit then
    local oldest = tonumber(redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')[2])
    wait = math.max(wait, oldest + window - now)
  elseif n + tonumber(redis.call('GET', KEYS[i + 2]) or '0') >= limit then
    wait = math.max(wait, 1000)
  end
end
if wait > 0 then return wait end
for i = 3, 4 do
  redis.call('INCR', KEYS[i])
  redis.call('PEXPIRE', KEYS[i], ARGV[4])
end
return 0
`;

// KEYS: user pending, address pending.
const END = `
for i = 1, 2 do
  if redis.call('DECR', KEYS[i]) <= 0 then redis.call('DEL', KEYS[i]) end
end
return 0
`;

// KEYS: user failures, address failures. ARGV: window, user limit, address limit, a unique member.
const FAIL = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, 2 do
  redis.call('ZADD', KEYS[i], now, ARGV[4])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - tonumber(ARGV[1]))
  redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -(tonumber(ARGV[1 + i]) + 1))
  redis.call('PEXPIRE', KEYS[i], ARGV[1])
end
return 0
`;

export class RedisLoginLimiter implements LoginLimiter {
  private readonly redis: Redis;
  private readonly local: LoginRateLimiter;
  private readonly limits: { window: number; user: number; address: number };
  /** Attempts begun on the local fallback, so they end there too. */
  private readonly begunLocally = new Map<string, number>();
  private failing = false;
  private connecting: Promise<void> | undefined;

  constructor(private readonly opts: RedisLoginLimiterOptions) {
    this.limits = {
      window: opts.windowMs ?? 15 * 60_000,
      user: opts.maxFailures ?? 5,
      address: opts.maxFailuresPerAddress ?? 50,
    };
    this.local = new LoginRateLimiter(opts);
    this.redis = new Redis(opts.url, {
      lazyConnect: true,
      // A login waits for no reconnection: it takes the local fallback at once.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(times * 200, 5000),
      connectionName: 'mcpd-login-limiter',
    });
    this.redis.on('error', (err: unknown) => this.fellBack(err));
    this.connecting = this.redis.connect().catch((err: unknown) => this.fellBack(err));
  }

  /** A login that arrives while the first connection is being made waits for it (briefly), not the fallback. */
  private async connected(): Promise<void> {
    if (this.connecting === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.connecting, new Promise((r) => (timer = setTimeout(r, FIRST_CONNECT_MS)))]);
    clearTimeout(timer);
    this.connecting = undefined;
  }

  async begin(username: string, address: string): Promise<void> {
    const k = this.keys(username, address);
    await this.connected();
    let wait: number;
    try {
      const l = this.limits;
      wait = Number(
        await this.redis.eval(
          BEGIN,
          4,
          k.user,
          k.address,
          k.userPending,
          k.addressPending,
          l.window,
          l.user,
          l.address,
          PENDING_TTL_MS,
        ),
      );
      this.recovered();
    } catch (err) {
      this.fellBack(err);
      this.local.begin(username, address);
      this.begunLocally.set(k.user, (this.begunLocally.get(k.user) ?? 0) + 1);
      return;
    }
    if (wait > 0) {
      throw new AuthError('MCPD_AUTH_RATE_LIMITED', 'Too many failed logins; try again later', {
        retryAfterSeconds: Math.ceil(wait / 1000),
      });
    }
  }

  async end(username: string, address: string): Promise<void> {
    const k = this.keys(username, address);
    const local = this.begunLocally.get(k.user) ?? 0;
    if (local > 0) {
      if (local === 1) this.begunLocally.delete(k.user);
      else this.begunLocally.set(k.user, local - 1);
      this.local.end(username, address);
      return;
    }
    // Should this fail, the counters expire on their own (PENDING_TTL_MS).
    await this.run(() => this.redis.eval(END, 2, k.userPending, k.addressPending));
  }

  async recordFailure(username: string, address: string): Promise<void> {
    const k = this.keys(username, address);
    // Counted here as well: should Redis go away, the fallback already knows this failure.
    this.local.recordFailure(username, address);
    const l = this.limits;
    await this.run(() =>
      this.redis.eval(FAIL, 2, k.user, k.address, l.window, l.user, l.address, randomUUID()),
    );
  }

  async recordSuccess(username: string, address: string): Promise<void> {
    this.local.recordSuccess(username, address);
    await this.run(() => this.redis.del(this.keys(username, address).user));
  }

  close(): void {
    this.redis.disconnect();
  }

  private async run(step: () => Promise<unknown>): Promise<void> {
    await this.connected();
    try {
      await step();
      this.recovered();
    } catch (err) {
      this.fellBack(err);
    }
  }

  private keys(username: string, address: string) {
    const hash = (s: string) => createHash('sha256').update(s).digest('base64url');
    const user = `${this.opts.prefix}login:u:${hash(`${address}\u0000${username}`)}`;
    const addr = `${this.opts.prefix}login:a:${hash(address)}`;
    return { user, address: addr, userPending: `${user}:p`, addressPending: `${addr}:p` };
  }

  private fellBack(err: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.opts.logger.error(
      { err },
      'login limiter: Redis unreachable; counting failed logins on this instance only',
    );
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.opts.logger.info('login limiter: Redis is back; counts are shared again');
  }
}
