import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FunctionCallRecord, ListFilter } from './index.js';
import { availableDrivers, openDatabase } from './sqlite-driver.js';
import { whereClause } from './sqlite-where.js';
import { createSqliteStore } from './sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'mcpd-where-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('whereClause', () => {
  it('adds the partial index condition for the rare values only', () => {
    expect(whereClause('calls', 'p', { equals: { status: 'failed' } })).toEqual({
      sql: "partition_key = ? AND status = ? AND status <> 'completed'",
      params: ['p', 'failed'],
    });
    expect(whereClause('calls', 'p', { equals: { status: 'completed', mcp_type: 'tool' } }).sql).toBe(
      'partition_key = ? AND status = ? AND mcp_type = ?',
    );
    expect(whereClause('calls', 'p', { equals: { mcp_type: 'prompt' } }).sql).toBe(
      "partition_key = ? AND mcp_type = ? AND mcp_type <> 'tool'",
    );
    // Other tables have no partial index: the same column name adds nothing there.
    expect(whereClause('functions', 'p', { equals: { mcp_type: 'prompt' } }).sql).toBe(
      'partition_key = ? AND mcp_type = ?',
    );
  });

  it('filters body fields, the sort key and the update window', () => {
    expect(
      whereClause('calls', 'p', {
        equals: { mcp_function_call_uuid: 'u', principal: 'alice', content_in_s3: true },
        updatedAfter: 'a',
        updatedBefore: 'b',
      }),
    ).toEqual({
      sql:
        'partition_key = ? AND sort_key = ? AND ' +
        "json_extract(body, CASE WHEN json_type(body) = 'array' THEN ? ELSE ? END) = ? AND " +
        "json_extract(body, CASE WHEN json_type(body) = 'array' THEN ? ELSE ? END) = ? AND " +
        'updated_at > ? AND updated_at < ?',
      params: ['p', 'u', '$[11]', '$.principal', 'alice', '$[6]', '$.content_in_s3', 1, 'a', 'b'],
    });
    // Other tables' bodies are objects.
    expect(whereClause('modules', 'p', { equals: { source: 's' } })).toEqual({
      sql: "partition_key = ? AND json_extract(body, '$.' || ?) = ?",
      params: ['p', 'source', 's'],
    });
  });

  for (const driver of availableDrivers()) {
    it(`lets SQLite (${driver}) list rare statuses and types through the partial indexes`, async () => {
      const path = join(dir, `plan-${driver.replace(':', '-')}.db`);
      const store = createSqliteStore({ path, driver });
      const records = Array.from({ length: 3000 }, (_, i) =>
        record(i, i % 1000 === 1 ? 'failed' : 'completed', i % 1500 === 2 ? 'prompt' : 'tool'),
      );
      records.push(record(3000, 'in_process', 'resource'), record(3001, 'failed', 'prompt', 'q'));
      await store.calls.putMany(records);
      await store.close();
      // Reopened: the store refreshes the planner's statistics when it opens.
      const reopened = createSqliteStore({ path, driver });
      const db = openDatabase(path, driver);
      const plan = (w: { sql: string; params: unknown[] }) =>
        db
          .prepare(`EXPLAIN QUERY PLAN SELECT body FROM calls WHERE ${w.sql} ORDER BY sort_key LIMIT 10`)
          .all(...(w.params as string[]))
          .map((r) => String(r['detail']))
          .join('\n');
      const keys = async (filter: ListFilter) =>
        (await reopened.calls.list('p', { filter, limit: 100 })).items.map((r) => r.mcp_function_call_uuid);

      const definitions = db
        .prepare(`SELECT sql FROM sqlite_master WHERE name IN ('calls_status', 'calls_type') ORDER BY name`)
        .all()
        .map((r) => String(r['sql']));
      expect(definitions[0]).toMatch(/WHERE status <> 'completed'$/);
      expect(definitions[1]).toMatch(/WHERE mcp_type <> 'tool'$/);
      const failed = { equals: { status: 'failed' } };
      expect(plan(whereClause('calls', 'p', failed))).toMatch(/USING INDEX calls_status /);
      expect(await keys(failed)).toEqual([uuid(1), uuid(1001), uuid(2001)]);
      const prompts = { equals: { mcp_type: 'prompt' } };
      expect(plan(whereClause('calls', 'p', prompts))).toMatch(/USING INDEX calls_type /);
      expect(await keys(prompts)).toEqual([uuid(2), uuid(1502)]);
      expect(await keys({ equals: { status: 'in_process', mcp_type: 'resource' } })).toEqual([uuid(3000)]);
      // The common values are left out of those indexes, and still found.
      expect(await reopened.calls.count('p', { equals: { status: 'completed' } })).toBe(2997);
      expect(await reopened.calls.count('p', { equals: { mcp_type: 'tool', status: 'failed' } })).toBe(3);
      // Crash recovery finds the unfinished call through the status index.
      expect(await reopened.markInterrupted('i-1', 'interrupted')).toBe(1);
      expect((await reopened.calls.get('p', uuid(3000)))?.status).toBe('failed');
      db.close();
      await reopened.close();
    });
  }
});

const uuid = (i: number) => `0190000${String(i).padStart(5, '0')}`;

function record(i: number, status: string, mcpType: string, partition = 'p'): FunctionCallRecord {
  const at = new Date(1_700_000_000_000 + i).toISOString();
  return {
    partition_key: partition,
    mcp_function_call_uuid: uuid(i),
    name: 'echo',
    mcp_type: mcpType,
    arguments: { i },
    content: null,
    content_in_s3: false,
    status,
    notes: null,
    time_spent: 1,
    instance_id: 'i-1',
    updated_by: 'tester',
    created_at: at,
    updated_at: at,
  };
}
