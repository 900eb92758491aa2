/** Errors across the boundary between the daemon and its bundle workers (protocol.ts). */
import type { WireError } from './protocol.js';

/** An error raised in the daemon (by a ctx method), as the worker receives it. */
export function toWire(err: Error): WireError {
  const e = err as Error & { code?: unknown; data?: unknown };
  const out: WireError = { name: e.name, message: e.message };
  if (typeof e.code === 'number') out.code = e.code;
  if (e.data !== undefined) out.data = e.data;
  return out;
}

/** A bundle's error as the daemon sees it: its message, and its numeric code when it chose one. */
export function fromWire(e: WireError | undefined): Error {
  const err = new Error(e?.message ?? 'The tool failed');
  if (e?.code !== undefined) Object.assign(err, { code: e.code });
  if (e?.data !== undefined) Object.assign(err, { data: e.data });
  return err;
}
