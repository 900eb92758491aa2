import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FunctionCallRecord, HandOverEvents } from './index.js';
import { availableDrivers, type Database, openDatabase } from './sqlite-driver.js';
import { SqliteCallWriter } from './sqlite-writer.js';
import { createSqliteStore } from './sqlite.js';
import { idleClassReversible, schedulingClassOf } from './thread-priority.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpd-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const driver = availableDrivers()[0]!;
let files = 0;

/**
 * A database file with the calls table, and a switch that makes every write to it fail: a real SQLite error from
 * a trigger, as a full disk or a lock held too long would give.
 */
async function database() {
  const path = join(dir, `calls-${++files}.db`);
  await createSqliteStore({ path, driver, writerThread: false }).close();
  const db: Database = openDatabase(path, driver);
  db.exec(`CREATE TABLE block (x);
    CREATE TRIGGER block_insert BEFORE INSERT ON calls WHEN EXISTS (SELECT 1 FROM block)
      BEGIN SELECT RAISE(ABORT, 'writes are blocked'); END;
    CREATE TRIGGER refuse_poison BEFORE INSERT ON calls WHEN NEW.name = 'poison'
      BEGIN SELECT RAISE(ABORT, 'poison is refused'); END;`);
  return {
    path,
    block: () => db.exec('INSERT INTO block VALUES (1)'),
    unblock: () => db.exec('DELETE FROM block'),
    body: (uuid: string) =>
      db.prepare('SELECT body FROM calls WHERE sort_key = ?').get(uuid)?.['body'] as string,
    rows: (uuid: string) =>
      db.prepare('SELECT status FROM calls WHERE sort_key = ?').all(uuid) as { status: string }[],
    close: () => db.close(),
  };
}

function record(uuid: string, status: FunctionCallRecord['status'], at: string): FunctionCallRecord {
  return {
    partition_key: 'ep',
    mcp_function_call_uuid: uuid,
    name: 'echo',
    mcp_type: 'tool',
    arguments: { text: 'hi' },
    content: status === 'in_process' ? null : [{ type: 'text', text: 'hi' }],
    content_in_s3: false,
    status,
    notes: null,
    time_spent: status === 'in_process' ? null : 1.5,
    updated_by: 'anonymous',
    created_at: '2026-11-24T10:00:00.000Z',
    updated_at: at,
  };
}

/** Records what the writer reports on a batch. */
function listener() {
  const heard: string[] = [];
  const events: HandOverEvents = {
    written: () => heard.push('written'),
    refused: (err, records) => heard.push(`refused ${records}: ${err.message}`),
    failed: (err, retrying) => heard.push(`failed${retrying ? ' (retrying)' : ''}: ${err.message}`),
  };
  return { heard, events };
}

const until = async (check: () => boolean | Promise<boolean>, what: string) => {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('SQLite call writer thread', () => {
  it('keeps a failed batch first in line and retries it, so an older version never overwrites a newer one', async () => {
    const db = await database();
    const writer = new SqliteCallWriter({ path: db.path, driver, retryMs: 20, idle: false });
    try {
      db.block();
      const first = listener();
      const second = listener();
      writer.handOver([record('c1', 'in_process', '2026-11-24T10:00:00.000Z')], first.events);
      await until(() => first.heard.length === 1, 'the failed write');
      expect(first.heard[0]).toBe('failed (retrying): SQLite write to calls failed: writes are blocked');
      // Handed over while writes fail: it hears so at once (an answer waiting for it goes on), and waits behind
      // the first batch.
      writer.handOver([record('c1', 'completed', '2026-11-24T10:00:01.000Z')], second.events);
      await until(() => second.heard.length === 1, 'the second batch told of the failure');
      await new Promise((r) => setTimeout(r, 100)); // several retries, each reported once only
      expect(first.heard).toHaveLength(1);
      expect(second.heard).toEqual([first.heard[0]]);
      // Nothing on disk, yet the newest version is found; the writer holds both versions.
      expect(db.rows('c1')).toEqual([]);
      expect(writer.pending('ep', 'c1')).toMatchObject({ status: 'completed', time_spent: 1.5 });
      expect(writer.pending('other', 'c1')).toBeUndefined();
      expect(writer.backlog).toBe(2);

      db.unblock();
      await until(() => second.heard.includes('written'), 'the second batch');
      expect(first.heard.at(-1)).toBe('written');
      expect(db.rows('c1')).toEqual([{ status: 'completed' }]);
      expect(writer.backlog).toBe(0);
      expect(writer.pending('ep', 'c1')).toBeUndefined();
    } finally {
      expect(await writer.close()).toBe(0);
      db.close();
    }
  });

  it('drops only the rows SQLite refuses whatever happens, and writes those around them in order', async () => {
    const db = await database();
    const writer = new SqliteCallWriter({ path: db.path, driver, retryMs: 20, idle: false });
    try {
      const poison = (uuid: string) => ({ ...record(uuid, 'completed', 'a'), name: 'poison' });
      const first = listener();
      const second = listener();
      const third = listener();
      // A refused row alone in its batch, then a batch with one between two good ones.
      writer.handOver([poison('p1')], first.events);
      writer.handOver(
        [record('g1', 'in_process', 'a'), poison('p2'), record('g1', 'completed', 'b')],
        second.events,
      );
      await until(() => second.heard.includes('written'), 'the batches around the refused rows');
      expect(first.heard).toEqual([
        'failed (retrying): SQLite write to calls failed: poison is refused',
        'refused 1: SQLite refused 1 call records: poison is refused',
        'written',
      ]);
      expect(second.heard.slice(-2)).toEqual([
        'refused 1: SQLite refused 1 call records: poison is refused',
        'written',
      ]);
      expect(db.rows('p1')).toEqual([]);
      expect(db.rows('p2')).toEqual([]);
      expect(db.rows('g1')).toEqual([{ status: 'completed' }]);
      expect(writer.backlog).toBe(0);
      // A refused row last in line waits (the store may be failing from there on) until a row after it is written.
      writer.handOver([poison('p3')], third.events);
      await new Promise((r) => setTimeout(r, 150));
      expect(third.heard).toEqual(['failed (retrying): SQLite write to calls failed: poison is refused']);
      expect(writer.backlog).toBe(1);
      const fourth = listener();
      writer.handOver([record('g2', 'completed', 'a')], fourth.events);
      await until(() => fourth.heard.includes('written'), 'the batch behind it');
      expect(third.heard.slice(-2)).toEqual([
        'refused 1: SQLite refused 1 call records: poison is refused',
        'written',
      ]);
      expect(db.rows('g2')).toEqual([{ status: 'completed' }]);
      // putMany rejects at the first failure; the writer goes on, and writes the record beside the refused one.
      await expect(writer.putMany([poison('p4'), record('g3', 'completed', 'a')])).rejects.toThrow(
        /poison is refused/,
      );
      await until(() => db.rows('g3').length === 1, 'the record beside the refused one');
      expect(db.rows('p4')).toEqual([]);
    } finally {
      expect(await writer.close()).toBe(0);
      db.close();
    }
  });

  it('refuses records, as lost, while it holds as many as it may', async () => {
    const db = await database();
    const writer = new SqliteCallWriter({ path: db.path, driver, retryMs: 20, idle: false, maxBacklog: 3 });
    try {
      db.block();
      const held = listener();
      const over = listener();
      writer.handOver([record('h1', 'completed', 'a'), record('h2', 'completed', 'a')], held.events);
      writer.handOver([record('h3', 'completed', 'a'), record('h4', 'completed', 'a')], over.events);
      expect(over.heard).toEqual([
        'failed: The SQLite writer holds 2 call records it could not write yet (at most 3)',
      ]);
      expect(writer.backlog).toBe(2);
      db.unblock();
      await until(() => held.heard.includes('written'), 'the held batch');
      expect(db.rows('h1')).toEqual([{ status: 'completed' }]);
      expect(db.rows('h3')).toEqual([]);
      // Room again: records are taken.
      await writer.putMany([record('h5', 'completed', 'a')]);
      expect(db.rows('h5')).toEqual([{ status: 'completed' }]);
    } finally {
      expect(await writer.close()).toBe(0);
      db.close();
    }
  });

  it('makes one last attempt as it closes, and says how many records it could not write', async () => {
    const db = await database();
    const writer = new SqliteCallWriter({ path: db.path, driver, retryMs: 60_000, idle: false });
    db.block();
    const { heard, events } = listener();
    writer.handOver([record('c2', 'completed', 'a'), record('c3', 'completed', 'b')], events);
    await until(() => heard.length === 1, 'the first failure');
    expect(await writer.close()).toBe(2);
    expect(db.rows('c2')).toEqual([]);
    // Its batch hears that it is lost, and nothing waits for it any more.
    expect(heard.at(-1)).toBe('failed: The SQLite writer closed before writing these records');
    expect(writer.backlog).toBe(0);
    await writer.settled();
    // A second close answers the same; after it, a batch handed over is refused as lost at once.
    expect(await writer.close()).toBe(2);
    db.close();
  });

  it('writes what it holds when the store closes after writes succeed again', async () => {
    const db = await database();
    const writer = new SqliteCallWriter({ path: db.path, driver, retryMs: 60_000, idle: false });
    db.block();
    const { heard, events } = listener();
    writer.handOver([record('c4', 'completed', 'a')], events);
    await until(() => heard.length === 1, 'the first failure');
    db.unblock();
    expect(await writer.close()).toBe(0);
    expect(heard.at(-1)).toBe('written');
    expect(db.rows('c4')).toEqual([{ status: 'completed' }]);
    db.close();
  });

  it('reports batches as lost, not retried, once it is closed', async () => {
    const db = await database();
    const writer = new SqliteCallWriter({ path: db.path, driver, idle: false });
    await writer.close();
    const { heard, events } = listener();
    writer.handOver([record('c5', 'completed', 'a')], events);
    expect(heard).toEqual(['failed: The SQLite writer is closed']);
    await expect(writer.putMany([record('c6', 'completed', 'a')])).rejects.toThrow(/writer is closed/);
    db.close();
  });

  it('stays in the normal scheduling class unless asked for the idle one', async () => {
    const db = await database();
    const writer = new SqliteCallWriter({ path: db.path, driver });
    try {
      await writer.putMany([record('n0', 'completed', 'a')]);
      await until(() => writer.threadId !== undefined, 'the thread id');
      await new Promise((r) => setTimeout(r, 100));
      expect(await schedulingClassOf(writer.threadId!)).toBe('normal');
      expect(writer.schedulingClass).toBe('normal');
    } finally {
      await writer.close();
      db.close();
    }
  });

  it('runs in the idle scheduling class while its backlog is small, and in the normal one while it is large', async () => {
    const db = await database();
    const writer = new SqliteCallWriter({
      path: db.path,
      driver,
      retryMs: 20,
      idle: true,
      raiseAt: 3,
      lowerAt: 1,
    });
    try {
      await writer.putMany([record('d0', 'completed', 'a')]);
      await until(() => writer.threadId !== undefined, 'the thread id');
      const tid = writer.threadId!;
      if (!(await idleClassReversible())) {
        // Without the right to leave the idle class (or without chrt), the thread is never put in it.
        await new Promise((r) => setTimeout(r, 100));
        expect(await schedulingClassOf(tid)).toBe('normal');
        return;
      }
      await until(async () => (await schedulingClassOf(tid)) === 'idle', 'the idle class');
      expect(writer.schedulingClass).toBe('idle');
      db.block();
      for (const id of ['d1', 'd2', 'd3', 'd4'])
        writer.handOver([record(id, 'completed', 'a')], listener().events);
      await until(async () => (await schedulingClassOf(tid)) === 'normal', 'the normal class');
      expect(writer.schedulingClass).toBe('normal');
      db.unblock();
      await until(() => writer.backlog === 0, 'the backlog to drain');
      await until(async () => (await schedulingClassOf(tid)) === 'idle', 'the idle class again');
    } finally {
      await writer.close();
      db.close();
    }
  });
});

describe('SQLite store with its writer thread', () => {
  it('stores recorded calls as array bodies, and reads, filters and marks them as it does object bodies', async () => {
    const db = await database();
    const store = createSqliteStore({ path: db.path, driver, writer: { idle: false } });
    try {
      const recorded: FunctionCallRecord = {
        ...record('a1', 'in_process', '2026-11-24T10:00:00.000Z'),
        endpoint_id: 'ep',
        principal: 'alice',
        bundle_version: null,
        era: '2025-11-25',
        session_id: null,
        request_id: 'r-1',
        isolation: 'worker',
        instance_id: 'inst-a',
        content: null,
      };
      await new Promise<void>((resolve, reject) =>
        store.callWriter!.handOver(
          [
            recorded,
            { ...recorded, mcp_function_call_uuid: 'a2', status: 'completed', structured_content: { n: 1 } },
          ],
          {
            written: resolve,
            refused: reject,
            failed: reject,
          },
        ),
      );
      // Through the generic path: an object body, every field as given.
      await store.calls.put({ ...recorded, mcp_function_call_uuid: 'o1', principal: 'bob' });
      expect(db.body('a1').startsWith('["ep","a1","echo"')).toBe(true);
      expect(db.body('o1').startsWith('{')).toBe(true);
      // Not stored twice: the timestamps (columns), the endpoint (the partition's); updated_by is not the principal.
      const stored = JSON.parse(db.body('a1')) as unknown[];
      expect([stored[10], stored[18], stored[19], stored[20]]).toEqual([null, 'anonymous', null, null]);
      expect(await store.calls.get('ep', 'a1')).toEqual(recorded);
      expect(await store.calls.get('ep', 'a2')).toEqual({
        ...recorded,
        mcp_function_call_uuid: 'a2',
        status: 'completed',
        structured_content: { n: 1 },
      });
      const principals = async (principal: string) =>
        (await store.calls.list('ep', { limit: 10, filter: { equals: { principal } } })).items.map(
          (r) => r.mcp_function_call_uuid,
        );
      expect(await principals('alice')).toEqual(['a1', 'a2']);
      expect(await principals('bob')).toEqual(['o1']);
      expect(await store.calls.count('ep', { equals: { isolation: 'worker', content_in_s3: false } })).toBe(
        3,
      );
      // The calls an instance left running are marked, whatever their body's shape.
      expect(await store.markInterrupted('inst-a', 'interrupted')).toBe(2);
      for (const uuid of ['a1', 'o1']) {
        expect(await store.calls.get('ep', uuid)).toMatchObject({ status: 'failed', notes: 'interrupted' });
      }
      expect(await store.calls.get('ep', 'a2')).toMatchObject({ status: 'completed', notes: null });
    } finally {
      await store.close();
      db.close();
    }
  });

  it('refuses to open a file written by a newer mcpd', async () => {
    const db = await database();
    db.close();
    const raw = openDatabase(db.path, driver);
    raw.exec('PRAGMA user_version = 999');
    raw.close();
    expect(() => createSqliteStore({ path: db.path, driver })).toThrow(
      /schema version 999, newer than this mcpd/,
    );
  });

  it('reads records the writer holds, and lets a direct write wait for them so it is not overwritten', async () => {
    const db = await database();
    const store = createSqliteStore({ path: db.path, driver, writer: { retryMs: 20, idle: false } });
    try {
      db.block();
      const { heard, events } = listener();
      store.callWriter!.handOver([record('e1', 'completed', '2026-11-24T10:00:01.000Z')], events);
      await until(() => heard.length === 1, 'the first failure');
      expect(store.callWriter!.backlog).toBe(1);
      expect(await store.calls.get('ep', 'e1')).toMatchObject({ status: 'completed' });

      let put = false;
      const update = store.calls
        .put({ ...record('e1', 'failed', 'x'), notes: 'set by an operator' })
        .then((r) => ((put = true), r));
      let deleted = false;
      const removal = store.calls.delete('ep', 'nothing-here').then((r) => ((deleted = true), r));
      await new Promise((r) => setTimeout(r, 100));
      expect(put).toBe(false);
      expect(deleted).toBe(false);
      db.unblock();
      expect(await update).toMatchObject({ status: 'failed', notes: 'set by an operator' });
      expect(await removal).toBe(false);
      expect(await store.calls.get('ep', 'e1')).toMatchObject({
        status: 'failed',
        notes: 'set by an operator',
      });
      expect(db.rows('e1')).toEqual([{ status: 'failed' }]);
    } finally {
      await store.close();
      db.close();
    }
  });
});
