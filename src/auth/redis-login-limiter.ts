/**
 * The login brake shared by every instance through Redis: failures are sorted sets of times per (username,
 * address) and per address, attempts under way are counters, and each step is one Lua script, so the check and the
 * count are atomic across instances. Times come from Redis (`TIME`), so instances' clocks need not agree. Keys hold
 * hashes, never usernames or addresses.
 *
 * Redis being unreachable never opens the gate: the instance falls back to its own in-process counts (the limits
 * still hold per instance) and logs it once, until Redis answers again.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
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
  /** An attempt under way is forgotten after this long, should its `end` never come (default 60 s). */
  readonly pendingTtlMs?: number;
  /**
   * A secret the instances share (one from their configuration), keyed into the hashes: without it, someone who can
   * read Redis finds which addresses tried to log in by hashing every IPv4 address, a few minutes' work.
   */
  readonly keySecret?: string;
}

/** Marks an attempt begun on the local fallback. */
const LOCAL = 'local';

/** How long a login waits for the first connection before counting on this instance alone. */
const FIRST_CONNECT_MS = 1000;

// KEYS: user failures, address failures, user attempts under way, address attempts under way. ARGV: window, user
// limit, address limit, pending TTL, this attempt's id. Attempts under way are sorted sets of ids scored by when
// they expire, so an attempt whose `end` never came (a crash, a Redis blip) drops out on its own, even on a busy key.
// Returns 0 (allowed, and counted as under way) or the ms to wait.
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
  else
    redis.call('ZREMRANGEBYSCORE', KEYS[i + 2], '-inf', now)
    if n + redis.call('ZCARD', KEYS[i + 2]) >= limit then wait = math.max(wait, 1000) end
  end
end
if wait > 0 then return wait end
for i = 3, 4 do
  redis.call('ZADD', KEYS[i], now + tonumber(ARGV[4]), ARGV[5])
  redis.call('PEXPIRE', KEYS[i], ARGV[4])
end
return 0
`;

// KEYS: user attempts under way, address attempts under way. ARGV: the attempt's id.
const END = `
for i = 1, 2 do redis.call('ZREM', KEYS[i], ARGV[1]) end
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
  /** Attempts under way by user key: where each began (an id in Redis, or `local` on the fallback), oldest first. */
  private readonly underWay = new Map<string, string[]>();
  private failing = false;
  private connecting: Promise<void> | undefined;

  /** The HMAC key of the hashes, derived from `keySecret` for this use only. */
  private readonly hashKey: Buffer | undefined;

  constructor(private readonly opts: RedisLoginLimiterOptions) {
    this.hashKey =
      opts.keySecret === undefined
        ? undefined
        : createHash('sha256').update(`mcpd login brake\u0000${opts.keySecret}`).digest();
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
      // A Redis that stalls (a long script, a half-open connection) must not hold logins: they fall back.
      commandTimeout: 500,
      keepAlive: 10_000,
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
    const id = randomUUID();
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
          this.opts.pendingTtlMs ?? 60_000,
          id,
        ),
      );
      this.recovered();
    } catch (err) {
      this.fellBack(err);
      this.local.begin(username, address);
      this.track(k.user, LOCAL);
      return;
    }
    if (wait > 0) {
      throw new AuthError('MCPD_AUTH_RATE_LIMITED', 'Too many failed logins; try again later', {
        retryAfterSeconds: Math.ceil(wait / 1000),
      });
    }
    this.track(k.user, id);
  }

  async end(username: string, address: string): Promise<void> {
    const k = this.keys(username, address);
    const ids = this.underWay.get(k.user);
    const id = ids?.shift();
    if (ids?.length === 0) this.underWay.delete(k.user);
    if (id === undefined) return;
    if (id === LOCAL) return this.local.end(username, address);
    // Should this fail, the attempt drops out of the count on its own (`pendingTtlMs`).
    await this.run(() => this.redis.eval(END, 2, k.userPending, k.addressPending, id));
  }

  private track(userKey: string, id: string): void {
    const ids = this.underWay.get(userKey);
    if (ids) ids.push(id);
    else this.underWay.set(userKey, [id]);
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

  /**
   * The keys of a (username, address) pair. Hashes only, never the names; all in one Redis Cluster slot (the hash
   * tag is the address's), since every script touches both the username's and the address's keys.
   */
  private keys(username: string, address: string) {
    const key = this.hashKey;
    const hash = (s: string) =>
      (key ? createHmac('sha256', key) : createHash('sha256')).update(s).digest('base64url');
    const tag = `${this.opts.prefix}login:{${hash(address)}}`;
    const user = `${tag}:u:${hash(`${address}\u0000${username}`)}`;
    const addr = `${tag}:a`;
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
