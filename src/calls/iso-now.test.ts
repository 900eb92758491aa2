import { afterEach, describe, expect, it, vi } from 'vitest';
import { isoNow } from './iso-now.js';

describe('isoNow', () => {
  afterEach(() => vi.useRealTimers());

  it('is the ISO time of the current millisecond, and follows the clock', () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 10, 24, 11, 0, 0, 5) });
    expect(isoNow()).toBe('2026-11-24T11:00:00.005Z');
    expect(isoNow()).toBe('2026-11-24T11:00:00.005Z');
    vi.setSystemTime(Date.UTC(2026, 10, 24, 11, 0, 0, 6));
    expect(isoNow()).toBe('2026-11-24T11:00:00.006Z');
  });
});
