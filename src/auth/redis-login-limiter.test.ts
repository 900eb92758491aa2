/**
 * The shared login brake against a real redis-server (test/helpers/redis.ts): the limiter contract, counts shared
 * between instances, no usernames in Redis, and a Redis that goes away (the instance keeps its own counts).
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedisServer, type RunningRedis, redisUnavailable, startRedis } from '../../test/helpers/redis.js';
import { createLineLogger } from '../observability/logger.js';
import { fresh, loginLimiterContract, refusal } from './login-limiter.contract.js';
import type { LoginLimits } from './login-limiter.js';
import { RedisLoginLimiter } from './redis-login-limiter.js';

const unavailable = redisUnavailable();
const outages = hasRedisServer() ? '' : ' (skipped: Redis at REDIS_URL, which the tests cannot stop)';

describe.skipIf(unavailable)(`Redis login limiter${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let redis: RunningRedis;
  const made: RedisLoginLimiter[] = [];
  const prefix = `mcpd-test-${process.pid}:`;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const l of made) l.close();
    await redis?.close();
  });
  const make = (limits: LoginLimits & { pendingTtlMs?: number; keySecret?: string }, logs: string[] = []) => {
    const logger = createLineLogger('info', (line) => logs.push(line));
    const l = new RedisLoginLimiter({ ...limits, url: redis.url, prefix, logger });
    made.push(l);
    return l;
  };

  loginLimiterContract('redis', (limits) => make(limits));

  it('shares counts between instances: failures on one refuse on the other', async () => {
    const [a, b] = [make({ maxFailures: 2 }), make({ maxFailures: 2 })];
    const { user, ip } = fresh();
    await a.recordFailure(user, ip);
    await b.recordFailure(user, ip);
    expect((await refusal(() => a.begin(user, ip))).code).toBe('MCPD_AUTH_RATE_LIMITED');
    // And an attempt under way on one counts on the other.
    const other = fresh();
    const [c, d] = [make({ maxFailures: 1 }), make({ maxFailures: 1 })];
    await c.begin(other.user, other.ip);
    expect((await refusal(() => d.begin(other.user, other.ip))).retryAfterSeconds).toBe(1);
    await c.end(other.user, other.ip);
    expect(await refusal(() => d.begin(other.user, other.ip))).toEqual({});
  });

  it('forgets an attempt whose end never came, even while the key stays busy', async () => {
    const [lost, busy] = [
      make({ maxFailures: 2, pendingTtlMs: 300 }),
      make({ maxFailures: 2, pendingTtlMs: 300 }),
    ];
    const { user, ip } = fresh();
    await lost.begin(user, ip); // its instance dies before `end`
    await new Promise((r) => setTimeout(r, 150));
    await busy.begin(user, ip);
    await busy.end(user, ip);
    await new Promise((r) => setTimeout(r, 200));
    // The lost attempt has expired: two attempts may be under way again, not a third.
    await busy.begin(user, ip);
    await busy.begin(user, ip);
    expect((await refusal(() => busy.begin(user, ip))).retryAfterSeconds).toBe(1);
  });

  it('keeps hashes in Redis, never usernames or addresses', async () => {
    const l = make({});
    await l.recordFailure('alice@example.com', '192.0.2.7');
    const raw = new Redis(redis.url);
    try {
      const keys = await raw.keys(`${prefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.join(' ')).not.toMatch(/alice|192\.0\.2\.7/);
    } finally {
      raw.disconnect();
    }
  });

  it('with a shared secret, keys cannot be found by hashing addresses, and only instances sharing it share counts', async () => {
    const secret = 'a-secret-the-instances-share-0123456789';
    const [a, b] = [make({ maxFailures: 1, keySecret: secret }), make({ maxFailures: 1, keySecret: secret })];
    const stranger = make({ maxFailures: 1, keySecret: 'another-secret-entirely-0123456789abcdef' });
    const ip = '198.51.100.23';
    await a.recordFailure('bob', ip);
    expect((await refusal(() => b.begin('bob', ip))).code).toBe('MCPD_AUTH_RATE_LIMITED');
    expect(await refusal(() => stranger.begin('bob', ip))).toEqual({});
    await stranger.end('bob', ip);
    const raw = new Redis(redis.url);
    try {
      const keys = (await raw.keys(`${prefix}*`)).join(' ');
      // What a reader of Redis would try: the plain hash of each candidate address.
      const plain = createHash('sha256').update(ip).digest('base64url');
      expect(keys).not.toContain(plain);
      const unkeyed = make({});
      await unkeyed.recordFailure('bob', ip);
      expect((await raw.keys(`${prefix}*`)).join(' ')).toContain(plain);
    } finally {
      raw.disconnect();
    }
  });

  it.skipIf(outages !== '')(
    `without Redis, the instance keeps its own counts, and shares them again once Redis is back${outages}`,
    async () => {
      const logs: string[] = [];
      const l = make({ maxFailures: 2 }, logs);
      const { user, ip } = fresh();
      await l.recordFailure(user, ip);
      await redis.stop();
      try {
        // An attempt begun and ended while Redis is away, then a failure: the local counts hold the limit.
        await l.begin(user, ip);
        await l.end(user, ip);
        await l.recordFailure(user, ip);
        expect((await refusal(() => l.begin(user, ip))).code).toBe('MCPD_AUTH_RATE_LIMITED');
        await l.recordSuccess(user, ip);
        expect(logs.filter((line) => line.includes('Redis unreachable'))).toHaveLength(1);
      } finally {
        await redis.start();
      }
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && !logs.some((line) => line.includes('Redis is back'))) {
        await l.begin(user, ip).then(
          () => l.end(user, ip),
          () => undefined,
        );
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(logs.some((line) => line.includes('Redis is back'))).toBe(true);
    },
    30_000,
  );

  it.skipIf(outages !== '')(
    `started while Redis is down, it counts on this instance from the first login${outages}`,
    async () => {
      await redis.stop();
      try {
        const logs: string[] = [];
        const l = make({ maxFailures: 2 }, logs);
        const { user, ip } = fresh();
        // Two attempts under way at once, both on the local counts, each ended there.
        await Promise.all([l.begin(user, ip), l.begin(user, ip)]);
        expect((await refusal(() => l.begin(user, ip))).retryAfterSeconds).toBe(1);
        await l.end(user, ip);
        await l.end(user, ip);
        await l.recordFailure(user, ip);
        await l.recordFailure(user, ip);
        expect((await refusal(() => l.begin(user, ip))).code).toBe('MCPD_AUTH_RATE_LIMITED');
        expect(logs.filter((line) => line.includes('Redis unreachable'))).toHaveLength(1);
        // It keeps trying to connect meanwhile.
        await new Promise((r) => setTimeout(r, 500));
      } finally {
        await redis.start();
      }
    },
    30_000,
  );
});
