import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFolderBlobStore } from '../blobs/folder.js';
import type { BlobStore } from '../blobs/index.js';
import { createLineLogger, silentLogger } from '../observability/logger.js';
import type { FunctionCallRecord, Store } from '../store/index.js';
import { openDatabase } from '../store/sqlite-driver.js';
import { createSqliteStore } from '../store/sqlite.js';
import { callId } from './call-id.js';
import { type CallStart, CallRecorder, INTERRUPTED_NOTE, type RecorderOptions } from './recorder.js';

const START: CallStart = {
  partition: 'ep1#p',
  name: 'echo',
  mcpType: 'tool',
  arguments: { text: 'hi' },
  era: '2025-11-25',
  sessionId: 's-1',
  requestId: 3,
  principal: 'anonymous',
  bundleVersion: 'abc',
  isolation: 'inline',
};

let dir: string;
let store: Store;
let blobs: BlobStore;
const recorders: CallRecorder[] = [];
const make = (opts: Partial<RecorderOptions> = {}) => {
  const r = new CallRecorder({
    store,
    blobs,
    logger: silentLogger,
    instanceId: 'inst-1',
    offloadBytes: 1000,
    ...opts,
  });
  recorders.push(r);
  return r;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const settle = () => sleep(20);

/** The stored record once `ready` holds for it (writes go through timers and, for offloads, the file system). */
async function stored(uuid: string, ready: (r: FunctionCallRecord) => boolean = () => true) {
  for (let i = 0; i < 200; i++) {
    const r = await store.calls.get('ep1#p', uuid);
    if (r && ready(r)) return r;
    await settle();
  }
  return store.calls.get('ep1#p', uuid);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mcpd-rec-'));
  store = createSqliteStore({ path: ':memory:' });
  blobs = createFolderBlobStore(join(dir, 'blobs'));
});
afterEach(async () => {
  for (const r of recorders.splice(0)) await r.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('call ids', () => {
  it('are UUID version 7 and sort by time', () => {
    const a = callId(1_700_000_000_000);
    const b = callId(1_700_000_000_001);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
    expect(callId()).not.toBe(callId());
    // Two ids of one millisecond share the time, never the random part.
    const c = callId(1_700_000_000_001);
    expect(c.slice(0, 15)).toBe(b.slice(0, 15));
    expect(c).not.toBe(b);
    expect(callId(1_700_000_000_000).slice(0, 15)).toBe(a.slice(0, 15));
    expect(a.slice(0, 13)).toBe('018bcfe5-6800');
    expect(callId(0x123456789abc).slice(0, 15)).toBe('12345678-9abc-7');
  });

  it('never repeat, and spread their random bits over every digit and variant', () => {
    const ids = Array.from({ length: 20_000 }, () => callId(1_700_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^018bcfe5-6800-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids.map((id) => id[19])).size).toBe(4);
    for (const at of [15, 17, 20, 22, 24, 35]) expect(new Set(ids.map((id) => id[at])).size).toBe(16);
  });
});

describe('CallRecorder', () => {
  it('records a call with every field, written once when it ends within its batch', async () => {
    const r = make();
    const putMany = vi.spyOn(store.calls, 'putMany');
    const h = r.begin(START);
    await r.end(h, {
      status: 'completed',
      content: [{ type: 'image', data: 'aGk=', mimeType: 'image/png' }],
      structuredContent: { ok: true },
    });
    await settle();
    expect(putMany).toHaveBeenCalledTimes(1);
    expect(putMany.mock.calls[0]?.[0]).toHaveLength(1);
    const rec = await store.calls.get('ep1#p', h.uuid);
    expect(rec).toMatchObject({
      name: 'echo',
      mcp_type: 'tool',
      arguments: { text: 'hi' },
      status: 'completed',
      content: [{ type: 'image', data: 'aGk=', mimeType: 'image/png' }],
      structured_content: { ok: true },
      content_in_s3: false,
      endpoint_id: 'ep1',
      principal: 'anonymous',
      bundle_version: 'abc',
      era: '2025-11-25',
      session_id: 's-1',
      request_id: 3,
      isolation: 'inline',
      instance_id: 'inst-1',
    });
    expect(typeof rec?.time_spent).toBe('number');
    expect(rec?.time_spent).toBeGreaterThanOrEqual(0);
    expect(rec!.updated_at >= rec!.created_at).toBe(true);
    expect(r.stats).toMatchObject({ written: 1, failedWrites: 0, pending: 0 });
  });

  it('shows a long call as in_process until it ends, then failed with its note', async () => {
    const r = make();
    const h = r.begin(START);
    await settle();
    expect((await store.calls.get('ep1#p', h.uuid))?.status).toBe('in_process');
    await r.end(h, { status: 'failed', content: null, notes: 'boom' });
    expect(await stored(h.uuid, (x) => x.status !== 'in_process')).toMatchObject({
      status: 'failed',
      notes: 'boom',
    });
  });

  it('with a begin delay, writes a short call once and a long one as in_process once the delay has passed', async () => {
    const r = make({ beginDelayMs: 200 });
    const putMany = vi.spyOn(store.calls, 'putMany');
    const short = r.begin(START);
    const long = r.begin({ ...START, name: 'slow' });
    await r.end(short, { status: 'completed', content: [] });
    await settle();
    // Only the short call's final record so far; the long one is visible through the recorder, not yet stored.
    expect(putMany.mock.calls.flatMap((c) => c[0]).map((x) => [x.name, x.status])).toEqual([
      ['echo', 'completed'],
    ]);
    expect(await store.calls.get('ep1#p', long.uuid)).toBeUndefined();
    expect((await r.get('ep1#p', long.uuid))?.status).toBe('in_process');
    await sleep(200);
    expect((await stored(long.uuid))?.status).toBe('in_process');
    await r.end(long, { status: 'completed', content: [] });
    expect((await stored(long.uuid, (x) => x.status !== 'in_process'))?.status).toBe('completed');
    expect(putMany.mock.calls.flatMap((c) => c[0])).toHaveLength(3);
  });

  it('with a begin delay, writes due in_process records in order and waits for the next one', async () => {
    const r = make({ beginDelayMs: 100 });
    const first = r.begin(START);
    await sleep(60);
    const second = r.begin({ ...START, name: 'second' });
    await sleep(70); // first is due, second is not
    expect((await store.calls.get('ep1#p', first.uuid))?.status).toBe('in_process');
    expect(await store.calls.get('ep1#p', second.uuid)).toBeUndefined();
    await sleep(120);
    expect((await store.calls.get('ep1#p', second.uuid))?.status).toBe('in_process');
  });

  it('on close, records a call whose in_process record was still delayed as interrupted', async () => {
    const r = make({ beginDelayMs: 60_000 });
    const h = r.begin(START);
    await r.close();
    expect(await store.calls.get('ep1#p', h.uuid)).toMatchObject({
      status: 'failed',
      notes: INTERRUPTED_NOTE,
    });
  });

  it('offloads large content to the blob store under the partition', async () => {
    const r = make();
    const big = [{ type: 'text', text: 'x'.repeat(5000) }];
    const h = r.begin(START);
    await r.end(h, { status: 'completed', content: big });
    const rec = await stored(h.uuid);
    expect(rec).toMatchObject({ content: null, content_in_s3: true });
    const blob = await blobs.get(`mcp_content/ep1#p/${h.uuid}.json`);
    expect(JSON.parse(blob?.toString('utf8') ?? 'null')).toEqual(big);
    expect(r.stats.offloaded).toBe(1);
  });

  it('never fails or holds a call when the store is down, and retries until the record is written', async () => {
    const r = make({ retryMs: 10, durableAnswers: true });
    const putMany = vi.spyOn(store.calls, 'putMany').mockRejectedValueOnce(new Error('store down'));
    const h = r.begin(START);
    await r.end(h, { status: 'completed', content: [] }); // resolves although the write failed
    expect(r.stats.failedWrites).toBe(1);
    expect((await stored(h.uuid))?.status).toBe('completed');
    expect(putMany.mock.calls.length).toBeGreaterThanOrEqual(2);
  });

  it('with durable answers, resolves end only once the record is in the store', async () => {
    const r = make({ durableAnswers: true });
    const h = r.begin(START);
    await r.end(h, { status: 'completed', content: [] });
    expect((await store.calls.get('ep1#p', h.uuid))?.status).toBe('completed');
  });

  it('writes a full batch at once without waiting for the batch window', async () => {
    const r = make({ batchMs: 60_000, batchMax: 10 });
    const putMany = vi.spyOn(store.calls, 'putMany');
    for (let i = 0; i < 10; i++) r.begin(START);
    await settle();
    expect(putMany).toHaveBeenCalledTimes(1);
    expect(putMany.mock.calls[0]?.[0]).toHaveLength(10);
  });

  it('on close, records calls still running as interrupted and writes everything queued', async () => {
    const r = make({ batchMs: 60_000 });
    const running = r.begin(START);
    const done = r.begin({ ...START, name: 'other' });
    void r.end(done, { status: 'completed', content: [] });
    await r.close();
    expect(await store.calls.get('ep1#p', running.uuid)).toMatchObject({
      status: 'failed',
      notes: INTERRUPTED_NOTE,
    });
    expect((await store.calls.get('ep1#p', done.uuid))?.status).toBe('completed');
    // A call that ends after close changes nothing.
    await r.end(running, { status: 'completed', content: [] });
    await settle();
    expect((await store.calls.get('ep1#p', running.uuid))?.status).toBe('failed');
  });

  it('recover marks what this instance left in_process (a crash) as failed', async () => {
    const crashed = make();
    const h = crashed.begin(START);
    expect((await stored(h.uuid))?.status).toBe('in_process');
    const next = make();
    expect(await next.recover()).toBe(1);
    expect(await store.calls.get('ep1#p', h.uuid)).toMatchObject({
      status: 'failed',
      notes: INTERRUPTED_NOTE,
    });
  });
});

describe('call records through the SQLite writer thread', () => {
  /** A file store whose writes can be made to fail, with a real SQLite error raised by a trigger. */
  async function fileStore(maxBacklog?: number) {
    await store.close();
    const path = join(dir, 'calls.db');
    store = createSqliteStore({
      path,
      writer: { retryMs: 10, idle: false, ...(maxBacklog ? { maxBacklog } : {}) },
    });
    const db = openDatabase(path);
    db.exec(`CREATE TABLE block (x);
      CREATE TRIGGER block_insert BEFORE INSERT ON calls WHEN EXISTS (SELECT 1 FROM block)
        BEGIN SELECT RAISE(ABORT, 'writes are blocked'); END;
      CREATE TRIGGER refuse_poison BEFORE INSERT ON calls WHEN NEW.name = 'poison'
        BEGIN SELECT RAISE(ABORT, 'poison is refused'); END;`);
    const control = {
      block: () => db.exec('INSERT INTO block VALUES (1)'),
      unblock: () => db.exec('DELETE FROM block'),
      onDisk: (uuid: string) => db.prepare('SELECT status FROM calls WHERE sort_key = ?').all(uuid),
    };
    closers.push(() => db.close());
    return control;
  }
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const c of closers.splice(0)) c();
  });
  const until = async (check: () => boolean, what: string) => {
    for (let i = 0; i < 300 && !check(); i++) await sleep(10);
    if (!check()) throw new Error(`timed out waiting for ${what}`);
  };

  it('hands each batch over without waiting for the last one, and reads a record the writer still holds', async () => {
    const db = await fileStore();
    db.block();
    const r = make({ batchMs: 1 });
    const first = r.begin(START);
    void r.end(first, { status: 'completed', content: [{ type: 'text', text: 'one' }] });
    await until(() => r.stats.failedWrites >= 1, 'a failed write');
    const second = r.begin({ ...START, name: 'other' });
    void r.end(second, { status: 'failed', content: null, notes: 'broke' });
    // The second batch went to the writer although the first is not written: both wait there, in order.
    await until(() => store.callWriter?.backlog === 2, 'both records in the writer');
    expect(r.stats.pending).toBe(2);
    expect(db.onDisk(first.uuid)).toEqual([]);
    expect(await r.get('ep1#p', first.uuid)).toMatchObject({
      status: 'completed',
      content: [{ text: 'one' }],
    });
    expect(await r.get('ep1#p', second.uuid)).toMatchObject({ status: 'failed', notes: 'broke' });
    expect(await r.get('elsewhere', second.uuid)).toBeUndefined();

    db.unblock();
    await until(() => r.stats.written === 2, 'both records written');
    expect(db.onDisk(first.uuid)).toEqual([{ status: 'completed' }]);
    expect(db.onDisk(second.uuid)).toEqual([{ status: 'failed' }]);
    expect(r.stats.pending).toBe(0);
  });

  it('with durable answers, an answer waits for its record on disk, or for the first failure when writes fail', async () => {
    const db = await fileStore();
    const r = make({ durableAnswers: true });
    const ok = r.begin(START);
    await r.end(ok, { status: 'completed', content: [] });
    expect(db.onDisk(ok.uuid)).toEqual([{ status: 'completed' }]);

    db.block();
    const held = r.begin(START);
    await r.end(held, { status: 'completed', content: [] });
    expect(r.stats.failedWrites).toBeGreaterThanOrEqual(1);
    expect(db.onDisk(held.uuid)).toEqual([]);
    db.unblock();
    await until(() => db.onDisk(held.uuid).length === 1, 'the held record on disk');
  });

  it('puts back a batch whose content could not be offloaded, and writes it once the blob store works', async () => {
    await fileStore();
    const root = join(dir, 'not-yet-a-folder');
    writeFileSync(root, 'a file where the blob folder should be');
    blobs = createFolderBlobStore(root);
    const r = make({ retryMs: 10 });
    const h = r.begin(START);
    void r.end(h, { status: 'completed', content: [{ type: 'text', text: 'x'.repeat(5000) }] });
    await until(() => r.stats.failedWrites >= 1, 'a failed offload');
    expect(await store.calls.get('ep1#p', h.uuid)).toBeUndefined();
    // Still findable while it waits for its retry.
    expect(await r.get('ep1#p', h.uuid)).toMatchObject({ status: 'completed' });
    rmSync(root);
    expect(await stored(h.uuid)).toMatchObject({ content: null, content_in_s3: true, status: 'completed' });
    expect(r.stats.offloaded).toBe(1);
  });

  it('on close, waits for what it handed over, and logs records the writer still holds after failed writes', async () => {
    const db = await fileStore();
    const lines: string[] = [];
    const r = make({ logger: createLineLogger('error', (l) => lines.push(l)) });
    const done = r.begin(START);
    await r.end(done, { status: 'completed', content: [] });
    await until(() => db.onDisk(done.uuid).length === 1, 'the first record on disk');
    db.block();
    const held = r.begin(START);
    void r.end(held, { status: 'completed', content: [] });
    await r.close();
    const logged = lines.map((l) => JSON.parse(l) as { msg: string; records?: number });
    expect(logged.some((l) => l.msg === 'call records not written; will retry')).toBe(true);
    expect(logged.at(-1)).toMatchObject({
      records: 1,
      msg: 'call records are held by the store writer after failed writes; it tries once more as the store closes',
    });
    // The store's last attempt succeeds once writes work again.
    db.unblock();
    await store.close();
    expect(db.onDisk(held.uuid)).toEqual([{ status: 'completed' }]);
    store = createSqliteStore({ path: ':memory:' });
  });

  it('counts and logs records the store refuses for good, and writes the others', async () => {
    const db = await fileStore();
    const lines: string[] = [];
    const r = make({ logger: createLineLogger('error', (l) => lines.push(l)) });
    const bad = r.begin({ ...START, name: 'poison' });
    const good = r.begin(START);
    void r.end(bad, { status: 'completed', content: [] });
    void r.end(good, { status: 'completed', content: [] });
    await until(() => r.stats.lost === 1 && r.stats.written === 1, 'the refused record counted');
    expect(db.onDisk(good.uuid)).toEqual([{ status: 'completed' }]);
    expect(db.onDisk(bad.uuid)).toEqual([]);
    expect(r.stats.pending).toBe(0);
    const logged = lines.map((l) => JSON.parse(l) as { msg: string });
    expect(logged.filter((l) => l.msg === 'call records lost')).toMatchObject([
      { records: 1, err: { message: 'SQLite refused 1 call records: poison is refused' } },
    ]);
  });

  it('drops records past what the writer may hold while writes fail, logging the losses once a second and at close', async () => {
    const db = await fileStore(2);
    db.block();
    const lines: string[] = [];
    const r = make({ logger: createLineLogger('error', (l) => lines.push(l)), batchMs: 1 });
    const calls = [];
    for (let i = 0; i < 5; i++) {
      const h = r.begin(START);
      calls.push(h);
      void r.end(h, { status: 'completed', content: [] });
      await until(() => r.stats.pending === 0 || store.callWriter!.backlog > 0, 'the batch handed over');
      await sleep(5);
    }
    await until(() => r.stats.lost === 3, 'three records lost');
    expect(store.callWriter!.backlog).toBe(2);
    db.unblock();
    await until(() => r.stats.written === 2, 'the two held records written');
    await r.close();
    expect(calls.map((c) => db.onDisk(c.uuid).length)).toEqual([1, 1, 0, 0, 0]);
    const lost = lines
      .map((l) => JSON.parse(l) as { msg: string; records?: number })
      .filter((l) => l.msg === 'call records lost');
    // The first loss at once, the two after it (within the second) at close.
    expect(lost.map((l) => l.records)).toEqual([1, 2]);
  });
});
