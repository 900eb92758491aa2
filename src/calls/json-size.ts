/**
 * Whether a value's JSON could be longer than `limit` characters, without serializing it: an upper bound (every
 * string character counted as its longest escape), so `false` is certain and `true` means "serialize to know".
 * Call content is almost always far below the offload threshold; this lets the recorder skip a JSON.stringify per
 * call on that path.
 */
export function mayExceed(value: unknown, limit: number): boolean {
  return bound(value, limit, 0) > limit;
}

/** `used` plus an upper bound of `value`'s JSON length; stops counting once past `limit`. */
function bound(value: unknown, limit: number, used: number): number {
  if (used > limit) return used;
  switch (typeof value) {
    case 'string':
      return used + value.length * 6 + 2;
    case 'number':
    case 'boolean':
    case 'undefined':
      return used + 24;
    case 'object': {
      if (value === null) return used + 4;
      if (Array.isArray(value)) {
        let n = used + 2;
        for (const item of value) n = bound(item, limit, n + 1);
        return n;
      }
      // toJSON (Date, Buffer…) can serialize to anything: leave those to JSON.stringify.
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return limit + 1;
      let n = used + 2;
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        n = bound((value as Record<string, unknown>)[key], limit, n + key.length * 6 + 4);
      }
      return n;
    }
    default:
      return used + 24; // bigint (JSON.stringify throws on it later), symbol, function: dropped or an error
  }
}
