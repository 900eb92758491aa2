/**
 * Bundle worker threads, one small pool per endpoint, so one tenant's code never shares a thread (or globals)
 * with another's. A call is a message to a worker; the tool context stays in the daemon, and the worker's `ctx`
 * methods come back as messages (progress, sampling, elicitation, roots, logs, notifications). The pool enforces:
 * a per-call time limit (abort, then terminate the worker after a grace period), a memory limit per worker, a cap
 * on concurrent calls per endpoint with a bounded queue, and containment: a worker that crashes, exits or is
 * terminated fails only its own calls and is replaced on the next call.
 */
import type { Logger } from '../../observability/logger.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ToolContext } from '../../sdk/types.js';
import type { CallInfo, CtxOp, FromWorker, ToWorker } from './protocol.js';
import { processRunner, type Runner, type Sandbox, threadRunner } from './runner.js';
import { DeadlineTimer } from './deadline-timer.js';
import { ExecutionError } from './errors.js';
import { IdleCheck } from './idle-check.js';
import { newWorkerCounters, type WorkerCounters } from './counters.js';
import { fromWire, toWire } from './wire-errors.js';

export interface PoolLimits {
  /** Worker threads per endpoint. */
  readonly threads: number;
  /** Calls running at once per endpoint; more wait in the queue. */
  readonly maxConcurrent: number;
  /** Calls waiting per endpoint; more are refused with -32050 ServerBusy. */
  readonly maxQueued: number;
  /** Per-call time limit (ms), unless the function sets its own. */
  readonly timeoutMs: number;
  /** After an abort, how long a call may take to stop before its worker is terminated. */
  readonly graceMs: number;
  /** Old-generation heap per worker. */
  readonly memoryMb: number;
  /** Largest result a call may return (bytes of JSON). */
  readonly maxResultBytes: number;
  /** Idle workers are stopped after this long. */
  readonly idleMs: number;
  /** Calls shorter than this on average are not spread over threads (`pick`; default `GROUP_BELOW_MS`). */
  readonly groupBelowMs?: number;
}

export interface WorkerCall {
  readonly file: string;
  readonly className: string | undefined;
  readonly fn: string;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly args: Record<string, unknown>;
  readonly timeoutMs?: number | undefined;
}

interface Running {
  readonly ctx: ToolContext;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
  readonly thread: Thread;
  /**
   * An error raised in the daemon by a ctx method (InputRequired, a missing capability): rethrown as is when the
   * bundle lets it propagate.
   */
  thrown?: Error;
  /** The call's outcome decided by the daemon (a timeout), whatever the worker answers. */
  forced?: Error;
  /** When it was sent (`performance.now()`), its time limit, and when that runs out (Infinity once acted on). */
  readonly startedAt: number;
  readonly timeoutMs: number;
  deadline: number;
  /** Sent to a thread that had answered before (its time says something about the call). */
  readonly warm: boolean;
  grace?: NodeJS.Timeout;
  onAbort?: () => void;
}

/** The daemon's own ctx (tool-context.ts) lets the pool listen for aborts without creating an AbortSignal. */
interface Cancellable {
  readonly cancelled: boolean;
  onCancel(listener: () => void): void;
  offCancel(listener: () => void): void;
}

interface Thread {
  readonly worker: Runner;
  load: number;
  dead: boolean;
  /** Takes no new calls; stops once its calls are done (after a new version of the endpoint's code). */
  draining: boolean;
  /** Messages waiting for this turn's postMessage, as JSON text. */
  outbox: string[];
  /** When it last answered (`performance.now()`). */
  heardAt: number;
}

/**
 * Calls shorter than this on average (send to answer) are not spread over threads (`pick`). Waking a thread costs the
 * event loop ~15 µs on a small VM (an inter-processor interrupt, measured), and a thread runs such calls faster than
 * the event loop can send them.
 */
const GROUP_BELOW_MS = 1;
/** A thread that has calls and has not answered for this long may be stuck in one: calls go elsewhere. */
const STALLED_MS = 5;

export class EndpointWorkers {
  private readonly threads: Thread[] = [];
  private readonly running = new Map<number, Running>();
  private readonly queue: (() => void)[] = [];
  private active = 0;
  private nextId = 0;
  private readonly idle: IdleCheck;
  /** Every call's time limit, on one timer. */
  private readonly deadlines = new DeadlineTimer((now) => this.expire(now));
  /** How long calls take, send to answer (ms; a moving average over the last twenty or so, NaN before the first). */
  private callMs = Number.NaN;
  /** callHead's cache: per settings object, per file, class and function. */
  private readonly heads = new WeakMap<object, Map<string, string>>();

  constructor(
    readonly endpointId: string,
    private readonly limits: PoolLimits,
    private readonly logger: Logger,
    private readonly counters: WorkerCounters = newWorkerCounters(),
    /** Set for the `process` level: each runner is a child process confined to this sandbox. */
    private readonly sandbox?: Sandbox,
  ) {
    this.idle = new IdleCheck(
      limits.idleMs,
      () => this.active > 0,
      () => {
        for (const t of [...this.threads]) void this.kill(t, 'idle');
      },
    );
  }

  /** Worker threads alive (draining ones included). */
  get size(): number {
    return this.threads.length;
  }

  run(call: WorkerCall, ctx: ToolContext): Promise<unknown> {
    const cancellable = ctx as Partial<Cancellable>;
    if (cancellable.cancelled ?? ctx.signal.aborted) return Promise.reject(ctx.signal.reason as Error);
    if (this.active < this.limits.maxConcurrent) return this.start(call, ctx);
    if (this.queue.length >= this.limits.maxQueued) {
      this.counters.busy++;
      // A protocol error (not a tool failure): the client should retry later, as with HTTP 429.
      return Promise.reject(
        Object.assign(new Error(`Too many calls in progress on endpoint ${this.endpointId}; retry later`), {
          code: ErrorCode.ServerBusy,
          data: { retryAfterMs: 1000 },
        }),
      );
    }
    return new Promise<void>((resolve) => this.queue.push(resolve)).then(() => this.start(call, ctx));
  }

  /**
   * After the endpoint's code changed: new calls go to fresh workers, and the current ones stop as soon as the calls
   * they run are done, so those finish on the version they started with and the old version's modules are released.
   */
  recycle(): void {
    for (const t of [...this.threads]) {
      t.draining = true;
      if (t.load === 0) void this.kill(t, 'recycled');
    }
  }

  /** Stops every worker; calls still running fail. */
  async close(): Promise<void> {
    this.idle.stop();
    this.deadlines.stop();
    await Promise.all([...this.threads].map((t) => this.kill(t, 'the daemon is shutting down')));
  }

  private start(call: WorkerCall, ctx: ToolContext): Promise<unknown> {
    this.active++;
    const thread = this.pick();
    const id = ++this.nextId;
    thread.load++;
    return new Promise<unknown>((resolve, reject) => {
      const timeoutMs = call.timeoutMs ?? this.limits.timeoutMs;
      const startedAt = performance.now();
      const deadline = startedAt + timeoutMs;
      const warm = thread.heardAt > 0;
      const r: Running = { ctx, resolve, reject, thread, startedAt, warm, timeoutMs, deadline };
      this.running.set(id, r);
      this.deadlines.add(deadline);
      r.onAbort = () => this.abort(id, 'The request was cancelled', false);
      const cancellable = ctx as Partial<Cancellable>;
      if (cancellable.onCancel) cancellable.onCancel(r.onAbort);
      else ctx.signal.addEventListener('abort', r.onAbort, { once: true });
      const info: CallInfo = {
        endpointId: ctx.endpointId,
        requestId: ctx.requestId,
        clientCapabilities: ctx.clientCapabilities,
        inputResponses:
          (ctx as { inputResponses?: () => Readonly<Record<string, unknown>> }).inputResponses?.() ?? {},
      };
      let text: string;
      try {
        // What is the same for every call of this function is serialized once (callHead).
        text = `{"t":"call","id":${id},${this.callHead(call)},"args":${JSON.stringify(call.args)},"info":${JSON.stringify(info)}}`;
      } catch (err) {
        // Arguments that JSON cannot carry (a cycle, a BigInt): only this call fails.
        const message = `Arguments cannot be sent to the worker: ${(err as Error).message}`;
        this.finish(id, new ExecutionError('MCPD_EXEC_INVALID', message));
        return;
      }
      this.send(thread, text);
    });
  }

  /**
   * The JSON text of a call's fields that depend only on the function called (its module file, class, name and
   * settings) and the pool's limits, kept with the call site's settings object: serialized once, not per call.
   */
  private callHead(call: WorkerCall): string {
    let heads = this.heads.get(call.settings);
    if (!heads) this.heads.set(call.settings, (heads = new Map()));
    const key = `${call.file}\u0000${call.className ?? ''}\u0000${call.fn}`;
    let head = heads.get(key);
    if (head === undefined) {
      head = JSON.stringify({
        file: call.file,
        className: call.className,
        fn: call.fn,
        settings: call.settings,
        maxResultBytes: this.limits.maxResultBytes,
      }).slice(1, -1);
      heads.set(key, head);
    }
    return head;
  }

  /**
   * Queues a message for a worker. Everything queued in one turn of the event loop (under load: every request read
   * in that turn) goes in one postMessage, which costs about what a single message costs.
   */
  private send(thread: Thread, message: ToWorker | string): void {
    if (thread.dead) return;
    let text: string;
    try {
      text = typeof message === 'string' ? message : JSON.stringify(message);
    } catch (err) {
      // A ctx answer that JSON cannot carry: the bundle's request fails instead.
      if (typeof message === 'string' || message.t !== 'reply') return;
      const error = {
        name: 'Error',
        message: `The answer cannot be sent to the worker: ${(err as Error).message}`,
      };
      text = JSON.stringify({ t: 'reply', rid: message.rid, ok: false, error });
    }
    thread.outbox.push(text);
    if (thread.outbox.length === 1) setImmediate(() => this.flush(thread));
  }

  private flush(thread: Thread): void {
    const batch = thread.outbox;
    thread.outbox = [];
    if (thread.dead || batch.length === 0) return;
    // As JSON text: everything sent to a worker came from JSON (requests, settings, client answers), and one
    // string crosses the thread boundary much more cheaply than the structured clone of the objects.
    thread.worker.postMessage(batch.length === 1 ? batch[0]! : `[${batch.join(',')}]`);
  }

  /**
   * An idle live thread; else a new one while there are fewer than the limit; else the least loaded. A thread is
   * started only when every one is busy, so an endpoint whose calls come one at a time keeps a single thread (with
   * many endpoints on a few cores, each thread more is memory and scheduling for nothing). Quick calls (well under a
   * millisecond on average) all go to one thread while it keeps answering: spreading a turn's calls over two threads
   * woke both, for nothing (worker+recording 2–5% slower with two threads than with one, measured). Runs on every call.
   */
  private pick(): Thread {
    // Quick calls: the first live thread that answers, so that one wake-up serves every call of a turn.
    if (this.callMs < (this.limits.groupBelowMs ?? GROUP_BELOW_MS)) {
      const now = performance.now();
      for (const t of this.threads) {
        if (!t.dead && !t.draining && (t.load === 0 || now - t.heardAt < STALLED_MS)) return t;
      }
    }
    let best: Thread | undefined;
    let alive = 0;
    for (const t of this.threads) {
      if (t.dead || t.draining) continue;
      alive++;
      if (!best || t.load < best.load) best = t;
    }
    if (best && best.load === 0) return best;
    return alive < this.limits.threads || !best ? this.spawn() : best;
  }

  private spawn(): Thread {
    const worker = this.sandbox ? processRunner(this.limits, this.sandbox) : threadRunner(this.limits);
    this.counters.spawned++;
    const forward = (stream: 'stdout' | 'stderr') => (chunk: Buffer) =>
      this.logger.info(
        { endpoint: this.endpointId, stream, output: chunk.toString('utf8').slice(0, 2000) },
        'bundle output',
      );
    worker.stdout.on('data', forward('stdout'));
    worker.stderr.on('data', forward('stderr'));
    const thread: Thread = { worker, load: 0, dead: false, draining: false, outbox: [], heardAt: 0 };
    this.threads.push(thread);
    worker.onMessage((m) => {
      thread.heardAt = performance.now();
      this.onMessages(m);
    });
    worker.onError((err, oom) => {
      this.logger.warn({ err, endpoint: this.endpointId }, 'bundle worker failed');
      if (!thread.dead) this.counters.crashed++;
      this.bury(thread, oom ? 'The tool ran out of memory' : 'The tool crashed its worker');
    });
    worker.onExit(({ code, outOfMemory }) => {
      // Not by our hand (kill marks the thread dead first): the tool ended its own thread or process.
      if (!thread.dead) this.counters.crashed++;
      this.bury(
        thread,
        outOfMemory ? 'The tool ran out of memory' : `The tool's worker exited (code ${code})`,
      );
    });
    return thread;
  }

  private onMessages(m: FromWorker | FromWorker[]): void {
    if (Array.isArray(m)) for (const one of m) this.onMessage(one);
    else this.onMessage(m);
  }

  private onMessage(m: FromWorker): void {
    const r = this.running.get(m.id);
    if (!r) return;
    if (m.t === 'done') {
      if (r.forced) return this.finish(m.id, r.forced);
      if (m.ok) return this.finish(m.id, undefined, m.value);
      const propagated = r.thrown && r.thrown.message === m.error?.message ? r.thrown : undefined;
      return this.finish(m.id, propagated ?? fromWire(m.error));
    }
    void this.ctxCall(r, m.op, m.args).then(
      (value) => {
        if (m.rid !== undefined) this.send(r.thread, { t: 'reply', rid: m.rid, ok: true, value });
      },
      (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        r.thrown ??= e;
        if (m.rid !== undefined) this.send(r.thread, { t: 'reply', rid: m.rid, ok: false, error: toWire(e) });
      },
    );
  }

  private ctxCall(r: Running, op: CtxOp, args: unknown[]): Promise<unknown> {
    const ctx = r.ctx as unknown as Record<string, (...a: unknown[]) => unknown>;
    try {
      return Promise.resolve(ctx[op]!(...args));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /** Aborts the calls whose time is up; returns the next deadline. */
  private expire(now: number): number {
    let next = Infinity;
    for (const [id, r] of this.running) {
      if (r.deadline <= now) {
        r.deadline = Infinity;
        this.abort(id, `The call took longer than ${r.timeoutMs} ms`, true);
      } else if (r.deadline < next) next = r.deadline;
    }
    return next;
  }

  /** Aborts a call; when it does not stop within the grace period, its worker is terminated. */
  private abort(id: number, reason: string, timedOut: boolean): void {
    const r = this.running.get(id);
    if (!r || r.grace) return;
    this.send(r.thread, { t: 'abort', id, reason });
    if (timedOut) {
      r.forced = new ExecutionError('MCPD_EXEC_TIMEOUT', reason);
      this.counters.timeouts++;
    }
    r.grace = setTimeout(() => {
      if (!this.running.has(id)) return;
      this.logger.warn(
        { endpoint: this.endpointId },
        'a bundle call ignored its abort signal; terminating its worker',
      );
      void this.kill(r.thread, timedOut ? reason : 'The call did not stop after it was cancelled');
    }, this.limits.graceMs);
  }

  private async kill(thread: Thread, reason: string): Promise<void> {
    this.bury(thread, reason);
    await thread.worker.terminate();
  }

  /** A worker is gone: its calls fail with `reason`, and the next call starts a fresh one. */
  private bury(thread: Thread, reason: string): void {
    if (thread.dead) return;
    thread.dead = true;
    this.counters.ended++;
    const i = this.threads.indexOf(thread);
    if (i >= 0) this.threads.splice(i, 1);
    for (const [id, r] of this.running) {
      if (r.thread === thread) this.finish(id, r.forced ?? new ExecutionError('MCPD_EXEC_CRASHED', reason));
    }
  }

  private finish(id: number, error: Error | undefined, value?: unknown): void {
    const r = this.running.get(id);
    if (!r) return;
    this.running.delete(id);
    // The deadline timer keeps the process alive while calls run (the workers do not), and only then.
    if (this.running.size === 0) this.deadlines.idle();
    clearTimeout(r.grace);
    if (r.onAbort) {
      const cancellable = r.ctx as Partial<Cancellable>;
      if (cancellable.offCancel) cancellable.offCancel(r.onAbort);
      else r.ctx.signal.removeEventListener('abort', r.onAbort);
    }
    r.thread.load--;
    if (r.thread.draining && r.thread.load === 0) void this.kill(r.thread, 'recycled');
    this.active--;
    this.queue.shift()?.();
    if (this.active === 0 && this.queue.length === 0) this.idle.start();
    // Not counted: a call its thread's start and first import made slow, and one the time limit stopped.
    if (!r.forced && r.warm) {
      const ms = performance.now() - r.startedAt;
      this.callMs = Number.isNaN(this.callMs) ? ms : this.callMs * 0.9 + ms * 0.1;
    }
    if (error) r.reject(error);
    else r.resolve(value);
  }
}
