/**
 * The Redis bus against a real redis-server (test/helpers/redis.ts): the bus contract, then what pub/sub alone
 * would get wrong: messages from strangers, other prefixes, and a Redis that goes away and comes back.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRedisServer, type RunningRedis, redisUnavailable, startRedis } from '../../test/helpers/redis.js';
import { createLineLogger, silentLogger } from '../observability/logger.js';
import { busContract, eventually, Heard } from './contract.js';
import { RedisBus } from './redis.js';

const unavailable = redisUnavailable();
// A server at REDIS_URL cannot be stopped by the tests.
const outages = hasRedisServer() ? '' : ' (skipped: Redis at REDIS_URL, which the tests cannot stop)';

describe.skipIf(unavailable)(`Redis bus${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let redis: RunningRedis;
  let n = 0;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.close());

  // A prefix per test: runs never hear each other, even on a shared REDIS_URL.
  const prefix = () => `mcpd-test-${process.pid}-${++n}:`;
  const bus = (p: string) => new RedisBus({ url: redis.url, prefix: p, logger: silentLogger });

  busContract('redis', () => {
    const p = prefix();
    return Promise.resolve([bus(p), bus(p), bus(p)]);
  });

  it('ignores messages it did not send: malformed, oversized, or naming no valid partition', async () => {
    const p = prefix();
    const a = bus(p);
    const heard = new Heard();
    await a.subscribe(heard);
    const raw = new Redis(redis.url);
    try {
      for (const m of [
        'not json',
        '{"v":2,"origin":"x","partition":"t"}',
        '{"v":1,"origin":"x","partition":"../etc"}',
        '{"v":1,"partition":"t"}',
        JSON.stringify({ v: 1, origin: 'x', partition: 'a'.repeat(2000) }),
        // Task cancellations naming no valid endpoint, no task, or a task id too long to be one.
        JSON.stringify({ v: 1, origin: 'x', task: { endpointId: '../etc', taskId: 't', owner: 'u' } }),
        JSON.stringify({ v: 1, origin: 'x', task: { endpointId: 'e', taskId: '', owner: 'u' } }),
        JSON.stringify({ v: 1, origin: 'x', task: { endpointId: 'e', taskId: 't'.repeat(300), owner: 'u' } }),
        JSON.stringify({ v: 1, origin: 'x', task: { endpointId: 'e', taskId: 't' } }),
        JSON.stringify({ v: 1, origin: 'x', task: 'e/t' }),
        // Notices for no list, an empty or oversized URI, or no valid endpoint.
        JSON.stringify({ v: 1, origin: 'x', notice: { endpointId: 'e', listChanged: 'users' } }),
        JSON.stringify({ v: 1, origin: 'x', notice: { endpointId: 'e', resourceUpdated: '' } }),
        JSON.stringify({ v: 1, origin: 'x', notice: { endpointId: 'e', resourceUpdated: 'u'.repeat(3000) } }),
        JSON.stringify({ v: 1, origin: 'x', notice: { endpointId: '../e', listChanged: 'tools' } }),
        JSON.stringify({ v: 1, origin: 'x', notice: null }),
      ])
        await raw.publish(`${p}registry`, m);
      await raw.publish(`${p}registry`, '{"v":1,"origin":"x","partition":"good#one"}');
      await raw.publish(
        `${p}registry`,
        JSON.stringify({
          v: 1,
          origin: 'x',
          task: { endpointId: 'good', taskId: 't1', owner: 'u', extra: 1 },
        }),
      );
      await raw.publish(
        `${p}registry`,
        JSON.stringify({
          v: 1,
          origin: 'x',
          notice: { endpointId: 'good', resourceUpdated: 'file:///a b', x: 1 },
        }),
      );
      await eventually(
        () => heard.changes.length === 1 && heard.cancels.length === 1 && heard.notices.length === 1,
        'the valid messages',
      );
      expect(heard.changes).toEqual(['good#one']);
      expect(heard.cancels).toEqual([{ endpointId: 'good', taskId: 't1', owner: 'u' }]);
      expect(heard.notices).toEqual([{ endpointId: 'good', resourceUpdated: 'file:///a b' }]);
      expect(a.stats.failures).toBe(15);
      expect(a.stats.received).toBe(3);
      // A notice with a URI too long to send is not sent at all (the next one is).
      const other = bus(p);
      const heardByOther = new Heard();
      await other.subscribe(heardByOther);
      a.publishNotice({ endpointId: 'good', resourceUpdated: 'u'.repeat(3000) });
      a.publishNotice({ endpointId: 'good', listChanged: 'prompts' });
      await eventually(() => heardByOther.notices.length === 1, 'the sendable notice');
      expect(heardByOther.notices).toEqual([{ endpointId: 'good', listChanged: 'prompts' }]);
      expect(a.stats.published).toBe(1);
      // Nor a cancellation naming an owner too long, nor a message too long once escaped: counted, not sent.
      const before = a.stats.failures;
      a.publishTaskCancel({ endpointId: 'good', taskId: 't2', owner: 'o'.repeat(2000) });
      a.publishNotice({ endpointId: 'good', resourceUpdated: '"'.repeat(2048) });
      expect(a.stats.failures).toBe(before + 2);
      await new Promise((r) => setTimeout(r, 50));
      expect(a.stats.published).toBe(1);
      expect(heardByOther.cancels).toEqual([]);
      await other.close();
    } finally {
      raw.disconnect();
      await a.close();
    }
  });

  it('keeps and counts a change Redis refuses, sends it once Redis accepts it, and reports a refused subscription', async () => {
    const raw = new Redis(redis.url);
    const user = `mcpd-test-${process.pid}`;
    await raw.call('ACL', 'SETUSER', user, 'on', '>secret-pw', '~*', '&*', '+@all', '-publish', '-subscribe');
    const url = new URL(redis.url);
    url.username = user;
    url.password = 'secret-pw';
    const logs: string[] = [];
    const logger = createLineLogger('info', (line) => logs.push(line));
    const p = prefix();
    const limited = new RedisBus({ url: url.toString(), prefix: p, logger, retryMs: 50 });
    const listener = bus(p);
    const heard = new Heard();
    await listener.subscribe(heard);
    try {
      await limited.subscribe(new Heard());
      expect(limited.connected).toBe(false);
      limited.publishRegistryChange('tenant1');
      limited.publishTaskCancel({ endpointId: 'tenant1', taskId: 't1', owner: 'u' });
      await eventually(() => limited.stats.failures >= 2, 'the refused publishes to be counted');
      const failures = limited.stats.failures;
      // A notice refused is counted and logged, and dropped: it is not sent later.
      limited.publishNotice({ endpointId: 'tenant1', listChanged: 'tools' });
      await eventually(() => limited.stats.failures > failures, 'the refused notice to be counted');
      expect(logs.join('\n')).toMatch(/could not pass a notification on/);
      expect(limited.stats.published).toBe(0);
      expect(logs.join('\n')).toMatch(/could not tell other instances/);
      expect(logs.join('\n')).toMatch(/could not pass a task cancellation on/);
      expect(logs.join('\n')).not.toContain('secret-pw');
      // Once Redis accepts it, the kept change goes out on its own: no reconnection is needed.
      await raw.call('ACL', 'SETUSER', user, '+publish');
      await eventually(() => heard.changes.includes('tenant1'), 'the kept change');
      await eventually(() => heard.cancels.length === 1, 'the kept cancellation');
      expect(heard.cancels).toEqual([{ endpointId: 'tenant1', taskId: 't1', owner: 'u' }]);
      expect(limited.stats.published).toBe(2);
      expect(heard.notices).toEqual([]);
    } finally {
      await Promise.all([limited.close(), listener.close()]);
      await raw.call('ACL', 'DELUSER', user);
      raw.disconnect();
    }
  });

  it('instances with another prefix do not hear each other', async () => {
    const [a, b] = [bus(prefix()), bus(prefix())];
    const heard = new Heard();
    await Promise.all([a.subscribe(new Heard()), b.subscribe(heard)]);
    a.publishRegistryChange('tenant1');
    await eventually(() => a.stats.published === 1, 'the publish');
    await new Promise((r) => setTimeout(r, 100));
    expect(heard.changes).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });

  it.skipIf(outages !== '')(
    `when Redis goes away and comes back: a change made meanwhile is sent, and listeners resync${outages}`,
    async () => {
      const p = prefix();
      const [a, b] = [bus(p), bus(p)];
      const [ha, hb] = [new Heard(), new Heard()];
      await Promise.all([a.subscribe(ha), b.subscribe(hb)]);
      await redis.stop();
      await eventually(() => !a.connected && !b.connected, 'both to notice');
      // A change and a task cancellation during the outage: the daemon is not held up, and the messages are kept.
      a.publishRegistryChange('tenant1');
      a.publishTaskCancel({ endpointId: 'tenant1', taskId: 't-outage', owner: 'u' });
      // At once when A's publishing connection already knows Redis is gone; when only its subscription noticed so
      // far, once the publish itself fails.
      await eventually(() => a.stats.failures > 0, 'the failed send to be counted');
      await redis.start();
      await eventually(() => a.connected && b.connected, 'both to reconnect', 15_000);
      // The kept change goes out once A's connection is back. Whether B was subscribed again by then depends on
      // which connection came back first; either way B converges, because it re-reads what it serves.
      await eventually(() => a.stats.published === 2, 'the kept change and cancellation to be sent', 15_000);
      await eventually(() => ha.resyncs === 1 && hb.resyncs === 1, 'a resync on each');
      // And messages flow again.
      a.publishRegistryChange('tenant2');
      await eventually(() => hb.changes.includes('tenant2'), 'a change after the outage');
      expect(b.stats.resyncs).toBe(1);
      await Promise.all([a.close(), b.close()]);
    },
    30_000,
  );

  it.skipIf(outages !== '')(
    `a Redis that is down at start does not stop the instance; messages flow once it is up${outages}`,
    async () => {
      await redis.stop();
      const p = prefix();
      const [a, b] = [bus(p), bus(p)];
      const hb = new Heard();
      await Promise.all([a.subscribe(new Heard()), b.subscribe(hb)]);
      expect(b.connected).toBe(false);
      await redis.start();
      await eventually(() => a.connected && b.connected, 'both to connect', 15_000);
      // What was changed before it connected is read again.
      await eventually(() => hb.resyncs === 1, 'a resync once connected');
      a.publishRegistryChange('tenant9');
      await eventually(() => hb.changes.includes('tenant9'), 'the change', 15_000);
      await Promise.all([a.close(), b.close()]);
    },
    30_000,
  );
});
