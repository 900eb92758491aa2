/**
 * The public surface and the local login: `POST /auth/token` (the older engine's form fields, or JSON; no hint
 * which of username or password was wrong; a brake on password guessing that parallel requests cannot outrun),
 * `GET /me`, `/health` (no tenant or user names), the Protected Resource Metadata (served alike for endpoints that
 * exist and ones that do not), the Origin check, and logs that never hold a token, a password or a secret.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalVerifier } from '../../src/auth/local.js';
import { startOidcIssuer } from '../helpers/oidc-issuer.js';
import {
  ADMIN_TOKEN,
  authEnv,
  bearer,
  claimsOf,
  deployGreeter,
  type Fixture,
  fingerprint,
  gql,
  greet,
  http,
  JWT_SECRET,
  login,
  mcp,
  OIDC_AUDIENCE,
  passwordOf,
  type Reply,
  ROOT,
  startFixture,
  startSecureDaemon,
  USERS,
  writeUserFile,
} from './support.js';

let f: Fixture;

beforeAll(async () => {
  f = await startFixture();
});
afterAll(() => f?.close());

const form = (
  fields: Record<string, string>,
): { method: string; headers: Record<string, string>; body: string } => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});
const json = (fields: Record<string, unknown>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(fields),
});
const token = (url: string, init: ReturnType<typeof form>) => http(`${url}/auth/token`, init);

const BAD_CREDENTIALS = { detail: 'Incorrect username or password', code: 'MCPD_AUTH_BAD_CREDENTIALS' };

describe('POST /auth/token', () => {
  it('issues a bearer token for the form fields of the older engine, and for JSON', async () => {
    const byForm = await token(f.url, form({ username: 'bob', password: passwordOf('bob') }));
    expect(byForm.status).toBe(200);
    expect(byForm.json).toEqual({
      access_token: expect.any(String) as string,
      token_type: 'bearer',
      expires_in: 60,
    });
    const byJson = await token(f.url, json({ username: 'erin', password: passwordOf('erin') }));
    expect(byJson.status).toBe(200);
    expect(byJson.json).toEqual({
      access_token: expect.any(String) as string,
      token_type: 'bearer',
      expires_in: 60,
    });
    expect(byJson.headers.get('cache-control') ?? '').not.toMatch(/public/);
  });

  it('issues a token that works on /me and expires after ACCESS_TOKEN_EXP (60 s), checked on its claims', async () => {
    const bob = await login(f.url, 'bob');
    const claims = claimsOf(bob);
    expect(claims).toMatchObject({ iss: 'mcpd', sub: 'bob', username: 'bob', roles: ['tenantA:caller'] });
    const iat = claims.iat as number;
    const exp = claims.exp as number;
    expect(exp - iat).toBe(60);
    expect(Math.abs(iat - Date.now() / 1000)).toBeLessThan(10);
    const me = await http(`${f.url}/me`, { headers: bearer(bob) });
    expect(me.status).toBe(200);
    expect(me.json).toEqual({
      id: 'local:bob',
      name: 'bob',
      kind: 'user',
      global_admin: false,
      roles: { tenantA: 'caller' },
      scopes: [],
      expires_at: exp,
    });
    // HEAD (which Fastify adds for GET) needs no more than GET.
    expect((await http(`${f.url}/me`, { method: 'HEAD', headers: bearer(bob) })).status).toBe(200);
    // The verifier the daemon uses, with its clock moved past `exp` (and its 5 s tolerance): refused.
    const verifier = (at: number) => new LocalVerifier({ secret: JWT_SECRET, now: () => at * 1000 });
    await expect(verifier(exp - 1).verify(bob)).resolves.toMatchObject({ id: 'local:bob' });
    await expect(verifier(exp + 6).verify(bob)).rejects.toMatchObject({ code: 'MCPD_AUTH_EXPIRED' });
    // The same claims signed with the same secret but already expired: refused over HTTP.
    const expired = await new SignJWT({ ...claims, iat: iat - 120, exp: exp - 120 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode(JWT_SECRET));
    const refused = await http(`${f.url}/me`, { headers: bearer(expired) });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error_description="Token has expired"');
  });

  it('answers a wrong password and an unknown user identically (401, no hint which field was wrong)', async () => {
    const wrongPassword = await token(f.url, form({ username: 'frank', password: 'not-franks-password' }));
    const unknownUser = await token(
      f.url,
      form({ username: 'nobody-at-all', password: passwordOf('frank') }),
    );
    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword.json).toEqual(BAD_CREDENTIALS);
    expect(fingerprint(unknownUser)).toEqual(fingerprint(wrongPassword));
    const viaJson = await token(f.url, json({ username: 'frank', password: 'still-wrong' }));
    expect(viaJson.status).toBe(401);
    expect(viaJson.json).toEqual(BAD_CREDENTIALS);
    // frank can still log in with the right password.
    expect((await token(f.url, form({ username: 'frank', password: passwordOf('frank') }))).status).toBe(200);
  });

  it("knows no default account (the older engine's admin/admin123)", async () => {
    for (const [username, password] of [
      ['admin', 'admin123'],
      ['admin', 'admin'],
      [ROOT.username, 'admin123'],
    ]) {
      const r = await token(f.url, form({ username: username as string, password: password as string }));
      expect(r.status).toBe(401);
      expect(r.json).toEqual(BAD_CREDENTIALS);
    }
  });

  it('answers missing or mistyped fields 400 without checking anything', async () => {
    const missing = {
      detail: 'username and password are required (form fields or JSON)',
      code: 'MCPD_AUTH_MISSING',
    };
    for (const init of [
      form({ username: 'bob' }),
      json({ username: 'bob', password: 12345678901234 }),
      json({ user: 'bob', pass: passwordOf('bob') }),
      {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: `username=bob&password=${passwordOf('bob')}`,
      },
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' },
    ]) {
      const r = await token(f.url, init);
      expect(r.status, init.body).toBe(400);
      expect(r.json).toEqual(missing);
    }
  });

  it('refuses logins with 429 and Retry-After after 5 failures, even with the right password, for that user only', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await token(f.url, form({ username: 'grace', password: `wrong-${i}` }));
      expect(r.status).toBe(401);
    }
    for (const password of ['wrong-again', passwordOf('grace')]) {
      const r = await token(f.url, form({ username: 'grace', password }));
      expect(r.status).toBe(429);
      const retryAfter = Number(r.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(900);
      expect(r.json).toEqual({
        detail: 'Too many failed logins; try again later',
        code: 'MCPD_AUTH_RATE_LIMITED',
      });
    }
    // Other users from the same address are not locked out.
    expect((await token(f.url, form({ username: 'bob', password: passwordOf('bob') }))).status).toBe(200);
  });

  it('ignores X-Forwarded-For unless MCPD_TRUST_PROXY says whom to believe', async () => {
    const via = (address: string, password: string) => {
      const init = form({ username: 'frank', password });
      return token(f.url, { ...init, headers: { ...init.headers, 'x-forwarded-for': address } });
    };
    // Not trusted: every guess counts against the real address, whatever the header claims.
    for (let i = 0; i < 5; i++) expect((await via(`10.0.0.${i}`, `wrong-${i}`)).status).toBe(401);
    expect((await via('10.9.9.9', 'wrong-x')).status).toBe(429);

    const dir = mkdtempSync(join(tmpdir(), 'mcpd-proxy-'));
    const behind = await startSecureDaemon({
      ...authEnv(f.issuer, await writeUserFile(dir)),
      MCPD_TRUST_PROXY: '127.0.0.1',
    });
    try {
      const at = (address: string, password: string) => {
        const init = form({ username: 'frank', password });
        return token(behind.url, { ...init, headers: { ...init.headers, 'x-forwarded-for': address } });
      };
      for (let i = 0; i < 5; i++) expect((await at('203.0.113.7', `wrong-${i}`)).status).toBe(401);
      expect((await at('203.0.113.7', passwordOf('frank'))).status).toBe(429);
      // The proxy is trusted: another client behind it is another address, not locked out.
      expect((await at('203.0.113.8', passwordOf('frank'))).status).toBe(200);
    } finally {
      await behind.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counts parallel guesses before they are checked: a burst of 20 gets at most 5 password checks', async () => {
    // An unknown user is checked against a dummy hash of the real cost (ADMIN_PASSWORD's bcrypt 12): slow enough
    // for all 20 requests to be under way at once.
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        token(f.url, json({ username: 'burst-target', password: `guess-${i}` })),
      ),
    );
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    for (const r of burst.filter((x) => x.status === 429))
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('logs in the ADMIN_USERNAME user as the global admin', async () => {
    const root = await login(f.url, ROOT.username, ROOT.password);
    const me = await http(`${f.url}/me`, { headers: bearer(root) });
    expect(me.json).toMatchObject({ id: 'local:root', kind: 'user', global_admin: true, roles: {} });
    expect((await http(`${f.url}/admin/cache`, { method: 'DELETE', headers: bearer(root) })).status).toBe(
      200,
    );
  });
});

describe('public routes', () => {
  it('serves /health without a token, with no endpoint ids, user names or issuers in it', async () => {
    // Make sure there is something to leak: sessions, calls and logins of several users on both tenants.
    await mcp(f.url, 'tenantA', await login(f.url, 'bob'), greet('Health'));
    await mcp(f.url, 'tenantB', await login(f.url, 'carol'), greet('Health'));
    for (const headers of [{}, bearer('garbage'), bearer(ADMIN_TOKEN)]) {
      const r = await http(`${f.url}/health`, { headers });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ status: 'ok', endpoints: expect.any(Number) as number });
      for (const name of [
        'tenantA',
        'tenantB',
        'default',
        ...Object.keys(USERS),
        ROOT.username,
        'local:',
        f.issuer.issuer,
      ]) {
        expect(r.text, name).not.toContain(name);
      }
    }
  });

  it('serves the resource metadata without a token, the same for an endpoint that does not exist', async () => {
    const prm = (id: string) => http(`${f.url}/.well-known/oauth-protected-resource/${id}/mcp`);
    const existing = await prm('tenantA');
    const missing = await prm('tenantQ');
    expect(existing.status).toBe(200);
    expect(existing.json).toEqual({
      resource: `${f.url}/tenantA/mcp`,
      authorization_servers: expect.arrayContaining([f.issuer.issuer]) as string[],
      scopes_supported: [],
      bearer_methods_supported: ['header'],
      resource_name: 'mcpd endpoint tenantA',
    });
    expect({ ...fingerprint(missing), body: missing.text.split('tenantQ').join('tenantA') }).toEqual(
      fingerprint(existing),
    );
    const server = await http(`${f.url}/.well-known/oauth-protected-resource`);
    expect(server.status).toBe(200);
    expect(server.json).toMatchObject({ resource: f.url, resource_name: 'mcpd' });
    // An id no endpoint can have is refused, without a token too.
    const bad = await prm('__mcpd_api_keys');
    expect(bad.status).toBe(404);
    expect(bad.json).toEqual({ detail: 'Not Found' });
  });

  it('answers CORS preflights without a token, alike for every path, and refuses them from a foreign Origin', async () => {
    const preflight = (path: string, origin: string) =>
      http(`${f.url}${path}`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, mcp-session-id',
        },
      });
    const origin = 'http://localhost:3000';
    const existing = await preflight('/tenantA/mcp', origin);
    expect(existing.status).toBe(204);
    expect(existing.headers.get('access-control-allow-origin')).toBe(origin);
    expect(existing.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(existing.headers.get('access-control-allow-credentials')).toBeNull();
    expect(existing.headers.get('www-authenticate')).toBeNull();
    for (const path of ['/tenantZ/mcp', '/tenantB/mcp_core_graphql', '/auth/token', '/me']) {
      expect(fingerprint(await preflight(path, origin)), path).toEqual(fingerprint(existing));
    }
    const foreign = await preflight('/tenantA/mcp', 'http://evil.example');
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    // The request that follows still needs its token.
    const unauthenticated = await mcp(f.url, 'tenantA', undefined, undefined, { origin });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('access-control-allow-origin')).toBe(origin);
    expect(unauthenticated.headers.get('access-control-expose-headers')).toContain('www-authenticate');
  });

  it('refuses a browser Origin that is not allowed (403) even with a valid token, and sends no CORS grant', async () => {
    const bob = await login(f.url, 'bob');
    const evil = await mcp(f.url, 'tenantA', bob, greet('Evil'), { origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.json).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32000, message: 'Forbidden: Origin not allowed' },
    });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect(evil.headers.get('access-control-allow-credentials')).toBeNull();
    const local = await mcp(f.url, 'tenantA', bob, greet('Local'), { origin: 'http://localhost:3000' });
    expect(local.status).toBe(200);
  });
});

describe('logs', () => {
  it('never hold a token, a password or a secret, after failing and succeeding requests (also when the IdP is down)', async () => {
    const issuer = await startOidcIssuer();
    const dir = mkdtempSync(join(tmpdir(), 'mcpd-security-logs-'));
    const d = await startSecureDaemon(authEnv(issuer, await writeUserFile(dir)));
    try {
      await deployGreeter(d.url, 'tenantA', 'Hello');
      const secrets: string[] = [
        ADMIN_TOKEN,
        JWT_SECRET,
        ROOT.password,
        passwordOf('bob'),
        passwordOf('dave'),
      ];
      const sent: Reply[] = [];
      const send = async (p: Promise<Reply>) => sent.push(await p);

      // The identity provider is down: the OIDC token cannot be checked (503), which is logged.
      issuer.fail('discovery', 500);
      const oidc = await issuer.sign({ aud: OIDC_AUDIENCE, roles: ['tenantA:caller'] });
      secrets.push(oidc);
      const down = await mcp(d.url, 'tenantA', oidc);
      expect(down.status).toBe(503);
      expect(down.json).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32603, message: 'Service Unavailable: cannot verify credentials' },
      });
      issuer.fail('discovery', 200);
      expect((await mcp(d.url, 'tenantA', oidc)).status).toBe(200);

      // Failing requests carrying secrets.
      await send(mcp(d.url, 'tenantA', `${ADMIN_TOKEN}x`));
      await send(
        mcp(d.url, 'tenantA', undefined, undefined, {
          authorization: `Basic ${Buffer.from(`${ROOT.username}:${ROOT.password}`).toString('base64')}`,
        }),
      );
      await send(token(d.url, form({ username: 'bob', password: passwordOf('dave') })));
      await send(token(d.url, form({ username: ROOT.password, password: ROOT.password })));
      await send(mcp(d.url, 'tenantA', `mcpd_0123456789abcdef_${'s'.repeat(43)}`));
      // Succeeding ones.
      const bob = await login(d.url, 'bob');
      secrets.push(bob);
      await send(mcp(d.url, 'tenantA', bob, greet('Logs')));
      await send(mcp(d.url, 'tenantB', bob, greet('Logs')));
      const dave = await login(d.url, 'dave');
      secrets.push(dave);
      const created = await gql(d.url, 'tenantA', dave, 'mutation { createApiKey(role: "caller") { key } }');
      const key = (created.data?.['createApiKey'] as { key: string }).key;
      secrets.push(key);
      await send(mcp(d.url, 'tenantA', key, greet('Key')));
      await send(gql(d.url, 'tenantA', ADMIN_TOKEN, '{ mcpFunctionCallList { total } }'));
      expect(sent.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 200, 404, 200, 200]);

      const logs = d.logs.join('');
      expect(logs).toContain('authentication unavailable');
      for (const secret of secrets) {
        expect(logs.includes(secret), `a secret of ${secret.length} characters is in the logs`).toBe(false);
        // Nor the signature part of a JWT on its own.
        const signature = secret.split('.')[2];
        if (signature) expect(logs.includes(signature)).toBe(false);
      }
      // And the daemon shared by this file logged none of them either.
      const shared = f.d.logs.join('');
      for (const secret of [ADMIN_TOKEN, JWT_SECRET, ROOT.password, ...Object.keys(USERS).map(passwordOf)]) {
        expect(shared.includes(secret)).toBe(false);
      }
    } finally {
      await d.close();
      await issuer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
