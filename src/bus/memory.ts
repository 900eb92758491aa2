/**
 * A bus between instances that live in one process (tests, an application embedding several daemons): every
 * instance attached to the same hub hears the others, never itself.
 */
import { type Bus, type BusListener, newBusStats } from './index.js';

export class MemoryBusHub {
  private readonly members = new Set<{ listener: BusListener | undefined; stats: Bus['stats'] }>();

  /** A new instance's bus on this hub. */
  attach(): Bus {
    const member: { listener: BusListener | undefined; stats: Bus['stats'] } = {
      listener: undefined,
      stats: newBusStats(),
    };
    this.members.add(member);
    return {
      kind: 'memory',
      stats: member.stats,
      connected: true,
      publishRegistryChange: (partition) => {
        member.stats.published++;
        for (const other of this.members) {
          if (other === member || !other.listener) continue;
          other.stats.received++;
          // Delivered on a later turn, as a network bus would.
          queueMicrotask(() => other.listener?.registryChanged(partition));
        }
      },
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
}
