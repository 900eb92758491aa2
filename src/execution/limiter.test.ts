import { describe, expect, it } from 'vitest';
import { McpError } from '../protocol/errors.js';
import { Deadline } from './deadline.js';
import { EndpointLimiter, SERVER_BUSY } from './limiter.js';

const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { open, opened };
};

describe('EndpointLimiter', () => {
  it('runs up to the limit, queues the next, refuses beyond the queue, per endpoint', async () => {
    const limiter = new EndpointLimiter(1, 1);
    const order: string[] = [];
    const g1 = gate();
    const first = limiter.run('a', async () => {
      order.push('first');
      await g1.opened;
      return 1;
    });
    const second = limiter.run('a', async () => {
      order.push('second');
      return 2;
    });
    const refused = limiter.run('a', async () => 3);
    await expect(refused).rejects.toMatchObject({ code: SERVER_BUSY, data: { retryAfterSeconds: 1 } });
    await expect(refused).rejects.toBeInstanceOf(McpError);
    expect(await limiter.run('b', async () => 'other endpoint')).toBe('other endpoint');
    expect(limiter.load('a')).toBe(2);
    expect(order).toEqual(['first']);
    g1.open();
    expect(await first).toBe(1);
    expect(await second).toBe(2);
    expect(order).toEqual(['first', 'second']);
    expect(limiter.load('a')).toBe(0);
  });

  it('frees the slot when the call throws, synchronously or not', async () => {
    const limiter = new EndpointLimiter(1, 0);
    await expect(
      limiter.run('a', () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    await expect(limiter.run('a', () => Promise.reject(new Error('async')))).rejects.toThrow('async');
    expect(await limiter.run('a', async () => 'free again')).toBe('free again');
  });
});

describe('Deadline', () => {
  it('expires after its budget, not counting paused time', async () => {
    let expired = 0;
    const d = new Deadline(40, () => {
      expired += 1;
    });
    d.pause();
    d.pause();
    await new Promise((r) => setTimeout(r, 80));
    d.resume();
    expect(expired).toBe(0);
    d.resume();
    await new Promise((r) => setTimeout(r, 80));
    expect(expired).toBe(1);
    d.pause();
    d.resume();
    d.clear();
  });
});
