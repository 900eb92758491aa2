/**
 * Cognito for real: a cognito-local user pool (started by the test, spoken to over the Cognito API) behind
 * `POST /auth/token` with USER_PASSWORD_AUTH. Its tokens verify through the pool's JWKS, carry the roles of the
 * user's groups (with MCPD_ROLE_CLAIM_PREFIX), reach exactly the endpoints those roles allow, and wrong passwords,
 * unknown users and an unreachable pool get clean answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CognitoLocal, startCognitoLocal } from '../helpers/cognito-local.js';
import {
  ADMIN_TOKEN,
  bearer,
  claimsOf,
  deployGreeter,
  greet,
  http,
  login,
  mcp,
  type SecureDaemon,
  startSecureDaemon,
} from './support.js';

let pool: CognitoLocal;
let d: SecureDaemon;
const env = (p: CognitoLocal, extra: Record<string, string> = {}) => ({
  AUTH_PROVIDER: 'cognito',
  COGNITO_USER_POOL_ID: p.userPoolId,
  COGNITO_APP_CLIENT_ID: p.clientId,
  COGNITO_ISSUER: p.issuer,
  COGNITO_ENDPOINT: p.endpoint,
  COGNITO_PASSWORD_AUTH: 'true',
  MCPD_ROLE_CLAIM_PREFIX: 'mcpd:',
  ADMIN_STATIC_TOKEN: ADMIN_TOKEN,
  ...extra,
});

beforeAll(async () => {
  pool = await startCognitoLocal();
  await pool.addUser('ann@example.com', 'Ann-password-123!', ['mcpd:tenantA:caller', 'admin']);
  await pool.addUser('ben@example.com', 'Ben-password-123!', ['mcpd:admin']);
  d = await startSecureDaemon(env(pool));
  await deployGreeter(d.url, 'tenantA', 'Hello');
  await deployGreeter(d.url, 'tenantB', 'Bonjour');
}, 60_000);
afterAll(async () => {
  await d?.close();
  await pool?.close();
});

describe('Cognito USER_PASSWORD_AUTH on /auth/token (cognito-local)', () => {
  it('logs a pool user in and the token works where its groups allow, and nowhere else', async () => {
    const r = await http(`${d.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ann@example.com', password: 'Ann-password-123!' }),
    });
    expect(r.status).toBe(200);
    const body = r.json as {
      access_token: string;
      token_type: string;
      id_token?: string;
      expires_in: number;
    };
    expect(body.token_type).toBe('bearer');
    expect(claimsOf(body.access_token)).toMatchObject({
      token_use: 'access',
      iss: pool.issuer,
      client_id: pool.clientId,
    });
    expect(claimsOf(body.id_token ?? '')).toMatchObject({ token_use: 'id', aud: pool.clientId });
    const ok = await mcp(d.url, 'tenantA', body.access_token, greet('Ann'));
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('Hello, Ann!');
    // The id token is accepted as well (MCPD_COGNITO_TOKEN_USE defaults to both).
    expect((await mcp(d.url, 'tenantA', body.id_token, greet('Ann'))).status).toBe(200);
    // The unprefixed group "admin" is someone else's: inert. tenantB is invisible to Ann.
    const other = await mcp(d.url, 'tenantB', body.access_token, greet('Ann'));
    expect(other.status).toBe(404);
    expect(other.text).not.toContain('Bonjour');
    const me = await http(`${d.url}/me`, { headers: bearer(body.access_token) });
    expect(me.json).toMatchObject({ kind: 'oidc', global_admin: false, roles: { tenantA: 'caller' } });
  });

  it('gives the prefixed admin group every endpoint', async () => {
    const token = await login(d.url, 'ben@example.com', 'Ben-password-123!');
    expect((await mcp(d.url, 'tenantB', token, greet('Ben'))).text).toContain('Bonjour, Ben!');
  });

  it('answers a wrong password and an unknown user alike, with 401 and no hint', async () => {
    const attempt = (username: string, password: string) =>
      http(`${d.url}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username, password }).toString(),
      });
    const wrong = await attempt('ann@example.com', 'not-her-password');
    const unknown = await attempt('nobody@example.com', 'not-her-password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.text).toBe(unknown.text);
  });

  it('refuses a login that needs a new password first, naming the challenge', async () => {
    await pool.addTemporaryUser('tmp@example.com', 'Temp-password-123!');
    const r = await http(`${d.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'tmp@example.com', password: 'Temp-password-123!' }),
    });
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ code: 'MCPD_AUTH_BAD_CREDENTIALS' });
    expect(r.text).toContain('NEW_PASSWORD_REQUIRED');
  });

  it('logs in through an app client with a secret (SECRET_HASH)', async () => {
    const { clientId, clientSecret } = await pool.addClientWithSecret();
    expect(clientSecret).not.toBe('');
    const withSecret = await startSecureDaemon(
      env(pool, { COGNITO_APP_CLIENT_ID: clientId, COGNITO_APP_CLIENT_SECRET: clientSecret }),
    );
    try {
      const token = await login(withSecret.url, 'ben@example.com', 'Ben-password-123!');
      expect(claimsOf(token)).toMatchObject({ client_id: clientId, token_use: 'access' });
      expect(withSecret.logs.join('\n')).not.toContain(clientSecret);
    } finally {
      await withSecret.close();
    }
  });

  it('answers 503 (not 500) when the pool cannot be reached, and never leaks the password to the log', async () => {
    const down = await startSecureDaemon(env(pool, { COGNITO_ENDPOINT: 'http://127.0.0.1:9' }));
    try {
      const r = await http(`${down.url}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'ann@example.com', password: 'Ann-password-123!' }),
      });
      expect(r.status).toBe(503);
      expect(r.json).toMatchObject({ code: 'MCPD_AUTH_UNAVAILABLE' });
      expect(down.logs.join('\n')).not.toContain('Ann-password-123!');
    } finally {
      await down.close();
    }
  });
});
