/**
 * The contract every LoginLimiter adapter meets, on the real clock (rate-limit.test.ts, redis-login-limiter.test.ts).
 * `make` builds a limiter with the given limits; each test uses fresh usernames and addresses.
 */
import { describe, expect, it } from 'vitest';
import type { LoginLimiter, LoginLimits } from './login-limiter.js';

let n = 0;
/** A fresh username and address, so tests sharing a Redis never see each other's counts. */
export const fresh = () => {
  n++;
  return { user: `user-${process.pid}-${n}`, ip: `10.${n % 250}.${process.pid % 250}.${n % 200}` };
};

/** What an attempt was refused with (sync or async adapters alike), or `{}` when it was allowed. */
export async function refusal(
  step: () => void | Promise<void>,
): Promise<{ code?: string; retryAfterSeconds?: number }> {
  try {
    await step();
  } catch (err) {
    return err as { code?: string; retryAfterSeconds?: number };
  }
  return {};
}

export function loginLimiterContract(name: string, make: (limits: LoginLimits) => LoginLimiter): void {
  describe(`login limiter contract: ${name}`, () => {
    const attempt = async (l: LoginLimiter, user: string, ip: string, ok: boolean) => {
      await l.begin(user, ip);
      await l.end(user, ip);
      await (ok ? l.recordSuccess(user, ip) : l.recordFailure(user, ip));
    };

    it('refuses a username from an address after its failures, saying when to retry; others still pass', async () => {
      const l = make({ maxFailures: 3, windowMs: 60_000 });
      const { user, ip } = fresh();
      for (let i = 0; i < 3; i++) await attempt(l, user, ip, false);
      const refused = await refusal(() => l.begin(user, ip));
      expect(refused.code).toBe('MCPD_AUTH_RATE_LIMITED');
      expect(refused.retryAfterSeconds).toBeGreaterThan(55);
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
      expect(await refusal(() => l.begin(user, `${ip}9`))).toEqual({});
      expect(await refusal(() => l.begin(`${user}-other`, ip))).toEqual({});
    });

    it('forgets a username’s failures after it logs in', async () => {
      const l = make({ maxFailures: 2, windowMs: 60_000 });
      const { user, ip } = fresh();
      await attempt(l, user, ip, false);
      await attempt(l, user, ip, true);
      await attempt(l, user, ip, false);
      expect(await refusal(() => l.begin(user, ip))).toEqual({});
      await l.end(user, ip);
      await l.recordFailure(user, ip);
      expect((await refusal(() => l.begin(user, ip))).code).toBe('MCPD_AUTH_RATE_LIMITED');
    });

    it('limits one address across usernames', async () => {
      const l = make({ maxFailures: 10, maxFailuresPerAddress: 3, windowMs: 60_000 });
      const { user, ip } = fresh();
      for (const u of ['a', 'b', 'c']) await attempt(l, `${user}${u}`, ip, false);
      expect((await refusal(() => l.begin(`${user}d`, ip))).code).toBe('MCPD_AUTH_RATE_LIMITED');
    });

    it('counts attempts under way, so parallel guesses cannot all pass', async () => {
      const l = make({ maxFailures: 2, windowMs: 60_000 });
      const { user, ip } = fresh();
      await l.begin(user, ip);
      await l.begin(user, ip);
      const refused = await refusal(() => l.begin(user, ip));
      expect(refused).toMatchObject({ code: 'MCPD_AUTH_RATE_LIMITED', retryAfterSeconds: 1 });
      await l.end(user, ip);
      expect(await refusal(() => l.begin(user, ip))).toEqual({});
    });

    it('lets a username try again once its failures leave the window', async () => {
      const l = make({ maxFailures: 1, windowMs: 300 });
      const { user, ip } = fresh();
      await attempt(l, user, ip, false);
      expect((await refusal(() => l.begin(user, ip))).code).toBe('MCPD_AUTH_RATE_LIMITED');
      await new Promise((r) => setTimeout(r, 350));
      expect(await refusal(() => l.begin(user, ip))).toEqual({});
    });
  });
}
