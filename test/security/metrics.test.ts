/**
 * `/metrics` is for the global admin and for the separate MCPD_METRICS_TOKEN (which opens nothing else); it counts
 * refusals and logins by code, and names no tenant and no user.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, bearer, type Fixture, greet, http, login, mcp, startFixture } from './support.js';

const METRICS_TOKEN = 'prometheus-scrape-token-0123456789abcdef';
let f: Fixture;
beforeAll(async () => {
  f = await startFixture({ MCPD_METRICS_TOKEN: METRICS_TOKEN });
});
afterAll(() => f?.close());

const metrics = (token?: string, accept?: string) =>
  http(`${f.url}/metrics`, { headers: { ...bearer(token), ...(accept ? { accept } : {}) } });

describe('/metrics', () => {
  it('answers 401 without a token and 403 insufficient_scope to a tenant user, as any global route', async () => {
    expect((await metrics()).status).toBe(401);
    expect((await metrics('not-a-token')).status).toBe(401);
    const bob = await login(f.url, 'bob');
    const r = await metrics(bob);
    expect(r.status).toBe(403);
    expect(r.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  it('opens to the metrics token, which opens nothing else', async () => {
    const r = await metrics(METRICS_TOKEN);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect((await mcp(f.url, 'tenantA', METRICS_TOKEN)).status).toBe(401);
    expect((await http(`${f.url}/me`, { headers: bearer(METRICS_TOKEN) })).status).toBe(401);
  });

  it('counts calls, refusals and logins by code, and names no tenant or user', async () => {
    const bob = await login(f.url, 'bob');
    expect((await mcp(f.url, 'tenantA', bob, greet('Bo'))).status).toBe(200);
    await mcp(f.url, 'tenantB', bob, greet('Bo')); // invisible
    await http(`${f.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'carol', password: 'wrong-password' }),
    });
    const r = await metrics(ADMIN_TOKEN);
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/^mcpd_calls_total\{kind="tool",outcome="ok"\} [1-9]/m);
    expect(r.text).toMatch(/^mcpd_auth_refused_total\{code="MCPD_AUTH_INVISIBLE"\} [1-9]/m);
    expect(r.text).toMatch(/^mcpd_auth_refused_total\{code="MCPD_AUTH_MISSING"\} [1-9]/m);
    expect(r.text).toMatch(/^mcpd_logins_total\{outcome="ok"\} [1-9]/m);
    expect(r.text).toMatch(/^mcpd_logins_total\{outcome="bad_credentials"\} [1-9]/m);
    expect(r.text).toMatch(/^mcpd_sessions \d+$/m);
    for (const name of ['tenantA', 'tenantB', 'bob', 'carol', 'greet']) expect(r.text).not.toContain(name);
    const json = await metrics(ADMIN_TOKEN, 'application/json');
    expect((json.json as { name: string }[]).map((m) => m.name)).toContain('mcpd_calls_total');
  });
});
