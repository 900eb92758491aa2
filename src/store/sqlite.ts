/**
 * The SQLite Store adapter: the embedded default, one file in the data dir, WAL mode. Every call is synchronous
 * underneath (a local file), so reads cost microseconds; the async port keeps it interchangeable with DynamoDB.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type Audit,
  type CallHandOver,
  decodeCursor,
  encodeCursor,
  FILTER_FIELDS,
  type FunctionCallRecord,
  type FunctionRecord,
  type ListFilter,
  type ListQuery,
  type ModuleRecord,
  type Page,
  type Put,
  type SettingRecord,
  SORT_KEYS,
  type Store,
  StoreError,
  type Table,
} from './index.js';
import { bodyPaths, callRecordOf } from './call-body.js';
import { type Database, type DriverName, openDatabase, type SqlValue } from './sqlite-driver.js';
import { MIGRATIONS } from './sqlite-migrations.js';
import { type CallWriterOptions, SqliteCallWriter } from './sqlite-writer.js';
import { type TableName, whereClause } from './sqlite-where.js';

export interface SqliteStoreOptions {
  /** A file path, or `:memory:`. */
  readonly path: string;
  readonly driver?: DriverName;
  /**
   * Write call records from a thread of their own (default: yes for a file). Keeps recording off the event loop;
   * `:memory:` databases cannot be shared with a thread and always write in place.
   */
  readonly writerThread?: boolean;
  /** The writer thread's retry delay and scheduling (sqlite-writer.ts). */
  readonly writer?: Omit<CallWriterOptions, 'path' | 'driver'>;
}

const OPTIMIZE = 'PRAGMA optimize=0x10002';

export function createSqliteStore(options: SqliteStoreOptions): Store & { readonly driver: DriverName } {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const db = openDatabase(options.path, options.driver);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
  migrate(db);
  // Statistics for the query planner, refreshed on open and on close as SQLite advises for long-lived connections
  // (bounded work on a large file). Without them SQLite would not know that a partial index holds few rows, and
  // would read a whole partition to list its failed calls.
  db.exec(OPTIMIZE);
  const calls = sqliteTable<FunctionCallRecord>(db, 'calls');
  let writer: SqliteCallWriter | undefined;
  let callWriter: CallHandOver | undefined;
  if (options.path !== ':memory:' && options.writerThread !== false) {
    const open = () =>
      (writer ??= new SqliteCallWriter({ path: options.path, driver: db.driver, ...options.writer }));
    callWriter = {
      handOver: (records, events) => open().handOver(records, events),
      get backlog() {
        return writer?.backlog ?? 0;
      },
    };
    const { get, put, putMany, delete: remove } = calls;
    calls.putMany = (records) => (records.length === 0 ? putMany(records) : open().putMany(records));
    // A record handed to the writer and not yet written is read from the writer's backlog (its newest version).
    calls.get = (partition, uuid) => {
      const pending = writer?.pending(partition, uuid);
      return pending ? Promise.resolve(pending) : get(partition, uuid);
    };
    // Writes through this connection wait until the writer has what it holds on disk (or failed on it), so an older
    // version it still holds cannot overwrite them afterwards.
    calls.put = async (record) => {
      await writer?.settled();
      return put(record);
    };
    calls.delete = async (partition, uuid) => {
      await writer?.settled();
      return remove(partition, uuid);
    };
  }
  return {
    kind: 'sqlite',
    driver: db.driver,
    callWriter,
    modules: sqliteTable<ModuleRecord>(db, 'modules'),
    functions: sqliteTable<FunctionRecord>(db, 'functions'),
    calls,
    settings: sqliteTable<SettingRecord>(db, 'settings'),
    async markInterrupted(instanceId, note) {
      const now = new Date().toISOString();
      // `status <> 'completed'` lets SQLite read the partial status index instead of every call ever recorded.
      const r = db
        .prepare(
          `UPDATE calls SET status = 'failed', updated_at = ?,
             body = CASE WHEN json_type(body) = 'array' THEN json_set(body, ?, 'failed', ?, ?)
               ELSE json_set(body, '$.status', 'failed', '$.notes', ?) END
           WHERE status = 'in_process' AND status <> 'completed'
             AND json_extract(body, CASE WHEN json_type(body) = 'array' THEN ? ELSE '$.instance_id' END) = ?`,
        )
        .run(
          now,
          bodyPaths('status').array,
          bodyPaths('notes').array,
          note,
          note,
          bodyPaths('instance_id').array,
          instanceId,
        );
      return Number(r.changes);
    },
    init: () => Promise.resolve(),
    close: async () => {
      await writer?.close();
      try {
        db.exec(OPTIMIZE);
      } catch {
        // statistics are an optimisation: a busy or full disk must not keep the file open
      } finally {
        db.close();
      }
    },
  };
}

function migrate(db: Database): void {
  const version = () => Number(db.prepare('PRAGMA user_version').get()?.['user_version'] ?? 0);
  const latest = MIGRATIONS.at(-1)?.version ?? 0;
  if (version() > latest) {
    // Written by a newer mcpd, in a format this one may not read (or would damage).
    throw new StoreError(
      'MCPD_STORE_UNAVAILABLE',
      `The SQLite file is at schema version ${version()}, newer than this mcpd knows (${latest}): run a newer mcpd`,
    );
  }
  if (version() === latest) return;
  for (const m of MIGRATIONS) {
    db.exec('BEGIN IMMEDIATE');
    try {
      // Read under the write lock: another process opening the same file may have migrated it meanwhile.
      if (m.version > version()) {
        db.exec(m.sql);
        db.exec(`PRAGMA user_version = ${m.version}`);
      }
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
}

function sqliteTable<T extends Audit & { partition_key: string }>(db: Database, name: TableName): Table<T> {
  const sortKey = SORT_KEYS[name] as keyof T & string;
  const columns: readonly string[] = FILTER_FIELDS[name];
  const insert = db.prepare(
    `INSERT INTO ${name} (partition_key, sort_key, body, created_at, updated_at${columns.map((c) => `, ${c}`).join('')})
     VALUES (?, ?, ?, ?, ?${columns.map(() => ', ?').join('')})
     ON CONFLICT (partition_key, sort_key) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
     ${columns.map((c) => `, ${c} = excluded.${c}`).join('')}
     RETURNING created_at, updated_at`,
  );
  const getOne = db.prepare(
    `SELECT body, created_at, updated_at FROM ${name} WHERE partition_key = ? AND sort_key = ?`,
  );
  const replace = db.prepare(
    `INSERT INTO ${name} (partition_key, sort_key, body, created_at, updated_at${columns.map((c) => `, ${c}`).join('')})
     VALUES (?, ?, ?, ?, ?${columns.map(() => ', ?').join('')})
     ON CONFLICT (partition_key, sort_key) DO UPDATE SET body = excluded.body, created_at = excluded.created_at,
     updated_at = excluded.updated_at ${columns.map((c) => `, ${c} = excluded.${c}`).join('')}`,
  );
  const remove = db.prepare(`DELETE FROM ${name} WHERE partition_key = ? AND sort_key = ?`);
  const statements = new Map<string, ReturnType<Database['prepare']>>();
  const cached = (sql: string) => {
    let s = statements.get(sql);
    if (!s) statements.set(sql, (s = db.prepare(sql)));
    return s;
  };
  const where = (partition: string, filter: ListFilter | undefined) => whereClause(name, partition, filter);
  const row = (r: Record<string, unknown>): T => {
    const createdAt = r['created_at'] as string;
    const updatedAt = r['updated_at'] as string;
    const body: unknown = JSON.parse(r['body'] as string);
    // Call records the writer thread wrote have array bodies (call-body.ts).
    if (name === 'calls') return callRecordOf(body, createdAt, updatedAt) as unknown as T;
    return Object.assign(body as T, { created_at: createdAt, updated_at: updatedAt });
  };

  return {
    sortKey,
    get(partition, key) {
      const r = getOne.get(partition, key);
      return Promise.resolve(r ? row(r) : undefined);
    },
    getMany(partition, keys) {
      if (keys.length === 0) return Promise.resolve([]);
      const out: T[] = [];
      // One statement per 500 keys keeps well under SQLite's bound-parameter limit.
      for (let i = 0; i < keys.length; i += 500) {
        const chunk = keys.slice(i, i + 500);
        const rows = db
          .prepare(
            `SELECT body, created_at, updated_at FROM ${name} WHERE partition_key = ? AND sort_key IN (${chunk.map(() => '?').join(', ')})`,
          )
          .all(partition, ...chunk);
        for (const r of rows) out.push(row(r));
      }
      return Promise.resolve(out);
    },
    put(record: Put<T>) {
      const now = new Date().toISOString();
      const { created_at: _c, updated_at: _u, ...body } = record as Put<T> & Partial<Audit>;
      const values = columns.map((c) => toSql((record as Record<string, unknown>)[c]));
      const key = String((record as Record<string, unknown>)[sortKey]);
      const r = insert.get(record.partition_key, key, JSON.stringify(body), now, now, ...values);
      return Promise.resolve(
        Object.assign(structuredClone(body), {
          created_at: r?.['created_at'] as string,
          updated_at: r?.['updated_at'] as string,
        }) as unknown as T,
      );
    },
    async putMany(records) {
      if (records.length === 0) return;
      db.exec('BEGIN IMMEDIATE');
      try {
        for (const record of records) {
          const { created_at, updated_at, ...body } = record as T & Record<string, unknown>;
          replace.run(
            record.partition_key,
            String(body[sortKey]),
            JSON.stringify(body),
            created_at,
            updated_at,
            ...columns.map((c) => toSql(body[c])),
          );
        }
        db.exec('COMMIT');
      } catch (err) {
        db.exec('ROLLBACK');
        throw new StoreError('MCPD_STORE_UNAVAILABLE', `SQLite write to ${name} failed`, { cause: err });
      }
    },
    delete(partition, key) {
      return Promise.resolve(Number(remove.run(partition, key).changes) > 0);
    },
    async list(partition: string, query: ListQuery): Promise<Page<T>> {
      const w = where(partition, query.filter);
      let sql = `SELECT sort_key, body, created_at, updated_at FROM ${name} WHERE ${w.sql}`;
      const params = [...w.params];
      if (query.cursor !== undefined) {
        sql += ' AND sort_key > ?';
        params.push(decodeCursor(query.cursor));
      }
      sql += ' ORDER BY sort_key LIMIT ? OFFSET ?';
      params.push(query.limit + 1, query.cursor === undefined ? (query.offset ?? 0) : 0);
      const rows = cached(sql).all(...params);
      const more = rows.length > query.limit;
      const items = rows.slice(0, query.limit).map(row);
      const last = items.at(-1);
      return more && last ? { items, cursor: encodeCursor(String(last[sortKey])) } : { items };
    },
    async count(partition, filter) {
      const w = where(partition, filter);
      const r = cached(`SELECT COUNT(*) AS n FROM ${name} WHERE ${w.sql}`).get(...w.params);
      return Number(r?.['n'] ?? 0);
    },
  };
}

function toSql(v: unknown): SqlValue {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return Number(v);
  if (typeof v === 'string' || typeof v === 'number') return v;
  return JSON.stringify(v);
}

export { StoreError };
