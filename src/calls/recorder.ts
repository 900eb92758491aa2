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
 * never a store round trip per call. Without it (the default) records are written behind the answers. The writing
 * itself (batches, the store's writer thread, retries, content offloaded to the blob store) is `record-queue.ts`.
 */
import { callId } from './call-id.js';
import { performance } from 'node:perf_hooks';
import type { BlobStore } from '../blobs/index.js';
import type { Logger } from '../observability/logger.js';
import { endpointOf, type FunctionCallRecord, type Store } from '../store/index.js';
import { readContent } from './content-store.js';
import { isoAt, isoNow, wallMs } from './iso-now.js';
import { LossLog } from './loss-log.js';
import { type Entry, RecordQueue } from './record-queue.js';
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
  private readonly running = new RunningCalls<Running>();
  /** What is recorded and not yet written. */
  private readonly queue: RecordQueue;
  private beginTimer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly stats: RecorderStats;
  private readonly losses: LossLog;

  constructor(private readonly opts: RecorderOptions) {
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
    this.queue = new RecordQueue(opts, this.stats, this.losses);
  }

  /** A call's record: the newest version, whether or not it is written yet. */
  async get(partition: string, uuid: string): Promise<FunctionCallRecord | undefined> {
    const queued = this.queue.find(uuid);
    if (queued) return queued.partition_key === partition ? queued : undefined;
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
    if (delay <= 0) this.queue.add(handle);
    else this.beginTimer ??= setTimeout(() => this.writeDue(), delay);
    return handle;
  }

  /** Queues the `in_process` records of the calls that have now run for `beginDelayMs`; waits for the next one. */
  private writeDue(): void {
    this.beginTimer = undefined;
    const cutoff = performance.now() - (this.opts.beginDelayMs ?? 0);
    for (const h of this.running.due(cutoff)) this.queue.add(h);
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
    this.queue.add(handle as Running);
    if (!this.opts.durableAnswers) return RECORDED_BEHIND;
    return this.queue.written();
  }

  /** Writes everything queued; on close, calls still running are recorded as interrupted. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.beginTimer);
    for (const h of this.running.drain()) {
      // In place, as end() would: a version of it may be queued already (it is written once, as this one).
      h.record.status = 'failed';
      h.record.notes = INTERRUPTED_NOTE;
      h.record.updated_at = isoNow();
      this.queue.add(h);
    }
    // A few attempts, then give up: what is still queued is logged as lost.
    await this.queue.close();
    const held = this.opts.store.callWriter?.backlog ?? 0;
    if (held > 0) {
      this.opts.logger.error(
        { records: held },
        'call records are held by the store writer after failed writes; it tries once more as the store closes',
      );
    }
    this.losses.flush();
  }
}
