/**
 * Cursor pagination for list methods. Cursors are opaque to clients: base64url of the offset with a marker,
 * so a forged or stale cursor is rejected with -32602 instead of silently restarting the list.
 */
import { invalidParams } from '../protocol/errors.js';

const PREFIX = 'mcpd:';

export function encodeCursor(offset: number): string {
  return Buffer.from(`${PREFIX}${offset}`).toString('base64url');
}

export function decodeCursor(cursor: unknown): number {
  if (cursor === undefined || cursor === null) return 0;
  if (typeof cursor !== 'string') throw invalidParams('Invalid cursor: must be a string');
  const text = Buffer.from(cursor, 'base64url').toString();
  const offset = Number(text.slice(PREFIX.length));
  if (!text.startsWith(PREFIX) || !Number.isSafeInteger(offset) || offset < 0) {
    throw invalidParams('Invalid cursor');
  }
  return offset;
}

/** One page of `items` starting at the cursor, with `nextCursor` when more remain. */
export function paginate<T>(
  items: readonly T[],
  cursor: unknown,
  pageSize: number,
): { page: readonly T[]; nextCursor?: string } {
  const offset = decodeCursor(cursor);
  if (offset > items.length) throw invalidParams('Invalid cursor: past the end of the list');
  if (offset === 0 && items.length <= pageSize) return { page: items };
  const end = offset + pageSize;
  const page = items.slice(offset, end);
  return end < items.length ? { page, nextCursor: encodeCursor(end) } : { page };
}
