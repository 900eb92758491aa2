/**
 * DNS-rebinding protection on a loopback-bound daemon: the Host header must be a loopback name (or one of
 * MCPD_ALLOWED_HOSTS), and a browser Origin must be loopback (or one of MCPD_ALLOWED_ORIGINS).
 * fetch() cannot set Host, so requests go through node:http.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDaemon } from '../helpers/daemon.js';
import { expectNoStack, rawRequest, rpc, STREAMABLE_HEADERS, startDaemon } from './support.js';

interface Outcome {
  status: number;
  body: string;
}

/** POSTs a plain-JSON ping to /default/mcp with extra headers (Host and Origin included). */
async function ping(base: string, headers: Record<string, string>): Promise<Outcome> {
  const res = await rawRequest(`${base}/default/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(rpc(1, 'ping')),
  });
  return { status: res.status, body: await res.text() };
}

async function get(base: string, path: string, headers: Record<string, string>): Promise<Outcome> {
  const res = await rawRequest(`${base}${path}`, { headers });
  return { status: res.status, body: await res.text() };
}

function expectForbidden(o: Outcome, what: RegExp): void {
  expect(o.status).toBe(403);
  expect(JSON.parse(o.body)).toMatchObject({
    jsonrpc: '2.0',
    id: null,
    error: { code: -32000, message: expect.stringMatching(what) },
  });
  expectNoStack(o.body);
}

function expectServed(o: Outcome): void {
  expect(o.status).toBe(200);
  expect(JSON.parse(o.body)).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
}

describe('default policy (loopback bind, no allow-lists)', () => {
  let d: RunningDaemon;
  let port: string;
  beforeAll(async () => {
    d = await startDaemon();
    port = new URL(d.url).port;
  });
  afterAll(() => d.close());

  it('serves loopback Host names', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `LOCALHOST:${port}`]) {
      expectServed(await ping(d.url, { host }));
    }
  });

  it('refuses a non-loopback Host with 403 (also on /health, GET streams and unknown routes)', async () => {
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      'localhost.evil.example',
      '127.0.0.1.nip.io',
      '10.0.0.1',
    ]) {
      expectForbidden(await ping(d.url, { host }), /Host header not allowed/);
    }
    expectForbidden(await get(d.url, '/health', { host: 'evil.example' }), /Host/);
    expectForbidden(await get(d.url, '/default/sse', { host: 'evil.example' }), /Host/);
    expectForbidden(
      await get(d.url, '/default/mcp', { host: 'evil.example', accept: 'text/event-stream' }),
      /Host/,
    );
    expectForbidden(await get(d.url, '/nowhere', { host: 'evil.example' }), /Host/);
  });

  it('refuses a foreign Origin with 403', async () => {
    for (const origin of ['http://evil.example', 'https://evil.example:8443', 'null', 'not a url']) {
      expectForbidden(await ping(d.url, { host: `127.0.0.1:${port}`, origin }), /Origin not allowed/);
    }
  });

  it('allows loopback Origins on any port', async () => {
    for (const origin of [
      'http://localhost:1234',
      'http://127.0.0.1:5173',
      'https://localhost',
      'http://[::1]:3000',
    ]) {
      expectServed(await ping(d.url, { host: `127.0.0.1:${port}`, origin }));
    }
  });

  it('keeps serving normal requests after refusals', async () => {
    expectForbidden(await ping(d.url, { host: 'evil.example', origin: 'http://evil.example' }), /Host/);
    expectServed(await ping(d.url, { host: `localhost:${port}` }));
    const streamable = await rawRequest(`${d.url}/default/mcp`, {
      method: 'POST',
      headers: { ...STREAMABLE_HEADERS, host: `localhost:${port}`, origin: 'http://localhost:1234' },
      body: JSON.stringify(
        rpc(0, 'initialize', {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 't', version: '1' },
        }),
      ),
    });
    expect(streamable.status).toBe(200);
    expect(streamable.headers['mcp-session-id']).toBeTypeOf('string');
    await streamable.text();
  });
});

describe('MCPD_ALLOWED_ORIGINS', () => {
  let d: RunningDaemon;
  let host: string;
  beforeAll(async () => {
    d = await startDaemon({ MCPD_ALLOWED_ORIGINS: 'https://app.example' });
    host = new URL(d.url).host;
  });
  afterAll(() => d.close());

  it('allows the listed origin', async () => {
    expectServed(await ping(d.url, { host, origin: 'https://app.example' }));
    expectServed(await ping(d.url, { host, origin: 'HTTPS://APP.EXAMPLE' }));
  });

  it('refuses every other origin, loopback ones included', async () => {
    for (const origin of [
      'http://evil.example',
      'http://localhost:1234',
      'https://app.example.evil.example',
      'https://evil.app.example',
    ]) {
      expectForbidden(await ping(d.url, { host, origin }), /Origin not allowed/);
    }
  });

  it('still serves requests without an Origin (non-browser clients)', async () => {
    expectServed(await ping(d.url, { host }));
  });
});

describe('MCPD_ALLOWED_HOSTS', () => {
  let d: RunningDaemon;
  beforeAll(async () => {
    d = await startDaemon({ MCPD_ALLOWED_HOSTS: 'mcp.internal' });
  });
  afterAll(() => d.close());

  it('allows the listed host name on any port and refuses the rest, loopback names included', async () => {
    expectServed(await ping(d.url, { host: 'mcp.internal' }));
    expectServed(await ping(d.url, { host: 'MCP.internal:8080' }));
    expectForbidden(await ping(d.url, { host: 'evil.example' }), /Host header not allowed/);
    expectForbidden(await ping(d.url, { host: new URL(d.url).host }), /Host header not allowed/);
  });
});
