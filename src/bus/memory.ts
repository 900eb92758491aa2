/**
 * A bus between instances that live in one process (tests, an application embedding several daemons): every
 * instance attached to the same hub hears the others, never itself.
 */
import { type Bus, type BusListener, newBusStats } from './index.js';

interface Member {
  listener: BusListener | undefined;
  readonly stats: Bus['stats'];
}

export class MemoryBusHub {
  private readonly members = new Set<Member>();

  /** A new instance's bus on this hub. */
  attach(): Bus {
    const member: Member = {
      listener: undefined,
      stats: newBusStats(),
    };
    this.members.add(member);
    return {
      kind: 'memory',
      stats: member.stats,
      connected: true,
      publishRegistryChange: (partition) => this.send(member, (l) => l.registryChanged(partition)),
      publishTaskCancel: (cancel) => this.send(member, (l) => l.taskCancelled({ ...cancel })),
      publishNotice: (notice) => this.send(member, (l) => l.notice({ ...notice })),
      subscribe: (listener) => {
        member.listener = listener;
        return Promise.resolve();
      },
      close: () => {
        this.members.delete(member);
        member.listener = undefined;
        return Promise.resolve();
      },
    };
  }

  private send(from: Member, deliver: (listener: BusListener) => void): void {
    from.stats.published++;
    for (const other of this.members) {
      if (other === from || !other.listener) continue;
      other.stats.received++;
      // Delivered on a later turn, as a network bus would.
      queueMicrotask(() => {
        if (other.listener) deliver(other.listener);
      });
    }
  }
}
