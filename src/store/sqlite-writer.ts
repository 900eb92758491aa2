/**
 * Writes call-record batches from a thread of their own (sqlite-writer-main.ts), so recording never blocks the
 * daemon's event loop: the daemon only hands the batch over. One batch at a time, in order.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { FunctionCallRecord } from './index.js';
import { StoreError } from './index.js';
import type { DriverName } from './sqlite-driver.js';
import { writerMain } from './sqlite-writer-main.js';

const SOURCE = `(${writerMain.toString()})()`;

export class SqliteCallWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | undefined;
  private last: Promise<void> = Promise.resolve();

  constructor(path: string, driver: DriverName) {
    const driverPath =
      driver === 'better-sqlite3' ? createRequire(import.meta.url).resolve('better-sqlite3') : undefined;
    this.worker = new Worker(SOURCE, { eval: true, workerData: { path, driver, driverPath } });
    this.worker.unref();
    this.worker.on('message', (m: { id: number; ok: boolean; message?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve();
      else
        p.reject(
          new StoreError('MCPD_STORE_UNAVAILABLE', `SQLite write to calls failed: ${m.message ?? ''}`),
        );
    });
    const fail = (err: Error) => {
      this.failure = new StoreError('MCPD_STORE_UNAVAILABLE', `The SQLite writer stopped: ${err.message}`);
      for (const p of this.pending.values()) p.reject(this.failure);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  }

  putMany(records: readonly FunctionCallRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    const id = ++this.nextId;
    this.last = new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref(); // keep the process alive until the batch is written
      // Rows ready to insert, their bodies already JSON: a list of strings crosses to the writer thread for a
      // fraction of what the structured clone of the records costs, and the writer has no encoding left to do.
      this.worker.postMessage({ id, rows: records.map(toRow) });
    }).finally(() => {
      if (this.pending.size === 0) this.worker.unref();
    });
    return this.last;
  }

  async close(): Promise<void> {
    // A batch already handed over is written before the thread stops.
    await this.last.catch(() => undefined);
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

const text = (v: unknown): string | null => (v === undefined || v === null ? null : String(v));

/**
 * `[partition_key, sort_key, body, created_at, updated_at, mcp_type, name, status]`, as the calls table has them. The
 * body keeps the timestamps too (reads take them from their columns): leaving them out would cost an object copy
 * per record, three times the price of the JSON itself.
 */
function toRow(record: FunctionCallRecord): (string | null)[] {
  return [
    record.partition_key,
    String(record.mcp_function_call_uuid),
    JSON.stringify(record),
    record.created_at,
    record.updated_at,
    text(record.mcp_type),
    text(record.name),
    text(record.status),
  ];
}
