/**
 * `new Date().toISOString()`, made once per millisecond: every call record takes two timestamps, and under load many
 * records share a millisecond.
 */
let lastMs = -1;
let lastIso = '';

export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
