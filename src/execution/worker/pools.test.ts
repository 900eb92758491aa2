import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../observability/logger.js';
import type { ToolContext } from '../../sdk/types.js';
import { WorkerPools } from './pools.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpd-pools-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'm.mjs'),
  'export async function wait({ ms }) { await new Promise((r) => setTimeout(r, ms)); return "done"; }',
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
    const pools = new WorkerPools(limits, silentLogger);
    const pool = pools.for('ep', 'worker');
    const quick = { ...call, args: { ms: 1 } };
    for (let i = 0; i < 3; i++) expect(await pool.run(quick, ctx())).toBe('done');
    expect(pool.size).toBe(1);
    await Promise.all([pool.run(call, ctx()), pool.run(call, ctx()), pool.run(call, ctx())]);
    expect(pool.size).toBe(2);
    await pools.close();
  });

  it('refuses the process level where no sandbox is configured', () => {
    expect(() => new WorkerPools(limits, silentLogger).for('ep', 'process')).toThrow(/not configured/);
  });
});
