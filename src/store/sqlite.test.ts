import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { storeContract } from './contract.js';
import { availableDrivers, openDatabase, quietly } from './sqlite-driver.js';
import { MIGRATIONS } from './sqlite-migrations.js';
import { createSqliteStore } from './sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpd-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const drivers = availableDrivers();

describe('SQLite drivers', () => {
  it('at least one SQLite driver loads on this Node.js', () => {
    // better-sqlite3 on the Node.js that built it; node:sqlite on Node 22.13+.
    expect(drivers.length).toBeGreaterThan(0);
  });
});

for (const driver of drivers) {
  storeContract(`SQLite (${driver})`, () =>
    Promise.resolve(createSqliteStore({ path: join(dir, `${driver.replace(':', '-')}.db`), driver })),
  );

  describe(`SQLite store on ${driver}`, () => {
    it('keeps records across reopening the file, and migrations run once', async () => {
      const path = join(dir, `reopen-${driver.replace(':', '-')}.db`);
      const a = createSqliteStore({ path, driver });
      await a.settings.put({ partition_key: 'p', setting_id: 's', setting: { v: 1 }, updated_by: 'x' });
      await a.close();
      const b = createSqliteStore({ path, driver });
      expect((await b.settings.get('p', 's'))?.setting).toEqual({ v: 1 });
      await b.close();
    });

    it('migrates call records of an older file: every row kept, appended in time order from then on', async () => {
      const path = join(dir, `migrate-${driver.replace(':', '-')}.db`);
      const old = openDatabase(path, driver);
      for (const m of MIGRATIONS.filter((x) => x.version <= 2)) old.exec(m.sql);
      old.exec('PRAGMA user_version = 2');
      const put = old.prepare(
        `INSERT INTO calls (partition_key, sort_key, body, created_at, updated_at, mcp_type, name, status)
         VALUES (?, ?, ?, ?, ?, 'tool', 'echo', ?)`,
      );
      // Written out of time order, over two partitions.
      for (const [p, k, at, status] of [
        ['b', 'k2', '2026-01-01T00:00:02.000Z', 'completed'],
        ['a', 'k3', '2026-01-01T00:00:03.000Z', 'failed'],
        ['a', 'k1', '2026-01-01T00:00:01.000Z', 'in_process'],
      ] as const)
        put.run(
          p,
          k,
          JSON.stringify({ mcp_function_call_uuid: k, status, instance_id: 'i' }),
          at,
          at,
          status,
        );
      old.close();

      const store = createSqliteStore({ path, driver });
      expect(
        (await store.calls.list('a', { limit: 10 })).items.map((r) => [r.mcp_function_call_uuid, r.status]),
      ).toEqual([
        ['k1', 'in_process'],
        ['k3', 'failed'],
      ]);
      expect((await store.calls.get('b', 'k2'))?.created_at).toBe('2026-01-01T00:00:02.000Z');
      expect(await store.calls.count('a', { equals: { status: 'failed' } })).toBe(1);
      expect(await store.markInterrupted('i', 'interrupted')).toBe(1);
      await store.close();

      const db = openDatabase(path, driver);
      expect(db.prepare('PRAGMA user_version').get()).toEqual({ user_version: MIGRATIONS.at(-1)?.version });
      expect(
        String(db.prepare(`SELECT sql FROM sqlite_master WHERE name = 'calls'`).get()?.['sql']),
      ).not.toMatch(/WITHOUT ROWID/);
      expect(
        db
          .prepare('SELECT sort_key FROM calls ORDER BY rowid')
          .all()
          .map((r) => r['sort_key']),
      ).toEqual(['k1', 'k2', 'k3']);
      db.close();
    });

    it('serves :memory: databases', async () => {
      const s = createSqliteStore({ path: ':memory:', driver });
      expect(s.driver).toBe(driver);
      await s.functions.put({
        partition_key: 'p',
        name: 'n',
        mcp_type: 'tool',
        description: null,
        data: {},
        annotations: null,
        module_name: null,
        class_name: null,
        function_name: null,
        return_type: null,
        is_async: true,
        updated_by: 'x',
      });
      expect(await s.functions.count('p', { equals: { is_async: true } })).toBe(1);
      expect(await s.functions.count('p', { equals: { is_async: false } })).toBe(0);
      await s.close();
    });
  });
}

describe('SQLite driver selection', () => {
  it('names the drivers it tried when the one asked for cannot load', () => {
    const missing = (['better-sqlite3', 'node:sqlite'] as const).find((d) => !drivers.includes(d));
    if (!missing) return; // both load on this Node.js: nothing to refuse
    expect(() => createSqliteStore({ path: ':memory:', driver: missing })).toThrow(/No SQLite driver/);
  });
});

describe('loading node:sqlite quietly', () => {
  it('drops only the SQLite experimental warning', async () => {
    const seen: string[] = [];
    const onWarning = (w: Error) => seen.push(w.message);
    process.on('warning', onWarning);
    try {
      const value = quietly(() => {
        process.emitWarning(
          'SQLite is an experimental feature and might change at any time',
          'ExperimentalWarning',
        );
        process.emitWarning(new Error('something else'));
        return 42;
      });
      expect(value).toBe(42);
      await new Promise((r) => setImmediate(r));
      expect(seen).toEqual(['something else']);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
