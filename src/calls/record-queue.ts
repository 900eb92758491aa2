/**
 * The write side of the call recorder: records waiting to be written, each once however many versions of it were
 * made meanwhile, written in groups (one SQLite transaction, one DynamoDB batch per batch window or full batch).
 * Where the store has a writer of its own (SQLite's writer thread) batches are handed to it, which writes them in
 * order and retries them itself; otherwise they are written here and retried with backoff. A store that fails is
 * counted and logged; the calls themselves never fail for it. Content larger than `offloadBytes` goes to the blob
 * store first (`content-store.ts`).
 */
import type { BlobStore } from '../blobs/index.js';
import type { Logger } from '../observability/logger.js';
import type { CallHandOver, FunctionCallRecord, HandOverEvents, Store } from '../store/index.js';
import { offloadLarge } from './content-store.js';
import type { LossLog } from './loss-log.js';

/** A record waiting in the queue, once however many versions of it were made meanwhile (`queued`). */
export interface Entry {
  readonly record: FunctionCallRecord;
  queued: boolean;
}

export interface RecordQueueOptions {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly logger: Logger;
  readonly offloadBytes: number;
  readonly retryMs?: number | undefined;
  readonly batchMs?: number | undefined;
  readonly batchMax?: number | undefined;
}

/** What the queue counts (the recorder's stats). */
export interface WriteCounts {
  written: number;
  failedWrites: number;
  offloaded: number;
}

export class RecordQueue {
  /** Records whose newest version is not written yet, each once: a list, not a map keyed by id, whose every new key is hashed. */
  private queue: Entry[] = [];
  private waiters: (() => void)[] = [];
  private batchTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  /** Batches handed to the store's writer and not yet written (or failed once). */
  private inFlight = 0;
  private readonly drained: (() => void)[] = [];
  private retryDelay: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly opts: RecordQueueOptions,
    private readonly counts: WriteCounts,
    private readonly losses: LossLog,
  ) {
    this.retryDelay = opts.retryMs ?? 100;
  }

  /** Records waiting here (not those the store's writer holds). */
  get length(): number {
    return this.queue.length;
  }

  /** The newest version of a record waiting here. */
  find(uuid: string): FunctionCallRecord | undefined {
    return this.queue.find((e) => e.record.mcp_function_call_uuid === uuid)?.record;
  }

  /** Queues the record's newest version (once, however many versions it has). */
  add(entry: Entry): void {
    if (!entry.queued) {
      entry.queued = true;
      this.queue.push(entry);
    }
    this.schedule();
  }

  /** Resolves once the batch that will hold what is queued now is written (or its write failed and was queued again). */
  written(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Writes what is queued, a few attempts at most, and waits for what the store's writer was handed; then stops.
   * What is still queued is logged as not written.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    for (let attempt = 0; attempt < 5 && (this.queue.length > 0 || this.flushing); attempt++) {
      await this.flushing;
      if (this.queue.length > 0) await this.flush();
    }
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
    if (this.queue.length > 0) {
      this.opts.logger.error(
        { records: this.queue.length },
        'call records could not be written before shutdown',
      );
    }
    for (const w of this.waiters.splice(0)) w();
  }

  /** Takes the queue for a batch: its entries (to put back if the write fails) and their records. */
  private take(): { entries: Entry[]; batch: FunctionCallRecord[] } {
    const entries = this.queue;
    this.queue = [];
    const batch: FunctionCallRecord[] = new Array(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      e.queued = false;
      batch[i] = e.record;
    }
    return { entries, batch };
  }

  /** One write per batch window (or full batch), never two at once, none while a retry is pending. */
  private schedule(): void {
    if (this.flushing || this.retryTimer || this.queue.length === 0) return;
    if (this.queue.length >= (this.opts.batchMax ?? 256)) {
      clearTimeout(this.batchTimer);
      this.batchTimer = undefined;
      void this.flush();
      return;
    }
    if (this.batchTimer) return;
    this.batchTimer = setTimeout(() => {
      this.batchTimer = undefined;
      void this.flush();
    }, this.opts.batchMs ?? 2);
  }

  private flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.queue.length === 0) return Promise.resolve();
    const writer = this.opts.store.callWriter;
    if (writer) return this.handOver(writer);
    const { entries, batch } = this.take();
    const waiters = this.waiters;
    this.waiters = [];
    this.flushing = this.write(batch)
      .then(
        () => {
          this.counts.written += batch.length;
          this.retryDelay = this.opts.retryMs ?? 100;
        },
        // Its waiters are released below, with those of a successful write.
        (err: unknown) => this.requeue(err, entries, []),
      )
      .finally(() => {
        this.flushing = undefined;
        // Answers never wait on a failing store: their records stay queued for the retry.
        for (const w of waiters) w();
        if (!this.closed) this.schedule();
      });
    return this.flushing;
  }

  /**
   * Hands the queue to the store's own writer (SQLite's writer thread), which writes batches in order and retries
   * them itself: nothing is kept here, and the next batch need not wait for this one. Keeping records until their
   * write is confirmed would keep them alive through young-generation collections and promote them, at a cost per
   * record that the writer thread's speed would decide. Only a batch with content to offload is waited for, so that
   * batches still reach the writer in order.
   */
  private handOver(writer: CallHandOver): Promise<void> {
    const { entries, batch } = this.take();
    const waiters = this.waiters;
    this.waiters = [];
    const offloads = this.offload(batch);
    if (!offloads) {
      this.give(writer, batch, waiters);
      return Promise.resolve();
    }
    this.flushing = Promise.all(offloads)
      .then(
        () => this.give(writer, batch, waiters),
        (err: unknown) => this.requeue(err, entries, waiters),
      )
      .finally(() => {
        this.flushing = undefined;
        if (!this.closed) this.schedule();
      });
    return this.flushing;
  }

  private give(writer: CallHandOver, batch: FunctionCallRecord[], waiters: (() => void)[]): void {
    // From here the writer retries; a blob store that failed before works again.
    this.retryDelay = this.opts.retryMs ?? 100;
    this.inFlight++;
    writer.handOver(batch, this.events(writer, batch.length, waiters));
  }

  /**
   * What the recorder does when the writer reports on a batch. A function of its own so that these closures, which
   * the writer keeps until the batch is written, do not keep the batch's records alive with them.
   */
  private events(writer: CallHandOver, n: number, waiters: (() => void)[]): HandOverEvents {
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      this.inFlight--;
      for (const w of waiters) w();
      if (this.inFlight === 0) for (const w of this.drained.splice(0)) w();
    };
    let refused = 0;
    return {
      written: () => {
        this.counts.written += n - refused;
        settle();
      },
      refused: (err, records) => {
        refused += records;
        this.losses.lost(err, records);
      },
      failed: (err, retrying) => {
        this.counts.failedWrites++;
        if (retrying) this.opts.logger.error({ err, records: n }, 'call records not written; will retry');
        else this.losses.lost(err, n);
        settle();
      },
    };
  }

  /**
   * The records of a batch not written (a store or blob write failed) go back in the queue, to be retried: each
   * entry holds its call's newest version, and one queued again since is not queued twice.
   */
  private requeue(err: unknown, entries: Entry[], waiters: (() => void)[]): void {
    this.counts.failedWrites++;
    this.opts.logger.error({ err, records: entries.length }, 'call records not written; will retry');
    for (const e of entries) {
      if (e.queued) continue;
      e.queued = true;
      this.queue.push(e);
    }
    for (const w of waiters) w();
    if (!this.closed) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.flush();
      }, this.retryDelay);
      this.retryTimer.unref();
      this.retryDelay = Math.min(this.retryDelay * 2, 30_000);
    }
  }

  private offload(records: FunctionCallRecord[]): Promise<void>[] | undefined {
    return offloadLarge(this.opts.blobs, records, this.opts.offloadBytes, () => this.counts.offloaded++);
  }

  /** Offloads large content to the blob store (rarely any), then writes the batch. */
  private write(records: FunctionCallRecord[]): Promise<void> {
    const offloads = this.offload(records);
    if (!offloads) return this.opts.store.calls.putMany(records);
    return Promise.all(offloads).then(() => this.opts.store.calls.putMany(records));
  }
}
