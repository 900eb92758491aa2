/**
 * The call recorder: every tools/call, resources/read and prompts/get becomes a call record (the older engine's
 * fields plus endpoint, principal, bundle version, era, session, request id, isolation level and instance).
 *
 * Writes are grouped: records made in the same turn of the event loop go to the store together (one SQLite
 * transaction, one DynamoDB batch). A call's `in_process` record is written only once the call has run for
 * `beginDelayMs`: a call that ends sooner (nearly all of them) is written once, as its final record, which halves
 * the store's work per call. The price: a crash loses the calls begun in the last `beginDelayMs` before it.
 * With `durableAnswers`, a call's answer waits for the batch holding its final record, so an answer a client received
 * is a record on disk; the wait is a turn of the event loop plus one batch write, shared by every call in the batch,
 * never a store round trip per call. Without it (the default) records are written behind the answers. A store that fails is retried with backoff and counted; the calls themselves never fail for it.
 * Content larger than `offloadBytes` goes to the blob store (`content-store.ts`).
 */
import { callId } from './call-id.js';
import { performance } from 'node:perf_hooks';
import type { BlobStore } from '../blobs/index.js';
import type { Logger } from '../observability/logger.js';
import {
  type CallHandOver,
  endpointOf,
  type FunctionCallRecord,
  type HandOverEvents,
  type Store,
} from '../store/index.js';
import { offloadLarge, readContent } from './content-store.js';
import { isoAt, isoNow, wallMs } from './iso-now.js';
import { LossLog } from './loss-log.js';
import { type RunningCall, RunningCalls } from './running-calls.js';

export interface CallStart {
  readonly partition: string;
  readonly name: string;
  readonly mcpType: 'tool' | 'resource' | 'prompt';
  readonly arguments: unknown;
  readonly era: string;
  readonly sessionId: string | null;
  readonly requestId: string | number | null;
  readonly principal: string;
  readonly bundleVersion: string | null;
  readonly isolation: string;
  /** The record's id when the caller chose it (a task's id); default: a new UUIDv7. */
  readonly uuid?: string | undefined;
}

export interface CallEnd {
  readonly status: 'completed' | 'failed';
  readonly content: unknown;
  readonly notes?: string | null;
  readonly structuredContent?: unknown;
}

export interface CallHandle {
  readonly uuid: string;
  readonly record: FunctionCallRecord;
  readonly t0: number;
}

/** A record waiting in the queue, once however many versions of it were made meanwhile (`queued`). */
interface Entry {
  readonly record: FunctionCallRecord;
  queued: boolean;
}

type Running = CallHandle & RunningCall & Entry;

export interface RecorderOptions {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly logger: Logger;
  readonly instanceId: string;
  /** Content whose JSON is longer than this goes to the blob store. */
  readonly offloadBytes: number;
  /** First retry delay after a failed write; doubles up to 30 s. */
  readonly retryMs?: number;
  /**
   * How long records gather before they are written together (group commit). Each write has a fixed cost (a
   * transaction, a batch request) that a larger batch shares.
   */
  readonly batchMs?: number;
  /** Write at once when this many records are waiting. */
  readonly batchMax?: number;
  /**
   * How long a call runs before its `in_process` record is written (0: at once). Calls that end sooner are written
   * once; a crash loses the calls begun in this window.
   */
  readonly beginDelayMs?: number;
  /**
   * When true, a call's answer waits until its record is written: an answer a client received is then always a
   * record on disk, at the price of up to `batchMs` of latency. When false (the default), records are written
   * behind the answers, and a crash can lose the records of calls that ended in the last `batchMs`.
   */
  readonly durableAnswers?: boolean;
}

export interface RecorderStats {
  written: number;
  failedWrites: number;
  /** Records waiting to be written: queued here, or held by the store's writer. */
  readonly pending: number;
  offloaded: number;
  /** Records the store refused for good, or that could not be kept while it failed. */
  lost: number;
}

/** What `end()` returns when the answer does not wait for its record: compare by identity to skip a turn. */
export const RECORDED_BEHIND: Promise<void> = Promise.resolve();

export const INTERRUPTED_NOTE = 'interrupted: the daemon stopped before the call finished';

export class CallRecorder {
  /** Records whose newest version is not written yet, each once: a list, not a map keyed by id, whose every new key is hashed. */
  private queue: Entry[] = [];
  private waiters: (() => void)[] = [];
  private readonly running = new RunningCalls<Running>();
  private beginTimer: NodeJS.Timeout | undefined;
  private batchTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  /** Batches handed to the store's writer and not yet written (or failed once). */
  private inFlight = 0;
  private readonly drained: (() => void)[] = [];
  private retryDelay: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly stats: RecorderStats;
  private readonly losses: LossLog;

  constructor(private readonly opts: RecorderOptions) {
    this.retryDelay = opts.retryMs ?? 100;
    this.losses = new LossLog(opts.logger, (n) => (this.stats.lost += n));
    const queue = () => this.queue.length;
    this.stats = {
      written: 0,
      failedWrites: 0,
      offloaded: 0,
      lost: 0,
      // Counted when read (metrics), not on every call.
      get pending() {
        return queue() + (opts.store.callWriter?.backlog ?? 0);
      },
    };
  }

  /** A call's record: the newest version, whether or not it is written yet. */
  async get(partition: string, uuid: string): Promise<FunctionCallRecord | undefined> {
    const queued = this.queue.find((e) => e.record.mcp_function_call_uuid === uuid);
    if (queued) return queued.record.partition_key === partition ? queued.record : undefined;
    const h = this.running.find(uuid);
    if (h) return h.record.partition_key === partition ? h.record : undefined;
    return this.opts.store.calls.get(partition, uuid);
  }

  /** Reads content that was offloaded to the blob store. */
  content(record: FunctionCallRecord): Promise<unknown> {
    return record.content_in_s3 && (record.content === null || record.content === undefined)
      ? readContent(this.opts.blobs, record.partition_key, record.mcp_function_call_uuid)
      : Promise.resolve(record.content);
  }

  /** Marks the calls this instance left unfinished when it last stopped (a crash) as failed. */
  recover(): Promise<number> {
    return this.opts.store.markInterrupted(this.opts.instanceId, INTERRUPTED_NOTE);
  }

  begin(start: CallStart): CallHandle {
    const t0 = performance.now();
    const ms = wallMs(t0);
    const now = isoAt(ms);
    const uuid = start.uuid ?? callId(ms);
    const record: FunctionCallRecord = {
      partition_key: start.partition,
      mcp_function_call_uuid: uuid,
      name: start.name,
      mcp_type: start.mcpType,
      arguments: start.arguments,
      content: null,
      content_in_s3: false,
      status: 'in_process',
      notes: null,
      time_spent: null,
      endpoint_id: endpointOf(start.partition),
      principal: start.principal,
      bundle_version: start.bundleVersion,
      era: start.era,
      session_id: start.sessionId,
      request_id: start.requestId,
      isolation: start.isolation,
      instance_id: this.opts.instanceId,
      updated_by: start.principal,
      created_at: now,
      updated_at: now,
    };
    const handle: Running = { uuid, record, t0, queued: false, prev: null, next: null, linked: false };
    const delay = this.opts.beginDelayMs ?? 0;
    this.running.add(handle, delay > 0);
    if (delay <= 0) this.enqueue(handle);
    else this.beginTimer ??= setTimeout(() => this.writeDue(), delay);
    return handle;
  }

  /** Queues the `in_process` records of the calls that have now run for `beginDelayMs`; waits for the next one. */
  private writeDue(): void {
    this.beginTimer = undefined;
    const cutoff = performance.now() - (this.opts.beginDelayMs ?? 0);
    for (const h of this.running.due(cutoff)) this.enqueue(h);
    const next = this.running.nextDeferred;
    if (next !== undefined) this.beginTimer = setTimeout(() => this.writeDue(), Math.max(1, next - cutoff));
  }

  /**
   * Records the outcome. Returns `RECORDED_BEHIND` when the answer need not wait (records are written behind the
   * answers); with `durableAnswers`, a promise that resolves once the record is written (or its write failed and was
   * queued for retry).
   */
  end(handle: CallHandle, end: CallEnd): Promise<void> {
    // A call that outlived close() was already recorded as interrupted.
    if (!this.running.remove(handle as Running) && this.closed) return RECORDED_BEHIND;
    // The final version replaces the `in_process` one in place: a queued copy is the same object, and a batch being
    // written either has its rows already or takes the newer version, which the next batch writes again anyway.
    const record = handle.record;
    const t1 = performance.now();
    record.status = end.status;
    record.content = end.content ?? null;
    record.notes = end.notes ?? null;
    record.time_spent = Math.round((t1 - handle.t0) * 1000) / 1000;
    record.updated_at = isoAt(wallMs(t1));
    if (end.structuredContent !== undefined) record.structured_content = end.structuredContent;
    this.enqueue(handle as Running);
    if (!this.opts.durableAnswers) return RECORDED_BEHIND;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Writes everything queued; on close, calls still running are recorded as interrupted. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.beginTimer);
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    for (const h of this.running.drain()) {
      // In place, as end() would: a version of it may be queued already (it is written once, as this one).
      h.record.status = 'failed';
      h.record.notes = INTERRUPTED_NOTE;
      h.record.updated_at = isoNow();
      this.enqueue(h);
    }
    // A few attempts, then give up: what is still queued is logged as lost.
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
    const held = this.opts.store.callWriter?.backlog ?? 0;
    if (held > 0) {
      this.opts.logger.error(
        { records: held },
        'call records are held by the store writer after failed writes; it tries once more as the store closes',
      );
    }
    this.losses.flush();
    for (const w of this.waiters.splice(0)) w();
  }

  private enqueue(entry: Entry): void {
    if (!entry.queued) {
      entry.queued = true;
      this.queue.push(entry);
    }
    this.schedule();
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
          this.stats.written += batch.length;
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
        this.stats.written += n - refused;
        settle();
      },
      refused: (err, records) => {
        refused += records;
        this.losses.lost(err, records);
      },
      failed: (err, retrying) => {
        this.stats.failedWrites++;
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
    this.stats.failedWrites++;
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
    return offloadLarge(this.opts.blobs, records, this.opts.offloadBytes, () => this.stats.offloaded++);
  }

  /** Offloads large content to the blob store (rarely any), then writes the batch. */
  private write(records: FunctionCallRecord[]): Promise<void> {
    const offloads = this.offload(records);
    if (!offloads) return this.opts.store.calls.putMany(records);
    return Promise.all(offloads).then(() => this.opts.store.calls.putMany(records));
  }
}
