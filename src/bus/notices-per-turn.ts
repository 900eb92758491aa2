/**
 * The notifications bundle code asks for, passed on to the bus at most once each per turn of the event loop, and at
 * most `max` different ones per turn: tenant code calling `ctx.resourceUpdated` in a loop sends one message to the
 * other instances, not thousands, on the channel every tenant shares. Local sessions hear every call as before.
 */
import type { EndpointNotice } from './index.js';

const keyOf = (n: EndpointNotice): string =>
  'listChanged' in n
    ? `${n.endpointId}\u0000l\u0000${n.listChanged}`
    : `${n.endpointId}\u0000r\u0000${n.resourceUpdated}`;

export function noticesPerTurn(
  publish: (notice: EndpointNotice) => void,
  max = 100,
): (notice: EndpointNotice) => void {
  let pending: Map<string, EndpointNotice> | undefined;
  return (notice) => {
    if (!pending) {
      const batch = (pending = new Map());
      setImmediate(() => {
        pending = undefined;
        for (const n of batch.values()) publish(n);
      });
    }
    if (pending.size < max) pending.set(keyOf(notice), notice);
  };
}
