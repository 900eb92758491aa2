import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../observability/logger.js';
import type { ToolContext } from '../../sdk/types.js';
import type { EndpointWorkers, PoolLimits } from './pool.js';
import { WorkerPools } from './pools.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpd-pools-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'm.mjs'),
  `export async function wait({ ms }) { await new Promise((r) => setTimeout(r, ms)); return "done"; }
  export async function waitAbortable({ ms }, ctx) {
    await new Promise((resolve, reject) => {
      const t = setTimeout(resolve, ms);
      ctx.signal.addEventListener('abort', () => (clearTimeout(t), reject(new Error('aborted'))));
    });
    return "done";
  }
  export function quick() { return "quick"; }
  export function spin({ ms }) { const end = Date.now() + ms; while (Date.now() < end); return "spun"; }`,
);

const limits = {
  threads: 2,
  maxConcurrent: 8,
  maxQueued: 8,
  timeoutMs: 10_000,
  graceMs: 100,
  memoryMb: 64,
  maxResultBytes: 1_000_000,
  idleMs: 60_000,
};
const ctx = () =>
  ({
    signal: new AbortController().signal,
    endpointId: 'ep',
    requestId: 1,
    clientCapabilities: {},
  }) as unknown as ToolContext;
const call = { file: join(dir, 'm.mjs'), className: undefined, fn: 'wait', settings: {}, args: { ms: 300 } };

/** Runs `body` with an endpoint's thread pool under these limits, and closes the pools after. */
async function withPool(
  over: Partial<PoolLimits>,
  body: (pool: EndpointWorkers, pools: WorkerPools) => Promise<void>,
): Promise<void> {
  const pools = new WorkerPools({ ...limits, ...over }, silentLogger);
  try {
    await body(pools.for('ep', 'worker'), pools);
  } finally {
    await pools.close();
  }
}

describe('WorkerPools', () => {
  it('stops every worker of every level on close, so the daemon can exit (threads and processes)', async () => {
    const pools = new WorkerPools(limits, silentLogger, () => ({ read: [dir], write: dir, network: 'host' }));
    for (const level of ['worker', 'process'] as const) {
      const pool = pools.for('ep', level);
      const running = [pool.run(call, ctx()), pool.run(call, ctx())];
      await new Promise((r) => setTimeout(r, 50));
      expect(pool.size).toBe(2);
      void Promise.allSettled(running);
    }
    expect(pools.threads).toBe(4);
    await pools.close();
    expect(pools.threads).toBe(0);
    expect(pools.counters).toMatchObject({ spawned: 4, ended: 4, crashed: 0 });
  });

  it('starts a second thread only when the first is busy', async () => {
    // Calls count as slow here, whatever this machine's speed: they are spread over threads.
    await withPool({ groupBelowMs: 0 }, async (pool) => {
      const quick = { ...call, args: { ms: 1 } };
      for (let i = 0; i < 3; i++) expect(await pool.run(quick, ctx())).toBe('done');
      expect(pool.size).toBe(1);
      await Promise.all([pool.run(call, ctx()), pool.run(call, ctx()), pool.run(call, ctx())]);
      expect(pool.size).toBe(2);
    });
  });

  it('holds each call to its own time limit, a shorter one while a longer one runs too', async () => {
    const abortable = { ...call, fn: 'waitAbortable' };
    await withPool({ timeoutMs: 2_000 }, async (pool, pools) => {
      const long = pool.run({ ...abortable, args: { ms: 500 } }, ctx());
      // Begun after the long one, with a limit that ends first: it is stopped first.
      const short = pool.run({ ...abortable, args: { ms: 5_000 }, timeoutMs: 100 }, ctx());
      const first = await Promise.race([
        short.then(
          () => 'short done',
          (err: Error) => `short: ${err.message}`,
        ),
        long.then(() => 'long done'),
      ]);
      expect(first).toBe('short: The call took longer than 100 ms');
      expect(await long).toBe('done');
      // The default limit applies to calls begun later.
      await expect(pool.run({ ...abortable, args: { ms: 5_000 } }, ctx())).rejects.toThrow(
        'The call took longer than 2000 ms',
      );
      expect(pools.counters.timeouts).toBe(2);
      // A limit longer than a timer can wait (about 24.8 days) is waited for in steps, not cut to a millisecond.
      const patient = { ...abortable, args: { ms: 50 }, timeoutMs: 10_000_000_000 };
      expect(await pool.run(patient, ctx())).toBe('done');
      expect(pools.counters.timeouts).toBe(2);
    });
  });

  it('stops its workers once no call ran for idleMs, counting from the last call', async () => {
    await withPool({ idleMs: 300 }, async (pool, pools) => {
      const quick = { ...call, args: { ms: 1 } };
      await pool.run(quick, ctx());
      await new Promise((r) => setTimeout(r, 200));
      await pool.run(quick, ctx()); // 200 ms in: the first check finds it idle for less than 300 ms
      await new Promise((r) => setTimeout(r, 200));
      expect(pool.size).toBe(1);
      await new Promise((r) => setTimeout(r, 250));
      expect(pool.size).toBe(0);
      expect(pools.counters.ended).toBe(1);
    });
  });

  it('sends quick calls of one turn to one thread, and goes around a thread stuck in a long call', async () => {
    // What counts as quick is raised here, so that a slow test machine does not make these calls slow ones.
    await withPool({ groupBelowMs: 60_000 }, async (pool) => {
      const quick = { ...call, fn: 'quick', args: {} };
      // The first call (the thread's start and import) is not counted; the second sets the average.
      for (let i = 0; i < 2; i++) expect(await pool.run(quick, ctx())).toBe('quick');
      // Quick on average: ten calls at once share one thread (one wake-up), where a second was free to start.
      const ten = await Promise.all(Array.from({ length: 10 }, () => pool.run(quick, ctx())));
      expect(ten).toEqual(Array(10).fill('quick'));
      expect(pool.size).toBe(1);
      // A call that holds its thread: once the thread has not answered for a while, calls go to a second one.
      const stuck = pool.run({ ...call, fn: 'spin', args: { ms: 1_500 } }, ctx());
      await new Promise((r) => setTimeout(r, 50));
      const around = await Promise.race([pool.run(quick, ctx()), stuck]);
      expect(around).toBe('quick');
      expect(pool.size).toBe(2);
      expect(await stuck).toBe('spun');
    });
  });

  it('refuses the process level where no sandbox is configured', () => {
    expect(() => new WorkerPools(limits, silentLogger).for('ep', 'process')).toThrow(/not configured/);
  });
});
