import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadlineTimer } from './deadline-timer.js';
import { IdleCheck } from './idle-check.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A DeadlineTimer over a set of deadlines, recording when each one was acted on. */
function deadlines() {
  const waiting = new Set<number>();
  const fired: { at: number; now: number }[] = [];
  const timer = new DeadlineTimer((now) => {
    let next = Infinity;
    for (const at of [...waiting]) {
      if (at <= now) {
        waiting.delete(at);
        fired.push({ at, now });
      } else next = Math.min(next, at);
    }
    return next;
  });
  const add = (inMs: number) => {
    const at = performance.now() + inMs;
    waiting.add(at);
    timer.add(at);
    return at;
  };
  return { timer, add, fired, waiting };
}

describe('DeadlineTimer', () => {
  it('acts on each deadline when it comes, earliest first, on one timer', () => {
    const { add, fired } = deadlines();
    const late = add(300);
    const early = add(100);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(99);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired.map((f) => f.at)).toEqual([early]);
    vi.advanceTimersByTime(200);
    expect(fired.map((f) => f.at)).toEqual([early, late]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not move for a later deadline', () => {
    const { add, fired } = deadlines();
    add(100);
    add(500);
    vi.advanceTimersByTime(100);
    expect(fired).toHaveLength(1);
    vi.advanceTimersByTime(400);
    expect(fired).toHaveLength(2);
  });

  it('waits for a deadline beyond what setTimeout can wait (~24.8 days) in steps, without firing early', () => {
    const { add, fired, waiting } = deadlines();
    const days30 = 30 * 24 * 3600 * 1000;
    add(days30);
    vi.advanceTimersByTime(2 ** 31 - 1);
    expect(fired).toEqual([]);
    expect(waiting.size).toBe(1);
    vi.advanceTimersByTime(days30 - (2 ** 31 - 1));
    expect(fired).toHaveLength(1);
  });

  it('stops for good', () => {
    const { timer, add, fired } = deadlines();
    add(10);
    timer.stop();
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('IdleCheck', () => {
  it('calls onIdle once nothing ran for the period, counted from the last start', () => {
    let busy = false;
    const onIdle = vi.fn();
    const check = new IdleCheck(1000, () => busy, onIdle);
    check.start();
    vi.advanceTimersByTime(600);
    check.start(); // another call ended: the period starts again
    vi.advanceTimersByTime(600);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(400);
    expect(onIdle).toHaveBeenCalledTimes(1);
    // Busy when it fires: it waits for the next start.
    check.start();
    busy = true;
    vi.advanceTimersByTime(5000);
    expect(onIdle).toHaveBeenCalledTimes(1);
    busy = false;
    check.start();
    vi.advanceTimersByTime(1000);
    expect(onIdle).toHaveBeenCalledTimes(2);
  });

  it('stops', () => {
    const onIdle = vi.fn();
    const check = new IdleCheck(10, () => false, onIdle);
    check.start();
    check.stop();
    vi.advanceTimersByTime(100);
    expect(onIdle).not.toHaveBeenCalled();
  });
});
