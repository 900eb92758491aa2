/**
 * Interop: the official MCP SDK client's legacy HTTP+SSE transport (SSEClientTransport, protocol 2024-11-05
 * wire format) against the real daemon: GET `/default/sse` opens the stream, its `endpoint` event names the
 * POST URL, and every response and server message arrives as a `message` event on that one stream.
 */
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONFORMANCE_CONFIG,
  DEMO_CONFIG,
  inflightCount,
  type RunningDaemon,
  startDaemon,
} from './support/daemon.js';
import { closeAll, connectHarness, type Harness, POLLING_CONFIG } from './support/harness.js';
import {
  callEchoAndAdd,
  cancelCountdown,
  closeStreamUnsupported,
  conformanceLogging,
  conformanceResources,
  countdownProgress,
  demoCompletion,
  demoLogging,
  demoPrompts,
  demoResources,
  elicitationRoundTrip,
  expectDemoInitialized,
  expectInitialized,
  listDemoTools,
  samplingRoundTrip,
  samplingWithoutCapability,
  templateCompletion,
  waitForZero,
} from './support/scenarios.js';

interface FetchRecord {
  method: string;
  url: string;
  status: number;
}

/** An SSE transport whose HTTP requests (the GET stream and every POST) are recorded. */
function sseTransport(base: string, requests: FetchRecord[]): SSEClientTransport {
  const recordingFetch = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const res = await fetch(url, init);
    requests.push({ method: init?.method ?? 'GET', url: String(url), status: res.status });
    return res;
  };
  return new SSEClientTransport(new URL(`${base}/default/sse`), {
    fetch: recordingFetch,
    eventSourceInit: { fetch: recordingFetch },
  });
}

describe('SDK client ↔ mcpd over legacy HTTP+SSE', () => {
  let demoDaemon: RunningDaemon;
  let conformanceDaemon: RunningDaemon;
  let demo: Harness | undefined;
  let conformance: Harness | undefined;
  let plain: Harness | undefined;
  const demoRequests: FetchRecord[] = [];

  beforeAll(async () => {
    [demoDaemon, conformanceDaemon] = await Promise.all([
      startDaemon({}, DEMO_CONFIG),
      startDaemon({}, CONFORMANCE_CONFIG),
    ]);
    [demo, conformance, plain] = await Promise.all([
      connectHarness(sseTransport(demoDaemon.url, demoRequests)),
      connectHarness(sseTransport(conformanceDaemon.url, []), { interactive: true }),
      connectHarness(sseTransport(conformanceDaemon.url, [])),
    ]);
  });

  afterAll(async () => {
    await closeAll([demo, conformance, plain]);
    await Promise.all([demoDaemon?.close(), conformanceDaemon?.close()]);
  });

  it('initializes: negotiated 2025-11-25, serverInfo mcpd, capabilities, instructions', () => {
    expectDemoInitialized(demo!);
    expectInitialized(conformance!);
    // One GET opened the stream; the POSTs went to the URL of the endpoint event and were accepted with 202.
    const [get, ...posts] = demoRequests;
    expect(get).toMatchObject({ method: 'GET', status: 200 });
    expect(new URL(get?.url ?? '').pathname).toBe('/default/sse');
    expect(posts.length).toBeGreaterThanOrEqual(2);
    for (const post of posts) {
      expect(post.method).toBe('POST');
      expect(post.status).toBe(202);
      const url = new URL(post.url);
      expect(url.pathname).toBe('/default/messages');
      expect(url.searchParams.get('sessionId')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('lists the demo tools', async () => {
    await listDemoTools(demo!);
  });

  it('calls echo and add (structuredContent {sum})', async () => {
    await callEchoAndAdd(demo!);
  });

  it('delivers countdown progress notifications to onprogress', async () => {
    await countdownProgress(demo!);
  });

  it('cancels a running countdown through an AbortSignal and keeps serving', async () => {
    await cancelCountdown(demo!, {
      waitUntilIdle: () => waitForZero(inflightCount(demoDaemon), 'requests in flight'),
    });
  });

  it('round-trips sampling/createMessage through test_sampling', async () => {
    await samplingRoundTrip(conformance!);
  });

  it('reports a tool error when the client declared no sampling capability', async () => {
    await samplingWithoutCapability(plain!);
  });

  it('round-trips form elicitation through test_elicitation', async () => {
    await elicitationRoundTrip(conformance!);
  });

  it('lists and reads resources and resource templates', async () => {
    await demoResources(demo!);
    await conformanceResources(conformance!);
  });

  it('lists and gets prompts', async () => {
    await demoPrompts(demo!);
  });

  it('completes prompt arguments and template variables', async () => {
    await demoCompletion(demo!);
    await templateCompletion(conformance!);
  });

  it('filters log notifications by logging/setLevel', async () => {
    await demoLogging(demo!);
    await conformanceLogging(conformance!);
  });

  it('answers even when a tool calls ctx.closeStream() (false: the legacy stream is the session)', async () => {
    const daemon = await startDaemon({}, POLLING_CONFIG);
    const h = await connectHarness(sseTransport(daemon.url, []));
    try {
      await closeStreamUnsupported(h);
    } finally {
      await h.close();
      await daemon.close();
    }
  });

  it('ends the daemon session when the client closes its stream', async () => {
    const daemon = await startDaemon({}, DEMO_CONFIG);
    try {
      const h = await connectHarness(sseTransport(daemon.url, []));
      expect(daemon.daemon.sessions.size).toBe(1);
      await h.close();
      await waitForZero(() => daemon.daemon.sessions.size, 'sessions');
    } finally {
      await daemon.close();
    }
  });
});
