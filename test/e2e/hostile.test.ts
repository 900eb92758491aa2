/**
 * Hostile tool code at the `worker` isolation level: a throw, an endless loop, a memory hog, process.exit, a crash
 * outside any call, a 50 MB result, a result that cannot cross threads, a call that ignores cancellation. Each gets
 * a clear error for that call only; another endpoint keeps answering meanwhile; the worker is replaced; every call
 * is recorded. The tool context (logs, progress, sampling, elicitation in both eras) works across the thread.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { DEPLOY, graphql, greeter, samplingClient, zipOf } from './support.js';

const HOSTILE = fileURLToPath(new URL('../fixtures/bundles/hostile/mcp.json', import.meta.url));

type CallReply = {
  result?: { content: { text: string }[]; isError?: boolean };
  error?: { code: number; message: string };
};
const call = (url: string, endpoint: string, name: string, args: Record<string, unknown> = {}) =>
  fetch(`${url}/${endpoint}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
  }).then((r) => r.json() as Promise<CallReply>);
/** Starts a call, then cancels it 100 ms later through the SDK (notifications/cancelled). */
const cancelledCall = async (client: Client, name: string) => {
  const controller = new AbortController();
  const pending = client.callTool({ name, arguments: {} }, undefined, { signal: controller.signal });
  await new Promise((r) => setTimeout(r, 100));
  controller.abort('changed my mind');
  return pending;
};
const text = (r: CallReply) => r.result?.content[0]?.text ?? '';

let d: RunningDaemon;
beforeAll(async () => {
  d = await startDaemon(
    { MCPD_WORKER_MEMORY_MB: '48', MCPD_ABORT_GRACE_MS: '300', MCPD_RECORD_DURABLE_ANSWERS: 'true' },
    HOSTILE,
  );
  const deployed = await graphql(d.url, 'bystander', DEPLOY, { zip: await zipOf(greeter('Still here')) });
  expect(deployed.errors).toBeUndefined();
});
afterAll(async () => d.close());

describe('hostile tool code in workers', () => {
  it('runs ordinary code with its settings', async () => {
    expect(text(await call(d.url, 'default', 'ok', { text: 'hi' }))).toBe('ok hi from default (set)');
  });

  it.each([
    ['boom', /^kaboom$/],
    ['loop', /took longer than 500 ms/],
    ['hog', /ran out of memory/],
    ['exit', /worker exited \(code 3\)/],
    ['huge', /result is too large/],
    ['asyncCrash', /crashed its worker/],
    ['unclonable', /^The result cannot be sent back to the daemon: .*could not be cloned/],
  ])('%s fails that call only, and the endpoint and its neighbours keep serving', async (name, message) => {
    const during = call(d.url, 'bystander', 'greet', { name: 'Bo' });
    const reply = await call(d.url, 'default', name);
    expect(reply.result?.isError).toBe(true);
    expect(text(reply)).toMatch(message);
    expect(text(reply)).not.toMatch(/\/tmp\/|\/work\/|node_modules|\n\s+at /);
    expect(text(await during)).toBe('Still here, Bo!');
    expect(text(await call(d.url, 'default', 'ok', { text: 'again' }))).toBe('ok again from default (set)');
  });

  it('keeps a bundle protocol error a protocol error', async () => {
    const reply = await call(d.url, 'default', 'protocolError');
    expect(reply.error).toMatchObject({ code: -32602, message: 'bad input, says the tool' });
  });

  it('terminates a worker whose call ignores its timeout, and replaces it', async () => {
    const reply = await call(d.url, 'default', 'stubborn');
    expect(text(reply)).toMatch(/took longer than 600 ms/);
    expect(text(await call(d.url, 'default', 'ok', { text: 'after' }))).toBe('ok after from default (set)');
  });

  it('records every one of those calls, with its outcome', async () => {
    const calls = (await d.daemon.store.calls.list('default', { limit: 500 })).items;
    const byName = (n: string) => calls.filter((c) => c.name === n);
    expect(byName('boom')[0]).toMatchObject({ status: 'failed', notes: 'kaboom', isolation: 'worker' });
    expect(byName('loop')[0]?.notes).toMatch(/took longer than 500 ms/);
    expect(byName('hog')[0]?.notes).toMatch(/ran out of memory/);
    expect(byName('ok').every((c) => c.status === 'completed')).toBe(true);
    expect(calls.filter((c) => c.status === 'in_process')).toEqual([]);
  });

  it('counts those crashes, timeouts and failures in /metrics, without naming any endpoint or tool', async () => {
    const res = await fetch(`${d.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const value = (line: string) =>
      Number(new RegExp(`^${line.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm').exec(text)?.[1]);
    // hog (out of memory), exit, asyncCrash: the worker died by the tool's hand.
    expect(value('mcpd_worker_crashes_total')).toBeGreaterThanOrEqual(3);
    // loop and stubborn.
    expect(value('mcpd_call_timeouts_total')).toBeGreaterThanOrEqual(2);
    expect(value('mcpd_calls_total{kind="tool",outcome="failed"}')).toBeGreaterThanOrEqual(7);
    expect(value('mcpd_calls_total{kind="tool",outcome="ok"}')).toBeGreaterThanOrEqual(8);
    expect(value('mcpd_worker_threads_started_total')).toBeGreaterThan(value('mcpd_worker_crashes_total'));
    expect(value('mcpd_call_records_written_total')).toBeGreaterThan(0);
    // Every record of these calls, the hostile ones' too, was kept.
    expect(value('mcpd_call_records_lost_total')).toBe(0);
    expect(text).toMatch(/^mcpd_build_info\{version="\d+\.\d+\.\d+[^"]*"\} 1$/m);
    expect(text).toMatch(/^mcpd_process_cpu_seconds_total /m);
    expect(text).not.toMatch(/bystander|hog|stubborn/);
  });
});

describe('the tool context across the thread', () => {
  it('carries logs, progress, sampling and cancellation in the handshake era', async () => {
    const { client, logs } = samplingClient('worker-ctx');
    await client.connect(new StreamableHTTPClientTransport(new URL(`${d.url}/default/mcp`)));
    await client.setLoggingLevel('info');
    const progress: number[] = [];
    const result = await client.callTool({ name: 'chatty', arguments: {} }, undefined, {
      onprogress: (p) => void progress.push(p.progress),
    });
    expect((result.content as { text: string }[])[0]?.text).toBe('model said: pong');
    expect(logs).toContain('hello from a worker');
    expect(progress).toEqual([1]);

    await expect(cancelledCall(client, 'polite')).rejects.toThrow();
    expect((await client.callTool({ name: 'ok', arguments: { text: 'x' } })).isError).toBeFalsy();
    await client.close();
  });

  it('gives a context that can be destructured and a signal read after the abort', async () => {
    const { client, logs } = samplingClient('worker-ctx-lazy');
    await client.connect(new StreamableHTTPClientTransport(new URL(`${d.url}/default/mcp`)));
    await client.setLoggingLevel('info');
    const result = await client.callTool({ name: 'destructured', arguments: {} });
    expect(JSON.parse((result.content as { text: string }[])[0]!.text)).toEqual({
      aborted: false,
      // Only the documented members: nothing of the worker's own bookkeeping.
      keys: ['clientCapabilities', 'requestId', 'settings'],
    });
    expect(logs).toContain('destructured on default');

    await expect(cancelledCall(client, 'watchful')).rejects.toThrow();
    // The tool read its signal after the abort had arrived, and saw it: the record keeps what it returned.
    await expect
      .poll(async () => {
        const calls = (await d.daemon.store.calls.list('default', { limit: 500 })).items;
        return JSON.stringify(calls.find((c) => c.name === 'watchful')?.content ?? null);
      })
      .toContain('saw abort: The request was cancelled');
    await client.close();
  });

  it('turns elicitation into an InputRequiredResult and back in 2026-07-28', async () => {
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': { elicitation: {} },
      'io.modelcontextprotocol/clientInfo': { name: 'modern', version: '1' },
    };
    const send = (params: Record<string, unknown>) =>
      fetch(`${d.url}/default/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/call',
          'mcp-name': 'ask',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params }),
      }).then((r) => r.json() as Promise<{ result: Record<string, unknown> }>);
    const first = await send({ name: 'ask', arguments: {}, _meta: meta });
    expect(first.result['resultType']).toBe('input_required');
    const inputs = first.result['inputRequests'] as Record<string, unknown>;
    const key = Object.keys(inputs)[0] as string;
    const second = await send({
      name: 'ask',
      arguments: {},
      _meta: meta,
      inputResponses: { [key]: { action: 'accept', content: { name: 'Ada' } } },
      requestState: first.result['requestState'],
    });
    expect(second.result).toMatchObject({
      resultType: 'complete',
      content: [{ type: 'text', text: 'hello Ada' }],
    });
  });
});

describe('the per-endpoint concurrency cap', () => {
  it('queues calls up to the limit, then refuses with -32050 and a retry hint', async () => {
    const small = await startDaemon(
      { MCPD_MAX_CONCURRENT: '1', MCPD_MAX_QUEUED: '1', MCPD_CALL_TIMEOUT_MS: '800' },
      HOSTILE,
    );
    try {
      // Warm both links first (module file resolved, schema compiled, worker started), so that below only the
      // synchronous part of a call stands between the request and its place in the queue.
      await call(small.url, 'default', 'ok', { text: 'warm' });
      expect(text(await call(small.url, 'default', 'polite'))).toMatch(/took longer than 800 ms/);
      const running = call(small.url, 'default', 'polite');
      const queued = call(small.url, 'default', 'ok', { text: 'queued' });
      await new Promise((r) => setTimeout(r, 200));
      const raw = await fetch(`${small.url}/default/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 9,
          method: 'tools/call',
          params: { name: 'ok', arguments: { text: 'refused' } },
        }),
      });
      expect(raw.status).toBe(429);
      expect(raw.headers.get('retry-after')).toBe('1');
      const refused = (await raw.json()) as CallReply;
      expect(refused.error).toMatchObject({
        code: -32050,
        message: 'Too many calls in progress on endpoint default; retry later',
        data: { retryAfterMs: 1000 },
      });
      expect(text(await running)).toMatch(/took longer than 800 ms/);
      expect(text(await queued)).toBe('ok queued from default (set)');
    } finally {
      await small.close();
    }
  });
});
