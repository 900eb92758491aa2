/**
 * MCP tasks on a running daemon (the conformance fixtures: slow_compute, failing_job, confirm_delete, …):
 * - 2025-11-25 through the official v1 SDK client's task API: task-augmented tools/call, tasks/get, tasks/result
 *   (with elicitation delivered on its stream), tasks/list, tasks/cancel, status notifications, and the errors for
 *   tools that forbid or require tasks.
 * - 2026-07-28 (the io.modelcontextprotocol/tasks extension) over plain HTTP: creation, tasks/get with the inlined
 *   result, tasks/update, tasks/cancel, the -32021 gate.
 * - Backed by the call records: the task id is the record's id, and a restarted daemon still answers tasks/get
 *   for a finished task from the call history.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CallToolResultSchema,
  CreateTaskResultSchema,
  ElicitRequestSchema,
  type McpError,
  TaskStatusNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFORMANCE_CONFIG, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { modernTasksRequest } from './support.js';

const dataDir = mkdtempSync(join(tmpdir(), 'mcpd-tasks-'));
let d: RunningDaemon;
beforeAll(async () => {
  d = await startDaemon({ MCPD_DATA_DIR: dataDir, MCPD_RECORD_DURABLE_ANSWERS: 'true' }, CONFORMANCE_CONFIG);
});
afterAll(async () => {
  await d?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function connect(withElicitation = false): Promise<Client> {
  const client = new Client(
    { name: 'tasks-test', version: '1' },
    { capabilities: withElicitation ? { elicitation: {} } : {} },
  );
  if (withElicitation) {
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      expect(req.params._meta?.['io.modelcontextprotocol/related-task']).toMatchObject({
        taskId: expect.any(String),
      });
      return { action: 'accept', content: { confirm: true } };
    });
  }
  await client.connect(new StreamableHTTPClientTransport(new URL(`${d.url}/default/mcp`)));
  await client.listTools(); // the SDK learns each tool's execution.taskSupport from tools/list
  return client;
}

type Message = { type: string; task?: { taskId: string; status: string }; result?: unknown; error?: unknown };
async function drain(stream: AsyncGenerator<unknown>): Promise<Message[]> {
  const out: Message[] = [];
  for await (const m of stream) out.push(m as Message);
  return out;
}

describe('tasks in 2025-11-25 (official SDK client)', () => {
  it('advertises tasks and each tool’s task support', async () => {
    const client = await connect();
    expect(client.getServerCapabilities()?.tasks).toEqual({
      list: {},
      cancel: {},
      requests: { tools: { call: {} } },
    });
    const tools = (await client.listTools()).tools;
    expect(tools.find((t) => t.name === 'slow_compute')?.execution).toEqual({ taskSupport: 'optional' });
    expect(tools.find((t) => t.name === 'greet')?.execution).toBeUndefined();
    expect(JSON.stringify(tools)).not.toContain('x-mcpd-');
    await client.close();
  });

  it('runs a task to its result, lists it, and notifies status changes', async () => {
    const client = await connect();
    const statuses: string[] = [];
    client.setNotificationHandler(TaskStatusNotificationSchema, (n) => {
      statuses.push(n.params.status);
    });
    const messages = await drain(
      client.experimental.tasks.callToolStream(
        { name: 'slow_compute', arguments: { seconds: 1, label: 'sdk' } },
        CallToolResultSchema,
        { task: { ttl: 60_000 } },
      ),
    );
    expect(messages[0]?.type).toBe('taskCreated');
    const taskId = messages[0]?.task?.taskId ?? '';
    expect(messages.at(-1)).toMatchObject({
      type: 'result',
      result: { content: [{ type: 'text', text: 'Computed sdk after 1s' }] },
    });
    const task = await client.experimental.tasks.getTask(taskId);
    expect(task).toMatchObject({
      taskId,
      status: 'completed',
      ttl: 60_000,
      pollInterval: expect.any(Number),
    });
    expect((await client.experimental.tasks.listTasks()).tasks.map((t) => t.taskId)).toContain(taskId);
    const result = await client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    expect(result._meta?.['io.modelcontextprotocol/related-task']).toEqual({ taskId });
    // The same record holds the call.
    const record = await d.daemon.store.calls.get('default', taskId);
    expect(record).toMatchObject({ name: 'slow_compute', status: 'completed' });
    await client.close();
  });

  it('asks for input on the tasks/result stream and finishes with it', async () => {
    const client = await connect(true);
    const messages = await drain(
      client.experimental.tasks.callToolStream(
        { name: 'confirm_delete', arguments: { filename: 'a.txt' } },
        CallToolResultSchema,
        { task: {} },
      ),
    );
    expect(messages.at(-1)).toMatchObject({
      type: 'result',
      result: { content: [{ text: 'Deleted a.txt' }] },
    });
    await client.close();
  });

  it('reports a tool error as a failed task, and cancels a running one (then refuses a second cancel)', async () => {
    const client = await connect();
    const failed = await drain(
      client.experimental.tasks.callToolStream({ name: 'failing_job', arguments: {} }, CallToolResultSchema, {
        task: {},
      }),
    );
    expect(failed.at(-1)?.type).toBe('error');
    const created = (await client.request(
      { method: 'tools/call', params: { name: 'slow_compute', arguments: { seconds: 30 }, task: {} } },
      CreateTaskResultSchema,
    )) as { task: { taskId: string; status: string } };
    expect(created.task.status).toBe('working');
    const cancelled = await client.experimental.tasks.cancelTask(created.task.taskId);
    expect(cancelled).toMatchObject({ taskId: created.task.taskId, status: 'cancelled' });
    await expect(client.experimental.tasks.cancelTask(created.task.taskId)).rejects.toMatchObject({
      code: -32602,
    });
    await expect(client.experimental.tasks.getTask('no-such-task')).rejects.toMatchObject({ code: -32602 });
    await client.close();
  });

  it('answers tasks/result of a protocol failure with that error, and of a cancelled task with an error', async () => {
    const client = await connect();
    const start = async (name: string, args: Record<string, unknown>) =>
      (
        (await client.request(
          { method: 'tools/call', params: { name, arguments: args, task: {} } },
          CreateTaskResultSchema,
        )) as { task: { taskId: string } }
      ).task.taskId;
    const broken = await start('protocol_error_job', {});
    await expect(client.experimental.tasks.getTaskResult(broken, CallToolResultSchema)).rejects.toMatchObject(
      {
        code: -32603,
        message: expect.stringContaining('The job hit an internal error'),
      },
    );
    const slow = await start('slow_compute', { seconds: 30 });
    const waiting = client.experimental.tasks.getTaskResult(slow, CallToolResultSchema);
    await client.experimental.tasks.cancelTask(slow);
    await expect(waiting).rejects.toMatchObject({ message: expect.stringContaining('cancelled') });
    await client.close();
  });

  it('refuses a task on a tool that forbids one, and a plain call to a tool that requires one', async () => {
    const client = await connect();
    const call = (params: Record<string, unknown>) =>
      client.request({ method: 'tools/call', params: params as never }, CallToolResultSchema);
    await expect(call({ name: 'greet', arguments: { name: 'x' }, task: {} })).rejects.toMatchObject({
      code: -32601,
    });
    const plain = await call({ name: 'failing_job', arguments: {} }).catch((e: McpError) => e);
    expect(plain).toMatchObject({ code: -32601 });
    expect((plain as McpError).message).toContain('must be called as a task');
    await client.close();
  });
});

const modern = (method: string, params: Record<string, unknown>, declare = true, name?: string) =>
  modernTasksRequest(d.url, method, params, { declare, name });

async function untilStatus(taskId: string, wanted: string[]): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const got = (await modern('tasks/get', { taskId }, true, taskId)).body.result as Record<string, unknown>;
    if (wanted.includes(String(got['status']))) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`task ${taskId} never reached ${wanted.join('|')}`);
}

describe('tasks in 2026-07-28 (io.modelcontextprotocol/tasks)', () => {
  it('creates a task only for a declaring client, and answers with the result inline', async () => {
    const sync = await modern(
      'tools/call',
      { name: 'slow_compute', arguments: { seconds: 0 } },
      false,
      'slow_compute',
    );
    expect(sync.body.result).toMatchObject({
      resultType: 'complete',
      content: [{ text: 'Computed result after 0s' }],
    });
    const created = await modern(
      'tools/call',
      { name: 'slow_compute', arguments: { seconds: 1 } },
      true,
      'slow_compute',
    );
    expect(created.body.result).toMatchObject({
      resultType: 'task',
      status: 'working',
      ttlMs: expect.any(Number),
    });
    const taskId = String(created.body.result.taskId);
    const done = await untilStatus(taskId, ['completed']);
    expect(done).toMatchObject({
      resultType: 'complete',
      result: { content: [{ text: 'Computed result after 1s' }] },
    });
    const gated = await modern('tasks/get', { taskId }, false, taskId);
    expect(gated.status).toBe(400);
    expect(gated.body.error).toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { extensions: { 'io.modelcontextprotocol/tasks': {} } } },
    });
  });

  it('parks in input_required until tasks/update answers, and acks cancel of a finished task', async () => {
    const created = await modern('tools/call', { name: 'multi_input', arguments: {} }, true, 'multi_input');
    const taskId = String(created.body.result.taskId);
    const waiting = await untilStatus(taskId, ['input_required']);
    expect(Object.keys(waiting['inputRequests'] as object).sort()).toEqual(['confirm', 'name']);
    const ack = await modern(
      'tasks/update',
      { taskId, inputResponses: { name: { action: 'accept', content: { name: 'Ada' } }, bogus: {} } },
      true,
      taskId,
    );
    expect(ack.body.result).toMatchObject({ resultType: 'complete' });
    const half = (await modern('tasks/get', { taskId }, true, taskId)).body.result as Record<string, unknown>;
    expect(half['status']).toBe('input_required');
    expect(Object.keys(half['inputRequests'] as object)).toEqual(['confirm']);
    await modern(
      'tasks/update',
      { taskId, inputResponses: { confirm: { action: 'accept', content: { confirm: true } } } },
      true,
      taskId,
    );
    const done = await untilStatus(taskId, ['completed']);
    expect(JSON.stringify(done['result'])).toContain('Hello Ada, confirmed: true');
    expect((await modern('tasks/cancel', { taskId }, true, taskId)).body.result).toEqual({
      resultType: 'complete',
      _meta: expect.any(Object),
    });
    const wrongName = await modern('tasks/get', { taskId }, true, 'some-other-task');
    expect(wrongName.body.error).toMatchObject({ code: -32020 });
  });

  it('asks for input as an ordinary request first, then begins the task (explicit start)', async () => {
    const round1 = await modern(
      'tools/call',
      { name: 'test_tool_with_task', arguments: {} },
      true,
      'test_tool_with_task',
    );
    expect(round1.body.result).toMatchObject({
      resultType: 'input_required',
      inputRequests: { user_name: {} },
    });
    expect(round1.body.result.taskId).toBeUndefined();
    const round2 = await modern(
      'tools/call',
      {
        name: 'test_tool_with_task',
        arguments: {},
        inputResponses: { user_name: { action: 'accept', content: { name: 'Alice' } } },
        requestState: round1.body.result.requestState,
      },
      true,
      'test_tool_with_task',
    );
    expect(round2.body.result).toMatchObject({ resultType: 'task', status: 'working' });
    expect(round2.body.result.requestState).toBeUndefined();
    const done = await untilStatus(String(round2.body.result.taskId), ['completed']);
    expect(JSON.stringify(done['result'])).toContain('Hello, Alice!');
  });

  it('fails a task on a protocol error, with the error inline and no result', async () => {
    const created = await modern(
      'tools/call',
      { name: 'protocol_error_job', arguments: {} },
      true,
      'protocol_error_job',
    );
    const failed = await untilStatus(String(created.body.result.taskId), ['failed']);
    expect(failed).toMatchObject({ error: { code: -32603, message: 'The job hit an internal error' } });
    expect(failed['result']).toBeUndefined();
  });

  it('answers a finished task from the call history after a restart', async () => {
    const created = await modern(
      'tools/call',
      { name: 'slow_compute', arguments: { seconds: 0 } },
      true,
      'slow_compute',
    );
    const taskId = String(created.body.result.taskId);
    await untilStatus(taskId, ['completed']);
    await d.close();
    d = await startDaemon(
      { MCPD_DATA_DIR: dataDir, MCPD_RECORD_DURABLE_ANSWERS: 'true' },
      CONFORMANCE_CONFIG,
    );
    expect(d.daemon.engine.tasks.size).toBe(0);
    const again = (await modern('tasks/get', { taskId }, true, taskId)).body.result as Record<
      string,
      unknown
    >;
    expect(again).toMatchObject({
      taskId,
      status: 'completed',
      result: { content: [{ text: expect.stringContaining('Computed result') }] },
    });
  });
});
