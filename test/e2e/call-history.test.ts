/**
 * Call history end to end: calls made over MCP (both eras, tools, resources, prompts, failures) appear in the store
 * and through the management API with the right fields; a daemon killed with SIGKILL during 20 running calls leaves,
 * after its restart, no record in_process and every completed one intact.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERRUPTED_NOTE } from '../../src/calls/recorder.js';
import type { FunctionCallRecord } from '../../src/store/index.js';
import { createSqliteStore } from '../../src/store/sqlite.js';
import { DEMO_CONFIG, startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { graphql } from './support.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const rpc = (
  url: string,
  method: string,
  params: Record<string, unknown>,
  headers: Record<string, string> = {},
) =>
  fetch(`${url}/default/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  }).then((r) => r.json() as Promise<{ result?: Record<string, unknown>; error?: unknown }>);

async function allCalls(
  read: () => Promise<FunctionCallRecord[]>,
  until: (c: FunctionCallRecord[]) => boolean,
) {
  let calls = await read();
  for (let i = 0; i < 200 && !until(calls); i++) {
    await sleep(25);
    calls = await read();
  }
  return calls;
}

describe('call history', () => {
  let d: RunningDaemon;
  beforeAll(async () => {
    d = await startDaemon({}, DEMO_CONFIG);
  });
  afterAll(async () => d.close());

  it('records tools, resources and prompts in both eras, failures included', async () => {
    expect(
      (await rpc(d.url, 'tools/call', { name: 'echo', arguments: { text: 'recorded' } })).result,
    ).toBeDefined();
    await rpc(d.url, 'tools/call', { name: 'add', arguments: { a: 2, b: 3 } });
    await rpc(d.url, 'tools/call', { name: 'echo', arguments: {} }); // invalid: text is required
    await rpc(d.url, 'resources/read', { uri: 'demo://greeting/Ada' });
    await rpc(d.url, 'prompts/get', { name: 'summarize', arguments: { text: 'long text' } });
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': {},
      'io.modelcontextprotocol/clientInfo': { name: 'modern', version: '1' },
    };
    await rpc(
      d.url,
      'tools/call',
      { name: 'echo', arguments: { text: 'modern' }, _meta: meta },
      {
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'echo',
      },
    );
    const calls = await allCalls(
      async () => (await d.daemon.store.calls.list('default', { limit: 100 })).items,
      (c) => c.filter((x) => x.status !== 'in_process').length >= 6,
    );
    expect(calls).toHaveLength(6);
    // Ids are time-ordered: the store lists calls in the order they were made.
    expect(calls.map((c) => [c.name, c.mcp_type, c.status])).toEqual([
      ['echo', 'tool', 'completed'],
      ['add', 'tool', 'completed'],
      ['echo', 'tool', 'failed'],
      ['demo://greeting/Ada', 'resource', 'completed'],
      ['summarize', 'prompt', 'completed'],
      ['echo', 'tool', 'completed'],
    ]);
    const [echo, add, invalid, resource, prompt, modern] = calls as [
      FunctionCallRecord,
      FunctionCallRecord,
      FunctionCallRecord,
      FunctionCallRecord,
      FunctionCallRecord,
      FunctionCallRecord,
    ];
    expect(echo).toMatchObject({
      arguments: { text: 'recorded' },
      content: [{ type: 'text', text: 'recorded' }],
      endpoint_id: 'default',
      principal: 'anonymous',
      isolation: 'inline',
      notes: null,
    });
    expect(echo.time_spent).toBeGreaterThanOrEqual(0);
    expect(add.structured_content).toEqual({ sum: 5 });
    expect(invalid.notes).toMatch(/Invalid arguments for tool echo/);
    expect(JSON.stringify(resource.content)).toContain('Hello, Ada!');
    expect(JSON.stringify(prompt.content)).toContain('long text');
    expect(modern).toMatchObject({
      era: '2026-07-28',
      session_id: null,
      content: [{ type: 'text', text: 'modern' }],
    });
    // The management API shows the same history.
    const listed = await graphql(
      d.url,
      'default',
      `
        {
          mcpFunctionCallList(status: "failed") {
            total
            mcpFunctionCallList {
              name
              mcpType
              status
              notes
              timeSpent
              era
              isolation
              principal
              arguments
            }
          }
        }
      `,
    );
    expect(listed.data?.['mcpFunctionCallList']).toMatchObject({
      total: 1,
      mcpFunctionCallList: [
        { name: 'echo', mcpType: 'tool', status: 'failed', era: expect.any(String) as unknown },
      ],
    });
    const health = (await (await fetch(`${d.url}/health`)).json()) as { calls?: { written: number } };
    expect(health.calls?.written).toBeGreaterThanOrEqual(6);
  });
});

describe('a daemon killed with SIGKILL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mcpd-kill-'));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = () =>
    new Promise<{ child: ChildProcess; url: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [CLI, 'serve', '--port', '0', '--config', DEMO_CONFIG, '--data-dir', dataDir],
        {
          env: { ...process.env, LOG_LEVEL: 'info', AUTH_PROVIDER: 'none' },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      children.push(child);
      let out = '';
      child.stderr?.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        const m = /"url":"(http:[^"]+)"/.exec(out);
        if (m?.[1]) resolve({ child, url: m[1] });
      });
      child.once('exit', (code) => reject(new Error(`mcpd exited (${code}): ${out}`)));
    });

  it('leaves no record in_process after its restart and loses no completed one', async () => {
    const first = await start();
    for (let i = 0; i < 10; i++) {
      const r = await rpc(first.url, 'tools/call', { name: 'echo', arguments: { text: `done-${i}` } });
      expect(r.result).toBeDefined();
    }
    for (let i = 0; i < 20; i++) {
      rpc(first.url, 'tools/call', { name: 'countdown', arguments: { n: 100, delayMs: 200 } }).catch(
        () => undefined,
      );
    }
    const reader = createSqliteStore({ path: join(dataDir, 'mcpd.db') });
    try {
      const read = async () => (await reader.calls.list('default', { limit: 100 })).items;
      const before = await allCalls(read, (c) => c.filter((x) => x.status === 'in_process').length === 20);
      expect(before.filter((c) => c.status === 'in_process')).toHaveLength(20);
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));

      const second = await start();
      const after = await read();
      expect(after.filter((c) => c.status === 'in_process')).toEqual([]);
      const done = after.filter((c) => c.name === 'echo');
      expect(done.map((c) => [c.status, (c.content as { text: string }[])[0]?.text])).toEqual(
        Array.from({ length: 10 }, (_, i) => ['completed', `done-${i}`]),
      );
      const killed = after.filter((c) => c.name === 'countdown');
      expect(killed).toHaveLength(20);
      for (const c of killed) expect(c).toMatchObject({ status: 'failed', notes: INTERRUPTED_NOTE });
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    } finally {
      await reader.close();
    }
  });
});
