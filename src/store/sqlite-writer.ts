/**
 * Writes call-record batches from a thread of their own (sqlite-writer-main.ts), so recording never blocks the
 * daemon's event loop. Records handed over become the writer's: it writes them in order and tries a failed batch
 * again (first in line) until it succeeds, so the daemon keeps no copy of them; until they are written, `pending()`
 * still finds them, as rows.
 *
 * With `idle`, the thread runs in the idle scheduling class (thread-priority.ts) where this process can take it out
 * again: it then writes on a core nothing else wants, instead of taking turns with the thread that serves requests.
 * When its backlog grows past `raiseAt` rows (a machine with no idle core), it is moved back to the normal class until
 * the backlog is under `lowerAt`. Off by default: see docs/architecture.md for what it costs inline code.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { callBody, callRecordOf } from './call-body.js';
import type { CallHandOver, FunctionCallRecord, HandOverEvents } from './index.js';
import { StoreError } from './index.js';
import type { DriverName } from './sqlite-driver.js';
import { writerMain } from './sqlite-writer-main.js';
import { idleClassReversible, type SchedulingClass, setSchedulingClass } from './thread-priority.js';

const SOURCE = `(${writerMain.toString()})()`;

export interface CallWriterOptions {
  readonly path: string;
  readonly driver: DriverName;
  /** First delay before a failed batch is tried again; doubles up to 30 s. */
  readonly retryMs?: number;
  /** Run the thread in the idle scheduling class while its backlog is small (default: false). */
  readonly idle?: boolean;
  /** Backlog (rows) over which the thread moves to the normal class. */
  readonly raiseAt?: number;
  /** Backlog (rows) under which it goes back to the idle class. */
  readonly lowerAt?: number;
  /**
   * Records it may hold (while writes fail) before it refuses more, as lost: memory stays bounded through a long
   * outage (a full disk), at the price of the newest records. Default 100,000 (about 100 MB held twice over).
   */
  readonly maxBacklog?: number;
}

/**
 * Rows one after the other in one flat list, `ROW` values each: `partition_key, sort_key, body, created_at,
 * updated_at, mcp_type, name, status`, as the calls table has them. A flat list of strings is the cheapest thing to
 * clone across threads.
 */
type Rows = (string | null)[];
const ROW = 8;

interface Batch {
  readonly rows: Rows;
  readonly events: HandOverEvents | undefined;
  /** Its failure was reported (each batch's first one only: the writer retries it, and says so at every attempt). */
  failed?: boolean;
}

export class SqliteCallWriter implements CallHandOver {
  private readonly worker: Worker;
  /** Batches handed over and not yet written, oldest first. */
  private readonly batches = new Map<number, Batch>();
  /** Records in those batches. */
  private held = 0;
  private readonly waiters: { upTo: number; resolve: () => void }[] = [];
  private nextId = 0;
  private failure: StoreError | undefined;
  private closed: Promise<number> | undefined;
  private onClosed: ((unwritten: number) => void) | undefined;
  private tid: number | undefined;
  /** The scheduling class the thread is in, or is being moved to. */
  private cls: SchedulingClass = 'normal';
  private idleAllowed = false;
  private moving: Promise<void> = Promise.resolve();

  constructor(private readonly opts: CallWriterOptions) {
    const driverPath =
      opts.driver === 'better-sqlite3' ? createRequire(import.meta.url).resolve('better-sqlite3') : undefined;
    this.worker = new Worker(SOURCE, {
      eval: true,
      workerData: { path: opts.path, driver: opts.driver, driverPath, retryMs: opts.retryMs ?? 100 },
    });
    this.worker.unref();
    this.worker.on(
      'message',
      (
        m:
          | { id: number; ok: boolean; message?: string; dropped?: number }
          | { t: 'tid'; tid: number }
          | { t: 'closed'; unwritten: number },
      ) => {
        if ('t' in m) {
          if (m.t === 'tid') this.started(m.tid);
          else this.onClosed?.(m.unwritten);
        } else if (m.ok) this.written(m.id, m.dropped ?? 0, m.message ?? '');
        else this.failed(m.id, m.message ?? '');
      },
    );
    const fail = (err: Error) => {
      this.failure = new StoreError('MCPD_STORE_UNAVAILABLE', `The SQLite writer stopped: ${err.message}`);
      this.onClosed?.(this.held);
      this.abandon(this.failure);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  }

  /** Records handed over and not yet written. */
  get backlog(): number {
    return this.held;
  }

  /** The writer thread's id (Linux), once it started. */
  get threadId(): number | undefined {
    return this.tid;
  }

  /** The scheduling class of the writer thread (`normal` until it started, or where the idle class is not used). */
  get schedulingClass(): SchedulingClass {
    return this.cls;
  }

  handOver(records: readonly FunctionCallRecord[], events?: HandOverEvents): void {
    this.take(records, callBody, events);
  }

  /** Takes records whose bodies `body` makes: the recorder's as arrays (call-body.ts), others' as they are. */
  private take(
    records: readonly FunctionCallRecord[],
    body: (r: FunctionCallRecord) => string,
    events: HandOverEvents | undefined,
  ): void {
    if (this.failure) {
      events?.failed(this.failure, false);
      return;
    }
    const max = this.opts.maxBacklog ?? 100_000;
    if (this.held + records.length > max) {
      events?.failed(
        new StoreError(
          'MCPD_STORE_BACKLOG_FULL',
          `The SQLite writer holds ${this.held} call records it could not write yet (at most ${max})`,
        ),
        false,
      );
      return;
    }
    // Rows ready to insert, their bodies already JSON: a list of strings crosses to the writer thread for a
    // fraction of what the structured clone of the records costs, and the writer has no encoding left to do.
    const rows: Rows = [];
    for (const record of records) addRow(rows, record, body);
    const id = ++this.nextId;
    this.batches.set(id, { rows, events });
    this.held += records.length;
    this.worker.ref(); // keep the process alive until the batch is written
    this.worker.postMessage({ id, rows });
    if (this.cls === 'idle' && this.held > (this.opts.raiseAt ?? 20_000)) this.move('normal');
  }

  /**
   * Resolves when the records are written; rejects when a write of them failed (the writer still retries them, so a
   * caller that tries again only writes the same versions twice).
   */
  putMany(records: readonly FunctionCallRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) =>
      this.take(records, objectBody, {
        written: resolve,
        refused: (err) => reject(err),
        failed: (err) => reject(err),
      }),
    );
  }

  /** A record handed over and not yet written (its newest version), as `get` would read it once written. */
  pending(partition: string, uuid: string): FunctionCallRecord | undefined {
    // Read rarely (a record asked for while it waits): a search, newest first, costs less than an index that every
    // record would pay for.
    const ids = [...this.batches.keys()];
    for (let b = ids.length - 1; b >= 0; b--) {
      const rows = this.batches.get(ids[b]!)!.rows;
      for (let i = rows.length - ROW; i >= 0; i -= ROW) {
        if (rows[i + 1] === uuid && rows[i] === partition) {
          return callRecordOf(JSON.parse(rows[i + 2] ?? 'null'), rows[i + 3] ?? '', rows[i + 4] ?? '');
        }
      }
    }
    return undefined;
  }

  /**
   * Resolves once every batch handed over so far is written (or the thread stopped): a write through the daemon's
   * own connection that follows cannot be overwritten by an older version the writer still held. While writes fail,
   * it waits for them to succeed.
   */
  settled(): Promise<void> {
    const upTo = this.nextId;
    if (this.allSettled(upTo)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ upTo, resolve }));
  }

  /** Stops the thread after one last attempt at what it holds; returns how many records were left unwritten. */
  close(): Promise<number> {
    this.closed ??= (async () => {
      let unwritten = this.held;
      const stopped = this.failure;
      // From now on a batch handed over is refused (reported lost) at once.
      this.failure ??= new StoreError('MCPD_STORE_UNAVAILABLE', 'The SQLite writer is closed');
      if (!stopped) {
        const done = new Promise<number>((resolve) => (this.onClosed = resolve));
        this.worker.postMessage({ t: 'close' });
        unwritten = await done;
      }
      this.worker.removeAllListeners('exit');
      await this.worker.terminate();
      // What the last attempt could not write is lost: its batches hear it, and nothing waits for them any more.
      this.abandon(
        new StoreError('MCPD_STORE_UNAVAILABLE', 'The SQLite writer closed before writing these records'),
      );
      return unwritten;
    })();
    return this.closed;
  }

  private started(tid: number): void {
    this.tid = tid;
    if (this.opts.idle !== true) return;
    void idleClassReversible().then((ok) => {
      this.idleAllowed = ok;
      if (ok && this.held < (this.opts.lowerAt ?? 2_000)) this.move('idle');
    });
  }

  /**
   * Moves the thread, one move at a time so they apply in the order asked; a move that did not apply is undone in
   * `cls`, and a move back to the normal class that failed is tried again with the next batch.
   */
  private move(cls: SchedulingClass): void {
    const tid = this.tid;
    if (tid === undefined || !this.idleAllowed || this.closed) return;
    this.cls = cls;
    this.moving = this.moving
      .then(() => setSchedulingClass(tid, cls))
      .then((ok) => {
        if (!ok && this.cls === cls) this.cls = cls === 'idle' ? 'normal' : 'idle';
      });
  }

  private written(id: number, dropped: number, reason: string): void {
    const b = this.batches.get(id);
    if (!b) return;
    this.batches.delete(id);
    this.held -= b.rows.length / ROW;
    if (this.batches.size === 0) this.worker.unref();
    if (dropped > 0) {
      b.events?.refused(
        new StoreError('MCPD_STORE_REFUSED', `SQLite refused ${dropped} call records: ${reason}`),
        dropped,
      );
    }
    b.events?.written();
    this.wake();
    if (this.cls === 'normal' && this.held < (this.opts.lowerAt ?? 2_000)) this.move('idle');
  }

  /** Drops every batch not yet written: each hears `err` as final. */
  private abandon(err: StoreError): void {
    const left = [...this.batches.values()];
    this.batches.clear();
    this.held = 0;
    for (const b of left) b.events?.failed(err, false);
    this.wake();
  }

  private failed(id: number, message: string): void {
    const b = this.batches.get(id);
    if (!b || b.failed) return;
    b.failed = true;
    b.events?.failed(
      new StoreError('MCPD_STORE_UNAVAILABLE', `SQLite write to calls failed: ${message}`),
      true,
    );
  }

  private allSettled(upTo: number): boolean {
    // Batches are written in order: the oldest one left tells.
    const oldest = this.batches.keys().next();
    return oldest.done === true || oldest.value > upTo;
  }

  private wake(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (this.allSettled(w.upTo)) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }
}

const text = (v: unknown): string | null => (v === undefined || v === null ? null : String(v));

/** A record's body with every field it has (`putMany`: records that need not come from the recorder). */
const objectBody = (r: FunctionCallRecord): string => JSON.stringify(r);

/**
 * Appends a record's row. The body keeps the timestamps too (reads take them from their columns): leaving them out
 * would cost an object copy per record, three times the price of the JSON itself.
 */
function addRow(rows: Rows, record: FunctionCallRecord, body: (r: FunctionCallRecord) => string): void {
  rows.push(
    record.partition_key,
    String(record.mcp_function_call_uuid),
    body(record),
    record.created_at,
    record.updated_at,
    text(record.mcp_type),
    text(record.name),
    text(record.status),
  );
}
