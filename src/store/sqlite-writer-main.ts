/**
 * The code of the SQLite call-record writer thread, started from this function's source text (`new Worker(code,
 * { eval: true })`): self-contained, Node built-ins through `process.getBuiltinModule` only. It opens its own
 * connection to the database file (WAL lets it write while the daemon's connection reads) and writes each batch of
 * call records in one transaction, off the daemon's event loop.
 */
export function writerMain(): void {
  const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
  const data = workerData as {
    path: string;
    driver: string;
    driverPath: string | undefined;
    retryMs: number;
  };
  // Records are written behind the answers, so this thread yields the CPU to the threads serving requests. On Linux
  // a thread has its own nice value (its id works as a pid for setpriority). Best effort: elsewhere, or when not
  // permitted, it keeps the process's priority.
  // Its thread id goes to the daemon, which may also move it to the idle scheduling class (sqlite-writer.ts).
  try {
    const tid = Number(
      process.getBuiltinModule('node:fs').readlinkSync('/proc/thread-self').split('/').pop(),
    );
    if (Number.isInteger(tid)) {
      parentPort!.postMessage({ t: 'tid', tid });
      process.getBuiltinModule('node:os').setPriority(tid, 10);
    }
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
  const upsert = (rows: number) =>
    db.prepare(
      `INSERT INTO calls (partition_key, sort_key, body, created_at, updated_at, mcp_type, name, status)
       VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
       ON CONFLICT (partition_key, sort_key) DO UPDATE SET body = excluded.body, created_at = excluded.created_at,
       updated_at = excluded.updated_at, mcp_type = excluded.mcp_type, name = excluded.name, status = excluded.status`,
    );
  const insert = upsert(1);
  // Rows 16 at a time where a batch has them: one statement step instead of sixteen (a third of a µs per row less,
  // measured). A record twice in one statement is fine: its rows are applied in order, as with one statement each.
  const MANY = 16;
  const insertMany = upsert(MANY);
  // Batches are written in the order they came. Those that came while the thread was busy are written together, in
  // one transaction: a slow write makes the next one larger, so its fixed cost (the index pages it rewrites, one per
  // endpoint it touches in each index) is shared by more records. One that fails stays first in line and is tried
  // again after a growing delay; later ones wait behind it, so an older version of a record can never overwrite a
  // newer one.
  type Batch = { id: number; rows: (string | null)[]; dropped?: number; reason?: string | undefined };
  /** Rows per transaction, at most (a long backlog is written in several). */
  const MAX_ROWS = 4096 * 8;
  const line: Batch[] = [];
  let retry: ReturnType<typeof setTimeout> | undefined;
  let pending = false;
  let closing = false;
  let delay = data.retryMs;
  /** The last write failed: every batch in line hears it, and so does each one that joins the line until one works. */
  let failure: string | undefined;
  /** Failed attempts in a row. */
  let failures = 0;
  const messageOf = (err: unknown) => String((err as Error)?.message ?? err);
  // Rows come ready, one after the other in a flat list (sqlite-writer.ts): partition, sort key, JSON body,
  // timestamps, indexed columns.
  const put = (r: (string | null)[], i: number) =>
    insert.run(r[i], r[i + 1], r[i + 2], r[i + 3], r[i + 4], r[i + 5], r[i + 6], r[i + 7]);
  const rollback = () => {
    try {
      db.exec('ROLLBACK');
    } catch {
      // no transaction was open
    }
  };
  const write = (batches: Batch[]) => {
    db.exec('BEGIN IMMEDIATE');
    try {
      for (const b of batches) {
        const r = b.rows;
        let i = 0;
        for (; i + MANY * 8 <= r.length; i += MANY * 8) insertMany.run(...r.slice(i, i + MANY * 8));
        for (; i < r.length; i += 8) put(r, i);
      }
      db.exec('COMMIT');
    } catch (err) {
      rollback();
      throw err;
    }
  };
  /**
   * After a group failed twice: writes its rows one by one, to tell a store that is down (every row fails) from rows
   * SQLite refuses whatever happens (a constraint: only some fail). A row that fails while a later one is written is
   * refused for good: it is dropped, and its batch says so, instead of blocking the line forever. Rows after the last
   * one written stay first in line, as the store may have failed from there on (a full disk). Returns whether the line
   * moved.
   */
  const probe = (n: number): boolean => {
    const group = line.slice(0, n);
    const ok: boolean[] = [];
    let last = -1;
    let reason: string | undefined;
    try {
      db.exec('BEGIN IMMEDIATE');
      for (const b of group) {
        for (let i = 0; i < b.rows.length; i += 8) {
          db.exec('SAVEPOINT row');
          try {
            put(b.rows, i);
            last = ok.length;
            ok.push(true);
          } catch (err) {
            db.exec('ROLLBACK TO row');
            reason ??= messageOf(err);
            ok.push(false);
          }
          db.exec('RELEASE row');
        }
      }
      if (last === -1) {
        rollback();
        return false;
      }
      db.exec('COMMIT');
    } catch {
      rollback();
      return false;
    }
    // Rows up to the last one written are settled (written or dropped); the first batch with rows after it keeps them.
    let k = 0;
    let done = 0;
    for (const b of group) {
      const kept: (string | null)[] = [];
      for (let i = 0; i < b.rows.length; i += 8, k++) {
        if (k > last) kept.push(...b.rows.slice(i, i + 8));
        else if (!ok[k]) {
          b.dropped = (b.dropped ?? 0) + 1;
          b.reason = reason;
        }
      }
      if (kept.length > 0) {
        b.rows = kept;
        break;
      }
      done++;
    }
    for (const b of line.splice(0, done)) parentPort!.postMessage(settledMessage(b));
    return true;
  };
  const settledMessage = (b: Batch) =>
    b.dropped ? { id: b.id, ok: true, dropped: b.dropped, message: b.reason } : { id: b.id, ok: true };
  /** Writes what is in line; false when a write failed (its batches stay first in line). */
  const drain = (): boolean => {
    while (line.length > 0) {
      let n = 1;
      let rows = line[0]!.rows.length;
      while (n < line.length && rows + line[n]!.rows.length <= MAX_ROWS) rows += line[n++]!.rows.length;
      const group = line.slice(0, n);
      try {
        write(group);
      } catch (err) {
        failure = messageOf(err);
        if (++failures >= 2 && probe(n)) {
          failure = undefined;
          failures = 0;
          continue;
        }
        for (const b of line) parentPort!.postMessage({ id: b.id, ok: false, message: failure });
        return false;
      }
      failure = undefined;
      failures = 0;
      line.splice(0, n);
      for (const b of group) parentPort!.postMessage(settledMessage(b));
    }
    return true;
  };
  const tryAgain = () => {
    retry = undefined;
    pending = false;
    if (closing) return;
    if (drain()) delay = data.retryMs;
    else {
      retry = setTimeout(tryAgain, delay);
      delay = Math.min(delay * 2, 30_000);
    }
  };
  parentPort!.on('message', (m: Batch | { t: 'close' }) => {
    if ('t' in m) {
      // Shutting down: one last attempt at what is in line, then say what is left.
      closing = true;
      clearTimeout(retry);
      drain();
      parentPort!.postMessage({ t: 'closed', unwritten: line.reduce((n, b) => n + b.rows.length / 8, 0) });
      return;
    }
    line.push(m);
    // Writes are failing: it waits for the next attempt, and says so now (answers waiting for it go on).
    if (failure !== undefined) parentPort!.postMessage({ id: m.id, ok: false, message: failure });
    // After the messages already waiting have joined the line (they are delivered together, before this runs).
    if (retry === undefined && !pending) {
      pending = true;
      setImmediate(tryAgain);
    }
  });
}
