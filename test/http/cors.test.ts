/**
 * CORS for browser MCP clients: allowed origins are echoed (never `*`), preflights are answered without credentials,
 * session and auth headers are exposed, and an origin that is not allowed is refused before anything else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';

let d: RunningDaemon;
beforeAll(async () => {
  d = await startDaemon({ MCPD_ALLOWED_ORIGINS: 'https://app.example.com' });
});
afterAll(async () => d.close());

const init = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'browser', version: '1' } },
});

describe('CORS', () => {
  it('answers a preflight from an allowed origin without credentials', async () => {
    const res = await fetch(`${d.url}/default/mcp`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization, mcp-session-id, mcp-param-region',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toContain('mcp-param-region');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('refuses a preflight asking for headers it does not know', async () => {
    const res = await fetch(`${d.url}/default/mcp`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-headers': 'x-evil' },
    });
    expect(res.status).toBe(403);
  });

  it('echoes the origin on answers and exposes the session id', async () => {
    const res = await fetch(`${d.url}/default/mcp`, {
      method: 'POST',
      headers: {
        origin: 'https://app.example.com',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: init,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(res.headers.get('access-control-expose-headers')).toContain('mcp-session-id');
    expect(res.headers.get('mcp-session-id')).toBeTruthy();
    await res.text();
  });

  it('refuses other origins, and never answers with a wildcard', async () => {
    const res = await fetch(`${d.url}/default/mcp`, {
      method: 'POST',
      headers: { origin: 'https://evil.example.com', 'content-type': 'application/json' },
      body: init,
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const plain = await fetch(`${d.url}/health`);
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
  });
});
