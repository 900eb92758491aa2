import { describe, expect, it } from 'vitest';
import { type RunningCall, RunningCalls } from './running-calls.js';

const call = (uuid: string, t0: number): RunningCall => ({ uuid, t0, prev: null, next: null, linked: false });
const uuids = (calls: Iterable<RunningCall>) => [...calls].map((c) => c.uuid);

describe('RunningCalls', () => {
  it('keeps calls oldest first, finds them, and unlinks an ended call completely', () => {
    const list = new RunningCalls<RunningCall>();
    const [a, b, c] = [call('a', 1), call('b', 2), call('c', 3)];
    for (const x of [a, b, c]) list.add(x, false);
    expect(list.find('b')).toBe(b);
    expect(list.remove(b)).toBe(true);
    expect(b).toMatchObject({ prev: null, next: null, linked: false });
    expect(list.remove(b)).toBe(false);
    expect(list.find('b')).toBeUndefined();
    expect(list.remove(a)).toBe(true); // the head
    expect(list.remove(c)).toBe(true); // the tail, now alone
    expect(list.drain()).toEqual([]);
    list.add(b, false);
    expect(uuids(list.drain())).toEqual(['b']);
  });

  it('hands out deferred calls once each, in order, up to the cutoff, skipping ended ones', () => {
    const list = new RunningCalls<RunningCall>();
    const calls = [call('a', 10), call('b', 20), call('c', 30), call('d', 40)];
    for (const x of calls) list.add(x, true);
    expect(list.nextDeferred).toBe(10);
    list.remove(calls[0]!); // ended before it was due: the cursor moves on
    expect(list.nextDeferred).toBe(20);
    expect(uuids(list.due(30))).toEqual(['b', 'c']);
    expect(uuids(list.due(30))).toEqual([]);
    expect(list.nextDeferred).toBe(40);
    list.remove(calls[3]!); // the last deferred one ends: nothing is waiting
    expect(list.nextDeferred).toBeUndefined();
    const e = call('e', 50);
    list.add(e, true);
    expect(list.nextDeferred).toBe(50);
    expect(uuids(list.drain())).toEqual(['b', 'c', 'e']);
    expect(list.nextDeferred).toBeUndefined();
    expect(e.linked).toBe(false);
  });

  it('never defers a call added as written at once', () => {
    const list = new RunningCalls<RunningCall>();
    list.add(call('a', 1), false);
    expect(list.nextDeferred).toBeUndefined();
    expect(uuids(list.due(Number.POSITIVE_INFINITY))).toEqual([]);
  });
});
