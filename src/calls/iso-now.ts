/**
 * Timestamps of call records. `new Date().toISOString()` is made once per millisecond (under load many records share
 * one), and the wall clock is read from the monotonic one the recorder reads anyway for a call's duration: `Date.now()`
 * is a call into the runtime each time, three per recorded call. The offset between the two clocks is taken again
 * every second, so adjustments of the wall clock are followed within a second.
 */
let lastMs = -1;
let lastIso = '';
let offset = 0;
let syncedAt = Number.NEGATIVE_INFINITY;

/** The wall-clock millisecond of a `performance.now()` reading. */
export function wallMs(perfNow: number): number {
  if (perfNow - syncedAt >= 1000 || perfNow < syncedAt) {
    offset = Date.now() - perfNow;
    syncedAt = perfNow;
  }
  return Math.floor(offset + perfNow);
}

/** The ISO form of a wall-clock millisecond. */
export function isoAt(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

export function isoNow(): string {
  return isoAt(Date.now());
}
