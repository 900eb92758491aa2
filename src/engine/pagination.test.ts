import { describe, expect, it } from 'vitest';
import { McpError } from '../protocol/errors.js';
import { decodeCursor, encodeCursor, paginate } from './pagination.js';

describe('paginate', () => {
  const items = Array.from({ length: 25 }, (_, i) => i);

  it('returns everything without a cursor when it fits', () => {
    expect(paginate(items, undefined, 100)).toEqual({ page: items });
  });

  it('walks pages with opaque cursors until the end', () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const { page, nextCursor } = paginate(items, cursor, 10);
      seen.push(...page);
      cursor = nextCursor;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual(items);
    expect(pages).toBe(3);
  });

  it('rejects forged, malformed and out-of-range cursors with -32602', () => {
    for (const bad of ['nope', Buffer.from('mcpd:-1').toString('base64url'), 42, encodeCursor(999)]) {
      expect(() => paginate(items, bad, 10)).toThrow(McpError);
    }
    try {
      decodeCursor('garbage');
    } catch (err) {
      expect((err as McpError).code).toBe(-32602);
    }
  });
});
