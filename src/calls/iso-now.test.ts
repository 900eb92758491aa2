import { afterEach, describe, expect, it, vi } from 'vitest';
import { isoAt, isoNow, wallMs } from './iso-now.js';

describe('isoNow', () => {
  afterEach(() => vi.useRealTimers());

  it('is the ISO time of the current millisecond, and follows the clock', () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 10, 24, 11, 0, 0, 5) });
    expect(isoNow()).toBe('2026-11-24T11:00:00.005Z');
    expect(isoNow()).toBe('2026-11-24T11:00:00.005Z');
    vi.setSystemTime(Date.UTC(2026, 10, 24, 11, 0, 0, 6));
    expect(isoNow()).toBe('2026-11-24T11:00:00.006Z');
    expect(isoAt(Date.UTC(2026, 10, 24, 11, 0, 1, 0))).toBe('2026-11-24T11:00:01.000Z');
  });

  it('reads the wall clock from the monotonic one, and takes their offset again every second', () => {
    const t = Date.UTC(2026, 10, 24, 12, 0, 0, 0);
    vi.useFakeTimers({ now: t, toFake: ['Date'] });
    const base = 1_000_000; // a performance.now() reading, ahead of any offset taken before
    expect(wallMs(base)).toBe(t);
    expect(wallMs(base + 250.7)).toBe(t + 250);
    // The wall clock is set 10 s ahead: followed once a second has passed on the monotonic clock.
    vi.setSystemTime(t + 10_000);
    expect(wallMs(base + 500)).toBe(t + 500);
    expect(wallMs(base + 1000)).toBe(t + 10_000);
    expect(wallMs(base + 1400.2)).toBe(t + 10_400);
    // A reading older than the last sync (another clock origin) takes the offset again.
    vi.setSystemTime(t + 20_000);
    expect(wallMs(5)).toBe(t + 20_000);
  });
});
