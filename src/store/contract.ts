/**
 * The Store contract: one suite every adapter must pass (SQLite, DynamoDB). Call `storeContract(name, open)`
 * from an adapter's test file; `open` gives a fresh, initialised store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionRecord, Store } from './index.js';

function fn(partition: string, name: string, extra: Partial<FunctionRecord> = {}) {
  return {
    partition_key: partition,
    name,
    mcp_type: 'tool',
    description: `${name} tool`,
    data: { inputSchema: { type: 'object', properties: { a: { type: 'string' } } } },
    annotations: null,
    module_name: 'mod',
    class_name: null,
    function_name: name,
    return_type: 'text',
    is_async: false,
    updated_by: 'tester',
    ...extra,
  };
}

export function storeContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let n = 0;
    /** A partition of its own per test, so tests never see each other's records. */
    const part = () => `ep${++n}-${Math.random().toString(36).slice(2, 8)}`;

    beforeAll(async () => {
      store = await open();
      await store.init(); // idempotent: open() already initialised it
    });
    afterAll(async () => {
      await store.close();
    });

    it('puts, gets and keeps created_at across updates', async () => {
      const p = part();
      const first = await store.functions.put(fn(p, 'echo'));
      expect(first.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(first.updated_at).toBe(first.created_at);
      await new Promise((r) => setTimeout(r, 5));
      const second = await store.functions.put(
        fn(p, 'echo', { description: 'changed', is_async: true, timeout_ms: 1500 }),
      );
      expect(second.created_at).toBe(first.created_at);
      expect(second.updated_at > first.updated_at).toBe(true);
      const got = await store.functions.get(p, 'echo');
      expect(got).toEqual(second);
      expect(got?.is_async).toBe(true);
      expect(got?.timeout_ms).toBe(1500);
      expect(got?.data).toEqual({ inputSchema: { type: 'object', properties: { a: { type: 'string' } } } });
    });

    it('answers undefined for a missing record and false for deleting one', async () => {
      const p = part();
      expect(await store.modules.get(p, 'nope')).toBeUndefined();
      expect(await store.modules.delete(p, 'nope')).toBe(false);
    });

    it('deletes', async () => {
      const p = part();
      await store.settings.put({ partition_key: p, setting_id: 's1', setting: { k: 1 }, updated_by: 'x' });
      expect(await store.settings.delete(p, 's1')).toBe(true);
      expect(await store.settings.get(p, 's1')).toBeUndefined();
    });

    it('keeps partitions apart', async () => {
      const a = part();
      const b = part();
      await store.functions.put(fn(a, 'same'));
      await store.functions.put(fn(b, 'same', { description: 'other tenant' }));
      expect((await store.functions.get(a, 'same'))?.description).toBe('same tool');
      expect((await store.functions.get(b, 'same'))?.description).toBe('other tenant');
      expect((await store.functions.list(a, { limit: 10 })).items.map((f) => f.partition_key)).toEqual([a]);
      await store.functions.delete(a, 'same');
      expect(await store.functions.get(b, 'same')).toBeDefined();
    });

    it('lists in sort-key order with keyset cursors', async () => {
      const p = part();
      const names = ['delta', 'alpha', 'echo', 'charlie', 'bravo'];
      for (const x of names) await store.functions.put(fn(p, x));
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.functions.list(p, cursor ? { limit: 2, cursor } : { limit: 2 });
        seen.push(...page.items.map((f) => f.name));
        cursor = page.cursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).toEqual([...names].sort());
      expect(pages).toBe(3);
    });

    it('pages by offset (the older API) and counts', async () => {
      const p = part();
      for (let i = 0; i < 7; i++)
        await store.settings.put({ partition_key: p, setting_id: `s${i}`, setting: { i }, updated_by: 'x' });
      const page = await store.settings.list(p, { limit: 3, offset: 3 });
      expect(page.items.map((s) => s.setting_id)).toEqual(['s3', 's4', 's5']);
      expect(page.cursor).toBeDefined();
      const last = await store.settings.list(p, { limit: 3, offset: 6 });
      expect(last.items.map((s) => s.setting_id)).toEqual(['s6']);
      expect(last.cursor).toBeUndefined();
      expect(await store.settings.count(p)).toBe(7);
      expect((await store.settings.list(p, { limit: 3, offset: 20 })).items).toEqual([]);
    });

    it('filters by field equality and counts the filtered set', async () => {
      const p = part();
      await store.functions.put(fn(p, 't1'));
      await store.functions.put(fn(p, 'r1', { mcp_type: 'resource', data: { uri: 'x://1' } }));
      await store.functions.put(fn(p, 't2', { module_name: 'other' }));
      await store.functions.put(fn(p, 'p1', { mcp_type: 'prompt' }));
      const tools = await store.functions.list(p, { limit: 10, filter: { equals: { mcp_type: 'tool' } } });
      expect(tools.items.map((f) => f.name)).toEqual(['t1', 't2']);
      expect(await store.functions.count(p, { equals: { mcp_type: 'tool' } })).toBe(2);
      const both = await store.functions.list(p, {
        limit: 10,
        filter: { equals: { mcp_type: 'tool', module_name: 'other' } },
      });
      expect(both.items.map((f) => f.name)).toEqual(['t2']);
      // A filtered list pages correctly too.
      const first = await store.functions.list(p, { limit: 1, filter: { equals: { mcp_type: 'tool' } } });
      expect(first.items.map((f) => f.name)).toEqual(['t1']);
      const next = await store.functions.list(p, {
        limit: 1,
        filter: { equals: { mcp_type: 'tool' } },
        ...(first.cursor ? { cursor: first.cursor } : {}),
      });
      expect(next.items.map((f) => f.name)).toEqual(['t2']);
    });

    it('filters calls by status and updated_at range', async () => {
      const p = part();
      const put = (id: string, status: string) =>
        store.calls.put({
          partition_key: p,
          mcp_function_call_uuid: id,
          name: 'echo',
          mcp_type: 'tool',
          arguments: { text: id },
          content: [{ type: 'text', text: id }],
          content_in_s3: false,
          status,
          notes: null,
          time_spent: 1.25,
          updated_by: 'x',
        });
      const a = await put('a', 'completed');
      await new Promise((r) => setTimeout(r, 5));
      const b = await put('b', 'failed');
      await new Promise((r) => setTimeout(r, 5));
      await put('c', 'completed');
      const done = await store.calls.list(p, { limit: 10, filter: { equals: { status: 'completed' } } });
      expect(done.items.map((c) => c.mcp_function_call_uuid)).toEqual(['a', 'c']);
      expect(done.items[0]?.time_spent).toBe(1.25);
      expect(done.items[0]?.content).toEqual([{ type: 'text', text: 'a' }]);
      const after = await store.calls.list(p, { limit: 10, filter: { updatedAfter: a.updated_at } });
      expect(after.items.map((c) => c.mcp_function_call_uuid)).toEqual(['b', 'c']);
      const window = await store.calls.count(p, {
        updatedAfter: a.updated_at,
        updatedBefore: b.updated_at + 'Z',
      });
      expect(window).toBe(1);
    });

    it('gets many in one call, leaving out missing keys', async () => {
      const p = part();
      await store.modules.put({
        partition_key: p,
        module_name: 'm1',
        package_name: 'pkg',
        classes: [{ class_name: 'A', setting_id: 's' }],
        source: null,
        updated_by: 'x',
      });
      await store.modules.put({
        partition_key: p,
        module_name: 'm2',
        package_name: 'pkg',
        classes: [],
        source: 'bundles/pkg.zip',
        bundle_version: 'abc123',
        bundle_sha256: 'f'.repeat(64),
        updated_by: 'x',
      });
      const got = await store.modules.getMany(p, ['m2', 'missing', 'm1']);
      expect(got.map((m) => m.module_name).sort()).toEqual(['m1', 'm2']);
      const m2 = got.find((m) => m.module_name === 'm2');
      expect(m2?.bundle_version).toBe('abc123');
      expect(m2?.classes).toEqual([]);
      expect(await store.modules.getMany(p, [])).toEqual([]);
    });

    it('rejects a forged cursor with a named error', async () => {
      await expect(store.functions.list(part(), { limit: 1, cursor: 'not-a-cursor' })).rejects.toMatchObject({
        code: 'MCPD_STORE_INVALID_CURSOR',
      });
    });

    const call = (p: string, id: string, status: string, instance: string) => ({
      partition_key: p,
      mcp_function_call_uuid: id,
      name: 'echo',
      mcp_type: 'tool',
      arguments: { id },
      content: [{ type: 'image', data: 'aGk=', mimeType: 'image/png' }],
      content_in_s3: false,
      status,
      notes: null,
      time_spent: 0.125,
      endpoint_id: p,
      era: '2025-11-25',
      session_id: null,
      request_id: 7,
      isolation: 'inline',
      instance_id: instance,
      updated_by: 'recorder',
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:01.000Z',
    });

    it('writes batches with their own timestamps, replacing earlier versions', async () => {
      const p = part();
      const many = Array.from({ length: 60 }, (_, i) =>
        call(p, `c${String(i).padStart(2, '0')}`, 'in_process', 'i1'),
      );
      await store.calls.putMany(many);
      await store.calls.putMany([
        { ...call(p, 'c00', 'completed', 'i1'), updated_at: '2026-01-01T00:00:02.000Z' },
      ]);
      await store.calls.putMany([]);
      expect(await store.calls.count(p)).toBe(60);
      const first = await store.calls.get(p, 'c00');
      expect(first).toMatchObject({
        status: 'completed',
        created_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-01-01T00:00:02.000Z',
        time_spent: 0.125,
        request_id: 7,
        instance_id: 'i1',
        content: [{ type: 'image', data: 'aGk=', mimeType: 'image/png' }],
      });
      expect(await store.calls.count(p, { equals: { status: 'in_process' } })).toBe(59);
    });

    it("marks an instance's unfinished calls failed, in every partition, and nothing else", async () => {
      const a = part();
      const b = part();
      const instance = `inst-${Math.random().toString(36).slice(2)}`;
      await store.calls.putMany([
        call(a, 'x1', 'in_process', instance),
        call(b, 'x2', 'in_process', instance),
        call(a, 'x3', 'completed', instance),
        call(a, 'x4', 'in_process', 'another-instance'),
      ]);
      expect(await store.markInterrupted(instance, 'interrupted')).toBe(2);
      expect(await store.calls.get(a, 'x1')).toMatchObject({ status: 'failed', notes: 'interrupted' });
      expect(await store.calls.get(b, 'x2')).toMatchObject({ status: 'failed', notes: 'interrupted' });
      expect((await store.calls.get(a, 'x3'))?.status).toBe('completed');
      expect((await store.calls.get(a, 'x4'))?.status).toBe('in_process');
      expect(await store.calls.count(a, { equals: { status: 'failed' } })).toBe(1);
      expect(await store.markInterrupted(instance, 'again')).toBe(0);
    });

    it('round-trips unicode, nested JSON and nulls unchanged', async () => {
      const p = part();
      const setting = { name: 'Zoë ✓', nested: { list: [1, 'two', null, { deep: true }] }, empty: {} };
      await store.settings.put({ partition_key: p, setting_id: 'u', setting, updated_by: 'ü' });
      const got = await store.settings.get(p, 'u');
      expect(got?.setting).toEqual(setting);
      expect(got?.updated_by).toBe('ü');
    });
  });
}
