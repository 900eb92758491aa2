/**
 * Opens a SQLite database through whichever engine this Node.js can load: better-sqlite3 (a native addon, built
 * for the Node.js that ran `npm ci`) or, failing that, the built-in `node:sqlite` (Node 22.13+). Both are
 * synchronous and share the small surface below, so the store never knows which one it got.
 */
import { createRequire } from 'node:module';

export type SqlValue = string | number | bigint | null | Uint8Array;

export interface Statement {
  run(...params: SqlValue[]): { changes: number | bigint };
  get(...params: SqlValue[]): Record<string, unknown> | undefined;
  all(...params: SqlValue[]): Record<string, unknown>[];
}

export interface Database {
  readonly driver: 'better-sqlite3' | 'node:sqlite';
  exec(sql: string): void;
  prepare(sql: string): Statement;
  close(): void;
}

type Ctor = new (path: string) => {
  exec(sql: string): unknown;
  prepare(sql: string): Statement;
  close(): unknown;
};

export type DriverName = Database['driver'];

/** Loads a driver by name, or the first that works; throws with both reasons when none does. */
export function openDatabase(path: string, prefer?: DriverName): Database {
  const order: DriverName[] = prefer ? [prefer] : ['better-sqlite3', 'node:sqlite'];
  const reasons: string[] = [];
  for (const name of order) {
    let Impl: Ctor;
    try {
      Impl = load(name);
    } catch (err) {
      reasons.push(`${name}: ${(err as Error).message.split('\n')[0] ?? ''}`);
      continue;
    }
    const db = new Impl(path);
    return {
      driver: name,
      exec: (sql) => void db.exec(sql),
      prepare: (sql) => db.prepare(sql),
      close: () => void db.close(),
    };
  }
  throw new Error(`No SQLite driver could be loaded (${reasons.join('; ')})`);
}

/** Which drivers load on this Node.js (the contract suite runs against each). */
export function availableDrivers(): DriverName[] {
  return (['better-sqlite3', 'node:sqlite'] as const).filter((name) => {
    try {
      load(name);
      return true;
    } catch {
      return false;
    }
  });
}

const cache = new Map<DriverName, Ctor>();

function load(name: DriverName): Ctor {
  const hit = cache.get(name);
  if (hit) return hit;
  let Impl: Ctor;
  if (name === 'better-sqlite3') {
    Impl = createRequire(import.meta.url)('better-sqlite3') as Ctor;
    // The addon is loaded lazily by its first database; open one now so an ABI mismatch surfaces here.
    new Impl(':memory:').close();
  } else {
    const mod = quietly(() => process.getBuiltinModule?.('node:sqlite')) as
      { DatabaseSync?: Ctor } | undefined;
    if (!mod?.DatabaseSync) throw new Error('node:sqlite is not available in this Node.js');
    Impl = mod.DatabaseSync;
  }
  cache.set(name, Impl);
  return Impl;
}

/** Loads node:sqlite without its "SQLite is an experimental feature" warning on stderr (Node 22). */
export function quietly<T>(load: () => T): T {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (/SQLite is an experimental feature/.test(text)) return;
    (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return load();
  } finally {
    process.emitWarning = emit;
  }
}
