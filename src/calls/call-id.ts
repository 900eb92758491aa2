/**
 * Call record ids: UUID version 7 (RFC 9562), a millisecond timestamp then random bits. Ids sort by time, so new
 * records land at the end of every index instead of at random places (cheaper writes), and a partition's calls list
 * in the order they were made.
 */
import { randomUUID } from 'node:crypto';

export function callId(now = Date.now()): string {
  const random = randomUUID(); // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx: keep its variant and random bits
  const ms = now.toString(16).padStart(12, '0');
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7${random.slice(15)}`;
}
