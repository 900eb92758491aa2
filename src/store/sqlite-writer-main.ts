/**
 * The code of the SQLite call-record writer thread, started from this function's source text (`new Worker(code,
 * { eval: true })`): self-contained, Node built-ins through `process.getBuiltinModule` only. It opens its own
 * connection to the database file (WAL lets it write while the daemon's connection reads) and writes each batch of
 * call records in one transaction, off the daemon's event loop.
 */
export function writerMain(): void {
  const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
  const data = workerData as { path: string; driver: string; driverPath: string | undefined };
  // Records are written behind the answers, so this thread yields the CPU to the threads serving requests. On Linux
  // a thread has its own nice value (its id works as a pid for setpriority). Best effort: elsewhere, or when not
  // permitted, it keeps the process's priority.
  try {
    const tid = Number(
      process.getBuiltinModule('node:fs').readlinkSync('/proc/thread-self').split('/').pop(),
    );
    if (Number.isInteger(tid)) process.getBuiltinModule('node:os').setPriority(tid, 10);
  } catch {
    // not Linux, or not permitted
  }
  type Db = { exec(sql: string): unknown; prepare(sql: string): { run(...p: unknown[]): unknown } };
  let db: Db;
  if (data.driver === 'better-sqlite3' && data.driverPath) {
    const load = process.getBuiltinModule('node:module').createRequire(data.driverPath);
    const Database = load(data.driverPath) as new (path: string) => Db;
    db = new Database(data.path);
  } else {
    const emit = process.emitWarning;
    process.emitWarning = () => undefined; // node:sqlite's experimental warning, once
    const { DatabaseSync } = process.getBuiltinModule('node:sqlite') as unknown as {
      DatabaseSync: new (path: string) => Db;
    };
    process.emitWarning = emit;
    db = new DatabaseSync(data.path);
  }
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
  const insert = db.prepare(
    `INSERT INTO calls (partition_key, sort_key, body, created_at, updated_at, mcp_type, name, status)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (partition_key, sort_key) DO UPDATE SET body = excluded.body, created_at = excluded.created_at,
     updated_at = excluded.updated_at, mcp_type = excluded.mcp_type, name = excluded.name, status = excluded.status`,
  );
  parentPort!.on('message', (m: { id: number; rows: (string | null)[][] }) => {
    try {
      db.exec('BEGIN IMMEDIATE');
      // Rows come ready (sqlite-writer.ts): partition, sort key, JSON body, timestamps, indexed columns.
      for (const row of m.rows) insert.run(...row);
      db.exec('COMMIT');
      parentPort!.postMessage({ id: m.id, ok: true });
    } catch (err) {
      try {
        db.exec('ROLLBACK');
      } catch {
        // no transaction was open
      }
      parentPort!.postMessage({ id: m.id, ok: false, message: String((err as Error)?.message ?? err) });
    }
  });
}
