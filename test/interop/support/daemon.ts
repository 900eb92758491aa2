import type { RunningDaemon } from '../../helpers/daemon.js';

export type { RunningDaemon } from '../../helpers/daemon.js';
export { CONFORMANCE_CONFIG, DEMO_CONFIG, startDaemon } from '../../helpers/daemon.js';

/** Requests the daemon is still running on endpoint `default`, over all sessions. */
export function inflightCount(d: RunningDaemon): () => number {
  return () => {
    let n = 0;
    for (const s of d.daemon.engine.hub.sessions('default')) n += s.inflight?.size ?? 0;
    return n;
  };
}
