/**
 * Requests that reach another instance than the one running the code (2026-07-28 requests may go to any instance
 * behind a load balancer), on both storage stacks, with a real Redis bus. Notifications bundle code asks for reach
 * the clients listening on any instance. MCP tasks:
 * - tasks/cancel through another instance cancels the task where it runs (over the bus), and the call record then
 *   says so, so every instance answers `cancelled`;
 * - tasks/update through another instance is refused with a clear error instead of being dropped;
 * - tasks/result (2025-11-25) through another instance waits for the record and answers the result.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../src/bus/contract.js';
import { CANCELLED_NOTE } from '../../src/calls/record-call.js';
import { fromRecord } from '../../src/tasks/task-registry.js';
import {
  CONFORMANCE_CONFIG,
  initSession,
  type RunningDaemon,
  startDaemon,
  STREAMABLE_HEADERS,
} from '../helpers/daemon.js';
import { type RunningRedis, redisUnavailable, startRedis } from '../helpers/redis.js';
import { rawRequest } from '../http/support.js';
import { modernTasksRequest, STACKS, type TasksReply } from './support.js';

const unavailable = redisUnavailable();

type Reply = TasksReply;

const modern = (url: string, method: string, params: Record<string, unknown>, name?: string) =>
  modernTasksRequest(url, method, params, { name });

/** Polls `read` every 100 ms, for up to 10 s, until `done` holds of what it read; returns the last read. */
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  let v = await read();
  for (let i = 0; i < 100 && !done(v); i++) {
    await new Promise((r) => setTimeout(r, 100));
    v = await read();
  }
  return v;
}

/** A request on a 2025-11-25 session; the answer may come as JSON or as an SSE stream. */
async function handshake(url: string, sid: string, method: string, params: Record<string, unknown>) {
  const r = await fetch(`${url}/default/mcp`, {
    method: 'POST',
    headers: { ...STREAMABLE_HEADERS, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method, params }),
  });
  const text = await r.text();
  if (!(r.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    return JSON.parse(text) as Reply['body'];
  }
  const messages = text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)) as Reply['body'] & { id?: unknown });
  const answer = messages.find((m) => m.id === 7);
  if (!answer) throw new Error(`no answer in ${text}`);
  return answer;
}

const statusOn = async (url: string, taskId: string) =>
  String((await modern(url, 'tasks/get', { taskId }, taskId)).body.result?.['status']);

describe.skipIf(unavailable).each(STACKS)(
  `instances sharing $name${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  (stack) => {
    let redis: RunningRedis;
    let closeStack: () => Promise<void>;
    let a: RunningDaemon;
    let b: RunningDaemon;
    let shared: string;

    beforeAll(async () => {
      const [s, r] = await Promise.all([stack.start(), startRedis()]);
      closeStack = s.close;
      redis = r;
      shared = mkdtempSync(join(tmpdir(), 'mcpd-tasks-across-'));
      const env = {
        ...s.env,
        MCPD_SQLITE_FILE: join(shared, 'mcpd.db'),
        MCPD_BLOB_DIR: join(shared, 'blobs'),
        MCPD_REDIS_URL: redis.url,
        MCPD_REDIS_PREFIX: `mcpd-tasks-${process.pid}-${Date.now()}:`,
      };
      [a, b] = await Promise.all([
        startDaemon(env, CONFORMANCE_CONFIG),
        startDaemon(env, CONFORMANCE_CONFIG),
      ]);
    });
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
      await Promise.all([closeStack?.(), redis?.close()]);
      rmSync(shared, { recursive: true, force: true });
    });

    it('a notification bundle code asks for on one instance reaches the listen streams of another', async () => {
      const listen = {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientInfo': { name: 'listener', version: '1' },
        'io.modelcontextprotocol/clientCapabilities': {},
      };
      const stream = await rawRequest(`${b.url}/default/mcp`, {
        method: 'POST',
        headers: {
          ...STREAMABLE_HEADERS,
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'subscriptions/listen',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 'listen-1',
          method: 'subscriptions/listen',
          params: {
            notifications: { toolsListChanged: true, resourceSubscriptions: ['test://watched'] },
            _meta: listen,
          },
        }),
      });
      try {
        const ack = JSON.parse((await stream.nextEvent())?.data ?? '{}') as { method?: string };
        expect(ack.method).toBe('notifications/subscriptions/acknowledged');
        // The tool runs on A and asks for a tools list_changed: B's listener hears it.
        const called = await modern(
          a.url,
          'tools/call',
          { name: 'test_trigger_tool_change', arguments: {} },
          'test_trigger_tool_change',
        );
        expect(called.body.result).toMatchObject({ resultType: 'complete' });
        const change = JSON.parse((await stream.nextEvent())?.data ?? '{}') as { method?: string };
        expect(change.method).toBe('notifications/tools/list_changed');
        // A resource update asked for on A (as ctx.resourceUpdated does), for a resource B's listener watches.
        a.daemon.engine.noticeRelay!({ endpointId: 'default', resourceUpdated: 'test://watched' });
        const updated = JSON.parse((await stream.nextEvent())?.data ?? '{}') as {
          method?: string;
          params?: { uri?: string };
        };
        expect(updated).toMatchObject({
          method: 'notifications/resources/updated',
          params: { uri: 'test://watched' },
        });
      } finally {
        stream.close();
      }
    });

    it('tasks/cancel through another instance cancels the task where it runs, and every instance says so', async () => {
      const created = await modern(
        a.url,
        'tools/call',
        { name: 'slow_compute', arguments: { seconds: 60 } },
        'slow_compute',
      );
      expect(created.body.result).toMatchObject({ resultType: 'task', status: 'working' });
      const taskId = String(created.body.result?.['taskId']);
      // B knows the task from its call record once that is written.
      expect(
        await until(
          () => statusOn(b.url, taskId),
          (s) => s === 'working',
        ),
      ).toBe('working');
      expect(a.daemon.engine.tasks.get(taskId, 'default', 'anonymous')).toBeDefined();
      expect(b.daemon.engine.tasks.get(taskId, 'default', 'anonymous')).toBeUndefined();

      const ack = await modern(b.url, 'tasks/cancel', { taskId }, taskId);
      expect(ack.body.error).toBeUndefined();
      // B answers cancelled from then on, not `working` again from the record until A has written it.
      expect(b.daemon.engine.tasks.get(taskId, 'default', 'anonymous')?.status).toBe('cancelled');
      expect(await statusOn(b.url, taskId)).toBe('cancelled');
      // The instance that runs it hears the cancellation over the bus and stops the call.
      const held = a.daemon.engine.tasks.get(taskId, 'default', 'anonymous')!;
      await eventually(() => held.status === 'cancelled', 'the task cancelled where it runs');
      expect(await statusOn(a.url, taskId)).toBe('cancelled');
      // Its record says why, so an instance that holds nothing of it (or a restart) answers cancelled too
      // (fromRecord, src/tasks/task.test.ts).
      const record = await until(
        () => b.daemon.engine.recorder!.get('default', taskId),
        (r) => r?.status !== 'in_process',
      );
      expect(record).toMatchObject({
        status: 'failed',
        notes: expect.stringMatching(new RegExp(`^${CANCELLED_NOTE}`)),
      });
      expect(fromRecord(record!, 'modern', 'anonymous')?.status).toBe('cancelled');
      expect(b.daemon.bus.stats.published).toBeGreaterThanOrEqual(1);
      expect(a.daemon.bus.stats.received).toBeGreaterThanOrEqual(1);
    });

    it('a cancellation for a task of another owner, or of a finished task, changes nothing', async () => {
      const created = await modern(
        a.url,
        'tools/call',
        { name: 'slow_compute', arguments: { seconds: 60 } },
        'slow_compute',
      );
      const taskId = String(created.body.result?.['taskId']);
      const held = a.daemon.engine.tasks.get(taskId, 'default', 'anonymous')!;
      // As a forged or mistaken message would say: same task, another owner; another endpoint.
      b.daemon.bus.publishTaskCancel({ endpointId: 'default', taskId, owner: 'u:mallory' });
      b.daemon.bus.publishTaskCancel({ endpointId: 'other', taskId, owner: 'anonymous' });
      const before = a.daemon.bus.stats.received;
      await eventually(
        () => a.daemon.bus.stats.received >= before + 2,
        'both messages at the running instance',
      );
      expect(held.status).toBe('working');
      held.cancelNow();
    });

    it('tasks/update through another instance is refused, not dropped; the task still takes it where it runs', async () => {
      const created = await modern(
        a.url,
        'tools/call',
        { name: 'multi_input', arguments: {} },
        'multi_input',
      );
      const taskId = String(created.body.result?.['taskId']);
      const held = a.daemon.engine.tasks.get(taskId, 'default', 'anonymous')!;
      await eventually(() => held.status === 'input_required', 'the task to ask for input');
      // B's view comes from the record: working, and input only A can take.
      const answer = { name: { action: 'accept', content: { name: 'Ada' } } };
      const onB = await until(
        () => modern(b.url, 'tasks/update', { taskId, inputResponses: answer }, taskId),
        (r) => r.body.error?.code === -32602 && /another instance/.test(r.body.error.message),
      );
      expect(onB.body.error).toMatchObject({
        code: -32602,
        message: expect.stringContaining('another instance'),
      });
      expect(held.status).toBe('input_required');
      const ack = await modern(
        a.url,
        'tasks/update',
        { taskId, inputResponses: { name: { action: 'accept', content: { name: 'Ada' } } } },
        taskId,
      );
      expect(ack.body.error).toBeUndefined();
      held.cancelNow();
    });

    it('a tasks/result waiting on another instance’s task stops when the client cancels it; the task runs on', async () => {
      const created = await modern(
        a.url,
        'tools/call',
        { name: 'slow_compute', arguments: { seconds: 60 } },
        'slow_compute',
      );
      const taskId = String(created.body.result?.['taskId']);
      const held = a.daemon.engine.tasks.get(taskId, 'default', 'anonymous')!;
      // B knows the task once its record is written.
      await until(
        () => statusOn(b.url, taskId),
        (s) => s === 'working',
      );
      const onB = await initSession(b.url);
      const headers = { ...STREAMABLE_HEADERS, 'mcp-session-id': onB, 'mcp-protocol-version': '2025-11-25' };
      const waiting = fetch(`${b.url}/default/mcp`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ jsonrpc: '2.0', id: 'wait-1', method: 'tasks/result', params: { taskId } }),
      }).then((r) => r.text());
      // Once B waits on the record (the task is known there), the client gives up on its request.
      const session = () => b.daemon.sessions.get(onB)?.session;
      await eventually(() => (session()?.inflight?.size ?? 0) === 1, 'tasks/result waiting on B');
      const cancelled = await fetch(`${b.url}/default/mcp`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: 'wait-1', reason: 'the client gave up' },
        }),
      });
      expect(cancelled.status).toBe(202);
      // The request ends (no result), and nothing of it stays in flight; the task itself is not cancelled.
      expect(await waiting).not.toContain('"result"');
      await eventually(() => (session()?.inflight?.size ?? 0) === 0, 'nothing in flight on B');
      expect(held.status).toBe('working');
      held.cancelNow();
    });

    it('tasks/result (2025-11-25) through another instance waits for the record and answers the result', async () => {
      const onA = await initSession(a.url);
      const created = await handshake(a.url, onA, 'tools/call', {
        name: 'slow_compute',
        arguments: { seconds: 1 },
        task: { ttl: 60_000 },
      });
      const taskId = String((created.result?.['task'] as { taskId?: unknown } | undefined)?.taskId);
      expect(taskId).toMatch(/^[0-9a-f-]{36}$/);
      // Asked at once: the record may not even be written yet on the other instance; retried until it is.
      const onB = await initSession(b.url);
      const answer = await until(
        () => handshake(b.url, onB, 'tasks/result', { taskId }),
        (r) => r.result !== undefined,
      );
      expect(answer.result).toMatchObject({
        content: [{ text: 'Computed result after 1s' }],
        _meta: { 'io.modelcontextprotocol/related-task': { taskId } },
      });
    });
  },
);
