import { describe, expect, it, vi } from 'vitest';
import { Cancellation } from '../engine/cancellation.js';
import { CANCELLED_NOTE } from '../calls/record-call.js';
import { McpError } from '../protocol/errors.js';
import type { FunctionCallRecord } from '../store/index.js';
import { Task } from './task.js';
import {
  DEFAULT_TASK_TTL_MS,
  fromRecord,
  MAX_TASK_TTL_MS,
  MIN_TASK_TTL_MS,
  TaskRegistry,
  taskTtl,
} from './task-registry.js';

const task = (over: Partial<ConstructorParameters<typeof Task>[0]> = {}) =>
  new Task({
    id: 't1',
    endpointId: 'ep',
    owner: 'alice',
    era: 'modern',
    toolName: 'x',
    ttlMs: 60_000,
    pollIntervalMs: 500,
    cancel: new Cancellation(),
    ...over,
  });

describe('Task', () => {
  it('never leaves a terminal status, and cancel aborts the code and releases its waits', async () => {
    const cancel = new Cancellation();
    const t = task({ cancel });
    const asked = t.ask({ k: { method: 'elicitation/create', params: {} } });
    expect(t.status).toBe('input_required');
    t.cancelNow();
    expect(t.status).toBe('cancelled');
    expect(cancel.aborted).toBe(true);
    expect(await asked).toEqual({ k: { action: 'cancel' } });
    t.complete({ content: [] });
    t.fail(new Error('late'));
    expect(t.status).toBe('cancelled');
    await expect(t.ask({ k2: { method: 'roots/list', params: {} } })).rejects.toThrow(/ended/);
  });

  it('maps outcomes per era: a tool error completes in 2026 and fails in 2025; protocol errors fail', () => {
    const modern = task();
    modern.complete({ content: [], isError: true });
    expect(modern.toModern(true)).toMatchObject({ status: 'completed', result: { isError: true } });
    const handshake = task({ era: 'handshake' });
    handshake.complete({ content: [], isError: true });
    expect(handshake.toHandshake()).toMatchObject({ status: 'failed', ttl: 60_000, pollInterval: 500 });
    const broken = task();
    broken.fail(new McpError(-32602, 'bad', { why: 1 }));
    expect(broken.toModern(true)).toMatchObject({
      status: 'failed',
      error: { code: -32602, message: 'bad', data: { why: 1 } },
    });
    const crashed = task();
    crashed.fail(new Error('secret detail'));
    expect(crashed.error).toEqual({ code: -32603, message: 'Internal error' });
  });

  it('answers keys one by one, ignoring unknown ones, and returns to working when all are in', async () => {
    const t = task();
    const changes = vi.fn();
    t.onChange = changes;
    const asked = t.ask({
      a: { method: 'elicitation/create', params: {} },
      b: { method: 'elicitation/create', params: {} },
    });
    expect(t.answer({ nope: {}, a: { action: 'accept' }, b: 'not an object' })).toBe(1);
    expect(Object.keys(t.inputRequests())).toEqual(['b']);
    expect(t.status).toBe('input_required');
    expect(t.takeUndelivered().map((p) => p.key)).toEqual(['b']);
    expect(t.takeUndelivered()).toEqual([]);
    t.redeliver('b');
    expect(t.takeUndelivered().map((p) => p.key)).toEqual(['b']);
    t.answer({ b: { action: 'decline' } });
    expect(t.status).toBe('working');
    expect(await asked).toEqual({ a: { action: 'accept' }, b: { action: 'decline' } });
    expect(changes).toHaveBeenCalled();
  });
});

describe('TaskRegistry', () => {
  it('shows a task only to its owner on its endpoint, and drops it after its TTL', () => {
    vi.useFakeTimers();
    try {
      const r = new TaskRegistry();
      const t = task({ ttlMs: 5_000 });
      r.add(t);
      expect(r.get('t1', 'ep', 'alice')).toBe(t);
      expect(r.get('t1', 'ep', 'bob')).toBeUndefined();
      expect(r.get('t1', 'other', 'alice')).toBeUndefined();
      expect(r.list('ep', 'alice')).toEqual([t]);
      expect(r.list('ep', 'bob')).toEqual([]);
      r.cancelAll();
      expect(t.status).toBe('cancelled');
      vi.advanceTimersByTime(5_001);
      expect(r.size).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("keeps at most 1,000 tasks per owner, dropping the oldest finished ones, never another owner's", () => {
    const r = new TaskRegistry();
    const bobs = task({ id: 'bob-1', owner: 'bob' });
    bobs.complete({ content: [] });
    r.add(bobs);
    const running = task({ id: 'alice-running' });
    r.add(running);
    for (let i = 0; i < 1_005; i++) {
      const t = task({ id: `alice-${i}` });
      t.complete({ content: [] });
      r.add(t);
    }
    const mine = r.list('ep', 'alice');
    expect(mine).toHaveLength(1_000);
    // The running task stays although it is the oldest; the oldest finished ones went.
    expect(mine[0]).toBe(running);
    expect(mine[1]?.id).toBe('alice-6');
    expect(mine.at(-1)?.id).toBe('alice-1004');
    expect(r.get('alice-5', 'ep', 'alice')).toBeUndefined();
    expect(r.list('ep', 'bob')).toEqual([bobs]);
    expect(r.size).toBe(1_001);
    r.cancelAll();
  });

  it('bounds the TTL a client asks for', () => {
    expect(taskTtl(undefined)).toBe(DEFAULT_TASK_TTL_MS);
    expect(taskTtl(1)).toBe(MIN_TASK_TTL_MS);
    expect(taskTtl(1e12)).toBe(MAX_TASK_TTL_MS);
    expect(taskTtl(12_345.6)).toBe(12_346);
  });

  it('rebuilds finished tasks from call records, for their principal only', () => {
    const record = {
      partition_key: 'ep',
      mcp_function_call_uuid: 'u1',
      name: 'x',
      mcp_type: 'tool',
      arguments: {},
      content: null,
      content_in_s3: false,
      status: 'failed',
      notes: 'it broke',
      time_spent: 1,
      principal: 'alice',
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:01.000Z',
      updated_by: 'mcpd',
    } as FunctionCallRecord;
    expect(fromRecord(record, 'modern', 'bob')).toBeUndefined();
    expect(fromRecord({ ...record, mcp_type: 'prompt' }, 'modern', 'alice')).toBeUndefined();
    expect(fromRecord(record, 'modern', 'alice')?.toModern(true)).toMatchObject({
      taskId: 'u1',
      status: 'completed',
      createdAt: '2026-01-01T00:00:00.000Z',
      lastUpdatedAt: '2026-01-01T00:00:01.000Z',
      result: { isError: true, content: [{ text: 'it broke' }] },
    });
    expect(fromRecord({ ...record, status: 'in_process' }, 'handshake', 'alice')?.status).toBe('working');
    // A call that failed because it was cancelled (record-call.ts writes the note) is a cancelled task.
    const cancelled = fromRecord(
      { ...record, notes: `${CANCELLED_NOTE}The task was cancelled` },
      'handshake',
      'alice',
    );
    expect(cancelled?.toHandshake()).toMatchObject({
      taskId: 'u1',
      status: 'cancelled',
      lastUpdatedAt: '2026-01-01T00:00:01.000Z',
    });
    // Only a failed one: a completed call whose note happens to start so is completed.
    expect(
      fromRecord({ ...record, status: 'completed', notes: CANCELLED_NOTE }, 'modern', 'alice')?.status,
    ).toBe('completed');
  });

  it('cancels a held task for a cancellation naming its endpoint and owner, and relays one it does not hold', () => {
    const r = new TaskRegistry();
    const relayed: unknown[] = [];
    const t = task({});
    r.add(t);
    expect(r.cancelHeld({ endpointId: 'ep', taskId: 't1', owner: 'bob' })).toBe(false);
    expect(r.cancelHeld({ endpointId: 'other', taskId: 't1', owner: 'alice' })).toBe(false);
    expect(r.cancelHeld({ endpointId: 'ep', taskId: 'nope', owner: 'alice' })).toBe(false);
    expect(t.status).toBe('working');
    expect(r.cancelHeld({ endpointId: 'ep', taskId: 't1', owner: 'alice' })).toBe(true);
    expect(t.status).toBe('cancelled');
    // Already ended: nothing more to do.
    expect(r.cancelHeld({ endpointId: 'ep', taskId: 't1', owner: 'alice' })).toBe(false);
    // A lone daemon has nobody to relay to; with a bus, the cancellation goes out as asked.
    r.cancelElsewhere({ endpointId: 'ep', taskId: 'x', owner: 'alice' });
    r.relay = (c) => relayed.push(c);
    r.cancelElsewhere({ endpointId: 'ep', taskId: 'x', owner: 'alice' });
    expect(relayed).toEqual([{ endpointId: 'ep', taskId: 'x', owner: 'alice' }]);
    r.cancelAll();
  });
});
