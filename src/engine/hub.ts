/**
 * Live sessions per endpoint, so that endpoint-wide events (list_changed, resource updates)
 * reach every connected client of that endpoint and no other.
 */
import type { JsonRpcNotification } from '../protocol/jsonrpc.js';
import type { Session } from './session.js';

export class SessionHub {
  private readonly byEndpoint = new Map<string, Set<Session>>();

  add(session: Session): void {
    let set = this.byEndpoint.get(session.endpointId);
    if (!set) {
      set = new Set();
      this.byEndpoint.set(session.endpointId, set);
    }
    set.add(session);
  }

  remove(session: Session): void {
    const set = this.byEndpoint.get(session.endpointId);
    if (!set) return;
    set.delete(session);
    if (set.size === 0) this.byEndpoint.delete(session.endpointId);
  }

  sessions(endpointId: string): Iterable<Session> {
    return this.byEndpoint.get(endpointId) ?? [];
  }

  count(): number {
    let n = 0;
    for (const s of this.byEndpoint.values()) n += s.size;
    return n;
  }

  /** Sends a notification to every initialized session of an endpoint, optionally filtered. */
  broadcast(endpointId: string, message: JsonRpcNotification, filter?: (s: Session) => boolean): void {
    for (const s of this.sessions(endpointId)) {
      if (s.initialized && (!filter || filter(s))) s.notifier?.(message);
    }
  }
}
