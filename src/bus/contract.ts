/**
 * The contract every bus adapter meets, run against each (memory.test.ts, redis.test.ts). `open` gives three
 * instances' buses that should hear each other.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Bus, BusListener, EndpointNotice, TaskCancel } from './index.js';

export class Heard implements BusListener {
  readonly changes: string[] = [];
  readonly cancels: TaskCancel[] = [];
  readonly notices: EndpointNotice[] = [];
  resyncs = 0;
  registryChanged(partition: string): void {
    this.changes.push(partition);
  }
  taskCancelled(cancel: TaskCancel): void {
    this.cancels.push(cancel);
  }
  notice(notice: EndpointNotice): void {
    this.notices.push(notice);
  }
  resync(): void {
    this.resyncs++;
  }
}

/** Polls until `check` holds (the bus delivers asynchronously); fails with `what` after `ms`. */
export async function eventually(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function busContract(name: string, open: () => Promise<Bus[]>): void {
  describe(`bus contract: ${name}`, () => {
    let buses: Bus[] = [];
    afterEach(async () => {
      await Promise.all(buses.map((b) => b.close()));
      buses = [];
    });

    const subscribed = async () => {
      buses = await open();
      const heard = buses.map(() => new Heard());
      await Promise.all(buses.map((b, i) => b.subscribe(heard[i]!)));
      return heard;
    };

    it('a change reaches every other instance, and never comes back to its sender', async () => {
      const [a, b, c] = await subscribed();
      buses[0]!.publishRegistryChange('tenant1');
      buses[1]!.publishRegistryChange('tenant2#part');
      await eventually(() => c!.changes.length === 2, 'both changes at the third instance');
      await eventually(() => a!.changes.length === 1 && b!.changes.length === 1, 'the other two');
      expect(a!.changes).toEqual(['tenant2#part']);
      expect(b!.changes).toEqual(['tenant1']);
      expect(c!.changes.sort()).toEqual(['tenant1', 'tenant2#part']);
      await eventually(() => buses[0]!.stats.published === 1, "the sender's count");
      expect(buses[2]!.stats.received).toBe(2);
      expect(buses.map((bus) => bus.connected)).toEqual([true, true, true]);
      expect([a, b, c].every((h) => h!.resyncs === 0)).toBe(true);
    });

    it('a task cancellation reaches every other instance as sent, and never its sender', async () => {
      const [a, b, c] = await subscribed();
      const cancel = {
        endpointId: 'tenant1#part',
        taskId: '0190a6f2-7c1e-7b3a-9d4f-5e6a7b8c9d0e',
        owner: 'u:alice',
      };
      buses[1]!.publishTaskCancel(cancel);
      await eventually(
        () => a!.cancels.length === 1 && c!.cancels.length === 1,
        'the cancellation at the others',
      );
      expect(a!.cancels).toEqual([cancel]);
      expect(c!.cancels).toEqual([cancel]);
      await new Promise((r) => setTimeout(r, 50));
      expect(b!.cancels).toEqual([]);
      // Not a registry change.
      expect([a, b, c].every((h) => h!.changes.length === 0)).toBe(true);
    });

    it("bundle code's notifications reach every other instance as sent, and never their sender", async () => {
      const [a, b, c] = await subscribed();
      const updated = { endpointId: 'tenant1', resourceUpdated: 'file:///data/report.csv' };
      const changed = { endpointId: 'tenant1#part', listChanged: 'tools' as const };
      buses[0]!.publishNotice(updated);
      buses[0]!.publishNotice(changed);
      await eventually(
        () => b!.notices.length === 2 && c!.notices.length === 2,
        'both notices at the others',
      );
      expect(b!.notices).toEqual([updated, changed]);
      expect(c!.notices).toEqual([updated, changed]);
      await new Promise((r) => setTimeout(r, 50));
      expect(a!.notices).toEqual([]);
    });

    it('an instance that closed hears nothing more, and the others still do', async () => {
      const [, b, c] = await subscribed();
      await buses[1]!.close();
      buses[0]!.publishRegistryChange('tenant1');
      await eventually(() => c!.changes.length === 1, 'the change at the third instance');
      // Delivery to the closed one would have happened by now.
      await new Promise((r) => setTimeout(r, 50));
      expect(b!.changes).toEqual([]);
    });
  });
}
