/**
 * Call record ids: UUID version 7 (RFC 9562), a millisecond timestamp then random bits. Ids sort by time, so new
 * records land at the end of every index instead of at random places (cheaper writes), and a partition's calls list
 * in the order they were made. The timestamp part is made once per millisecond: under load many calls share one.
 */
import { randomUUID } from 'node:crypto';

let lastMs = -1;
let prefix = '';

export function callId(now = Date.now()): string {
  if (now !== lastMs) {
    lastMs = now;
    const ms = now.toString(16).padStart(12, '0');
    prefix = `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7`;
  }
  // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx: keep its variant and random bits
  return prefix + randomUUID().slice(15);
}
