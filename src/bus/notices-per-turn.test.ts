import { describe, expect, it } from 'vitest';
import type { EndpointNotice } from './index.js';
import { noticesPerTurn } from './notices-per-turn.js';

const turn = () => new Promise((r) => setImmediate(r));

describe('noticesPerTurn', () => {
  it('passes each different notice on once per turn, in order, and at most `max` of them', async () => {
    const sent: EndpointNotice[] = [];
    const relay = noticesPerTurn((n) => sent.push(n), 3);
    for (let i = 0; i < 1000; i++) relay({ endpointId: 'a', resourceUpdated: 'x' });
    relay({ endpointId: 'a', listChanged: 'tools' });
    relay({ endpointId: 'b', resourceUpdated: 'x' });
    relay({ endpointId: 'a', resourceUpdated: 'y' }); // the fourth different one: dropped this turn
    expect(sent).toEqual([]);
    await turn();
    expect(sent).toEqual([
      { endpointId: 'a', resourceUpdated: 'x' },
      { endpointId: 'a', listChanged: 'tools' },
      { endpointId: 'b', resourceUpdated: 'x' },
    ]);
    // The next turn starts afresh.
    relay({ endpointId: 'a', resourceUpdated: 'x' });
    await turn();
    expect(sent).toHaveLength(4);
  });
});
