import { describe, expect, it } from 'vitest';
import { loginLimiterContract } from './login-limiter.contract.js';
import { LoginRateLimiter } from './rate-limit.js';

describe('LoginRateLimiter', () => {
  it('blocks a username+address after 5 failures in 15 minutes, until the oldest ages out', () => {
    let now = 1_000_000;
    const limiter = new LoginRateLimiter({ now: () => now });
    for (let i = 0; i < 4; i++) {
      expect(limiter.recordFailure('alice', '10.0.0.1')).toEqual({ allowed: true });
      now += 1000;
    }
    expect(limiter.recordFailure('alice', '10.0.0.1')).toEqual({ allowed: false, retryAfterSeconds: 896 });
    expect(limiter.check('alice', '10.0.0.2')).toEqual({ allowed: true });
    expect(limiter.check('bob', '10.0.0.1')).toEqual({ allowed: true });
    expect(() => limiter.assertAllowed('alice', '10.0.0.1')).toThrow(
      expect.objectContaining({ code: 'MCPD_AUTH_RATE_LIMITED', status: 429, retryAfterSeconds: 896 }),
    );
    now += 896_000 - 1;
    expect(limiter.check('alice', '10.0.0.1').allowed).toBe(false);
    now += 1;
    expect(limiter.check('alice', '10.0.0.1')).toEqual({ allowed: true });
    expect(() => limiter.assertAllowed('alice', '10.0.0.1')).not.toThrow();
    expect(limiter.recordFailure('alice', '10.0.0.1').allowed).toBe(false); // 4 still in the window + 1
  });

  it('forgets failures after a successful login', () => {
    const limiter = new LoginRateLimiter({ maxFailures: 2, now: () => 0 });
    limiter.recordFailure('alice', 'ip');
    limiter.recordSuccess('alice', 'ip');
    expect(limiter.recordFailure('alice', 'ip')).toEqual({ allowed: true });
    expect(limiter.recordFailure('alice', 'ip').allowed).toBe(false);
  });

  it('also limits one address across usernames', () => {
    const limiter = new LoginRateLimiter({ maxFailuresPerAddress: 3, windowMs: 60_000, now: () => 5_000 });
    limiter.recordFailure('a', 'ip');
    limiter.recordFailure('b', 'ip');
    expect(limiter.recordFailure('c', 'ip')).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect(limiter.check('d', 'ip').allowed).toBe(false);
    expect(limiter.check('d', 'other-ip').allowed).toBe(true);
  });

  it('stays bounded in memory and drops expired entries', () => {
    let now = 0;
    const limiter = new LoginRateLimiter({ maxEntries: 4, windowMs: 1000, now: () => now });
    for (let i = 0; i < 10; i++) limiter.recordFailure(`user${i}`, `ip${i}`);
    expect(limiter.size).toBe(4);
    now = 500;
    limiter.recordFailure('user9', 'ip9');
    now = 1200;
    expect(limiter.check('user9', 'ip9')).toEqual({ allowed: true });
    expect(limiter.size).toBe(4);
    now = 5000;
    expect(limiter.check('user9', 'ip9')).toEqual({ allowed: true });
    expect(limiter.size).toBe(2);
  });

  it('uses the real clock by default', () => {
    const limiter = new LoginRateLimiter({ maxFailures: 1 });
    const result = limiter.recordFailure('a', 'b');
    expect(result).toEqual({ allowed: false, retryAfterSeconds: 900 });
  });
});

loginLimiterContract('in-process', (limits) => new LoginRateLimiter(limits));
