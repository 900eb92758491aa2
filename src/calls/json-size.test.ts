import { describe, expect, it } from 'vitest';
import { mayExceed } from './json-size.js';

describe('mayExceed', () => {
  const cases: unknown[] = [
    null,
    'plain',
    'quotes " and \\ and \n and \u0001',
    [{ type: 'text', text: 'hello' }],
    { a: 1, b: [true, false, null], c: { d: 'é' } },
    { nested: Array.from({ length: 50 }, (_, i) => ({ i, s: 'x'.repeat(i) })) },
  ];

  it('never says no when the JSON is longer than the limit (an upper bound)', () => {
    for (const value of cases) {
      const length = JSON.stringify(value).length;
      for (const limit of [0, 1, Math.floor(length / 2), length - 1]) {
        if (length > limit) expect(mayExceed(value, limit), `${JSON.stringify(value)} @ ${limit}`).toBe(true);
      }
    }
  });

  it('says no for small content far below the limit, so the recorder skips serializing it', () => {
    expect(mayExceed([{ type: 'text', text: 'hello' }], 65_536)).toBe(false);
    expect(mayExceed({ a: 1, b: [true, null] }, 1_000)).toBe(false);
  });

  it('says yes for large content, and leaves values with toJSON to JSON.stringify', () => {
    expect(mayExceed([{ type: 'text', text: 'x'.repeat(70_000) }], 65_536)).toBe(true);
    expect(mayExceed({ when: new Date(0) }, 65_536)).toBe(true);
  });

  it('ignores inherited properties, as JSON.stringify does', () => {
    const value = Object.create({ inherited: 'x'.repeat(1_000) }) as Record<string, unknown>;
    value['own'] = 1;
    expect(mayExceed(value, 100)).toBe(false);
  });
});
