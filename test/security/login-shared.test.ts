/**
 * The login brake across instances: two daemons sharing a Redis count failed logins together, so a guesser who
 * spreads attempts over a load balancer's instances gets no more tries than against one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningRedis, redisUnavailable, startRedis } from '../helpers/redis.js';
import {
  http,
  JWT_SECRET,
  passwordOf,
  type SecureDaemon,
  startSecureDaemon,
  writeUserFile,
} from './support.js';

const unavailable = redisUnavailable();

describe.skipIf(unavailable)(
  `logins on two instances sharing Redis${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    let redis: RunningRedis;
    let a: SecureDaemon;
    let b: SecureDaemon;
    let dir: string;
    beforeAll(async () => {
      redis = await startRedis();
      dir = mkdtempSync(join(tmpdir(), 'mcpd-login-shared-'));
      const env = {
        AUTH_PROVIDER: 'local',
        JWT_SECRET_KEY: JWT_SECRET,
        LOCAL_USER_FILE: await writeUserFile(dir),
        MCPD_REDIS_URL: redis.url,
        MCPD_REDIS_PREFIX: `mcpd-login-${process.pid}:`,
      };
      [a, b] = await Promise.all([startSecureDaemon(env), startSecureDaemon(env)]);
    });
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
      await redis?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const login = (d: SecureDaemon, username: string, password: string) =>
      http(`${d.url}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });

    it('counts failures made on either instance, and refuses on both', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await login(i % 2 ? b : a, 'frank', `wrong-${i}`)).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401]);
      for (const d of [a, b]) {
        const r = await login(d, 'frank', passwordOf('frank'));
        expect(r.status).toBe(429);
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      // Another user is not held back.
      expect((await login(b, 'erin', passwordOf('erin'))).status).toBe(200);
    });
  },
);
