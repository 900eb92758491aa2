import { describe, expect, it } from 'vitest';
import { busContract } from './contract.js';
import { MemoryBusHub } from './memory.js';
import { noBus } from './none.js';

busContract('memory', () => {
  const hub = new MemoryBusHub();
  return Promise.resolve([hub.attach(), hub.attach(), hub.attach()]);
});

describe('a lone daemon', () => {
  it('has a bus that tells nobody and never fails', async () => {
    const bus = noBus();
    await bus.subscribe({
      registryChanged: () => undefined,
      taskCancelled: () => undefined,
      notice: () => undefined,
      resync: () => undefined,
    });
    bus.publishRegistryChange('tenant1');
    bus.publishTaskCancel({ endpointId: 'tenant1', taskId: 't1', owner: 'u' });
    bus.publishNotice({ endpointId: 'tenant1', listChanged: 'tools' });
    expect(bus.kind).toBe('none');
    expect(bus.connected).toBe(true);
    expect(bus.stats).toEqual({ published: 0, received: 0, failures: 0, resyncs: 0 });
    await bus.close();
  });
});
