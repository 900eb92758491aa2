/**
 * Bearer credentials at the HTTP edge: every forged, tampered, expired, misdirected or misplaced token is refused
 * with 401 and a `WWW-Authenticate: Bearer` challenge pointing at the endpoint's resource metadata (RFC 6750,
 * RFC 9728), and only a `Bearer` Authorization header is ever read. The daemon trusts local users (HS256 with
 * JWT_SECRET_KEY), one OIDC issuer and one Cognito pool (both served by the local JWKS issuer), and a static admin
 * token; the target is `POST /tenantA/mcp` (tools/list) unless a case says otherwise.
 */
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OidcIssuer, startOidcIssuer } from '../helpers/oidc-issuer.js';
import {
  ADMIN_TOKEN,
  bearer,
  COGNITO_CLIENT,
  COGNITO_ISSUER,
  type Fixture,
  greet,
  http,
  JWT_SECRET,
  login,
  mcp,
  OIDC_AUDIENCE,
  type Reply,
  ROOT,
  startFixture,
} from './support.js';

let f: Fixture;
let rogue: OidcIssuer;

beforeAll(async () => {
  [f, rogue] = await Promise.all([startFixture(), startOidcIssuer()]);
});
afterAll(async () => {
  await f?.close();
  await rogue?.close();
});

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);
/** `header.payload.signature` with the payload replaced (the signature no longer matches). */
const withPayload = (token: string, payload: JWTPayload): string => {
  const [h, , s] = token.split('.');
  return `${h}.${b64(payload)}.${s}`;
};
const hs256 = (payload: JWTPayload, secret: string): Promise<string> =>
  new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(secret));

const metadata = (endpoint = 'tenantA') =>
  `resource_metadata="${f.url}/.well-known/oauth-protected-resource/${endpoint}/mcp"`;

/** 401 with `error="invalid_token"` and the reason, in the header and in the JSON-RPC body alike. */
function expectInvalid(r: Reply, reason: string, endpoint = 'tenantA'): void {
  expect(r.status).toBe(401);
  expect(r.headers.get('www-authenticate')).toBe(
    `Bearer ${metadata(endpoint)}, error="invalid_token", error_description="${reason.replace(/"/g, "'")}"`,
  );
  expect(r.json).toEqual({
    jsonrpc: '2.0',
    id: null,
    error: { code: -32000, message: `Unauthorized: ${reason}` },
  });
}

/** 401 for a request that carried no Bearer credentials at all (no `error`, RFC 6750 §3.1). */
function expectNoCredentials(r: Reply, message = 'Unauthorized: a Bearer token is required'): void {
  expect(r.status).toBe(401);
  expect(r.headers.get('www-authenticate')).toBe(`Bearer ${metadata()}`);
  expect(r.json).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32000, message } });
}

describe('requests without usable Bearer credentials', () => {
  it('answers a request without a token 401 with the resource metadata of the endpoint', async () => {
    const r = await mcp(f.url, 'tenantA', undefined);
    expectNoCredentials(r);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('points other routes at the right metadata document (endpoint routes → endpoint, /me → server)', async () => {
    const graphql = await http(`${f.url}/tenantA/mcp_core_graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ ping }' }),
    });
    expectNoCredentials(graphql);
    expectNoCredentials(await http(`${f.url}/tenantA/sse`));
    expectNoCredentials(await http(`${f.url}/tenantA`));
    const me = await http(`${f.url}/me`);
    expect(me.status).toBe(401);
    expect(me.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${f.url}/.well-known/oauth-protected-resource"`,
    );
  });

  it('refuses malformed bearer values as invalid tokens', async () => {
    for (const value of ['Bearer', 'Bearer ', 'Bearer two words', 'Bearer tok"en', 'Bearer a,b']) {
      expectInvalid(
        await mcp(f.url, 'tenantA', undefined, undefined, { authorization: value }),
        'The bearer token is malformed',
      );
    }
    expectInvalid(await mcp(f.url, 'tenantA', 'not-a-jwt'), 'Token is not recognised');
    expectInvalid(await mcp(f.url, 'tenantA', 'aaa.bbb.ccc'), 'Token is not recognised');
    // Oversized credentials never reach a verifier: Node refuses the headers first.
    const huge = await mcp(f.url, 'tenantA', 'a'.repeat(20_000));
    expect(huge.status).toBe(431);
  });

  it('does not read Basic credentials, even the right username and password', async () => {
    const basic = Buffer.from(`${ROOT.username}:${ROOT.password}`).toString('base64');
    const r = await mcp(f.url, 'tenantA', undefined, undefined, { authorization: `Basic ${basic}` });
    expectNoCredentials(r, 'Unauthorized: Only Bearer credentials are accepted');
    // The admin token under another scheme is no better.
    const token = await mcp(f.url, 'tenantA', undefined, undefined, {
      authorization: `Token ${ADMIN_TOKEN}`,
    });
    expectNoCredentials(token, 'Unauthorized: Only Bearer credentials are accepted');
  });

  it('ignores a token in the query string or in a cookie (401 as if there were none)', async () => {
    const bob = await login(f.url, 'bob');
    for (const token of [ADMIN_TOKEN, bob]) {
      const query = await http(`${f.url}/tenantA/mcp?access_token=${encodeURIComponent(token)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expectNoCredentials(query);
      const cookie = await mcp(f.url, 'tenantA', undefined, undefined, {
        cookie: `access_token=${token}; token=${token}`,
      });
      expectNoCredentials(cookie);
    }
    expectNoCredentials(await http(`${f.url}/tenantA?access_token=${ADMIN_TOKEN}`));
  });

  it('does not skip auth for paths that merely start like public ones (/healthX, /authors, /.well-known)', async () => {
    for (const path of ['/healthX', '/authors', '/.well-known', '/auth']) {
      const r = await http(`${f.url}${path}`);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata="/);
    }
  });
});

describe('forged and tampered tokens', () => {
  it('refuses an OIDC token whose payload was changed after signing (bad signature)', async () => {
    const genuine = await f.oidc({ roles: ['tenantA:caller'] });
    expect((await mcp(f.url, 'tenantA', genuine)).status).toBe(200);
    const forged = withPayload(genuine, {
      iss: f.issuer.issuer,
      sub: 'user-1',
      aud: OIDC_AUDIENCE,
      exp: now() + 300,
      roles: ['admin'],
    });
    expectInvalid(await mcp(f.url, 'tenantA', forged), 'Token signature is invalid');
  });

  it('refuses a local token whose roles were raised after signing', async () => {
    const bob = await login(f.url, 'bob');
    const claims = JSON.parse(Buffer.from(bob.split('.')[1] ?? '', 'base64url').toString()) as JWTPayload;
    const forged = withPayload(bob, { ...claims, roles: ['admin'] });
    expectInvalid(await mcp(f.url, 'tenantB', forged), 'Token signature is invalid', 'tenantB');
    // The genuine token still has only its own role.
    expect((await mcp(f.url, 'tenantA', bob)).status).toBe(200);
  });

  it('refuses `alg: none`, for the OIDC issuer and for the local issuer alike', async () => {
    const claims = { sub: 'user-1', aud: OIDC_AUDIENCE, exp: now() + 300, roles: ['admin'] };
    const oidc = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, iss: f.issuer.issuer })}.`;
    expectInvalid(await mcp(f.url, 'tenantA', oidc), 'Token algorithm is not accepted');
    const local = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, iss: 'mcpd', username: 'x' })}.`;
    expectInvalid(await mcp(f.url, 'tenantA', local), 'Token issuer is not accepted');
  });

  it("refuses HS256 tokens keyed with the issuer's RSA public key (algorithm confusion)", async () => {
    const pem = await f.issuer.publicKeyPem();
    const claims = { sub: 'user-1', aud: OIDC_AUDIENCE, exp: now() + 300, roles: ['admin'] };
    expectInvalid(
      await mcp(f.url, 'tenantA', await hs256({ ...claims, iss: f.issuer.issuer }, pem)),
      'Token algorithm is not accepted',
    );
    // Posing as a local token instead: HS256 is right there, but the key is not JWT_SECRET_KEY.
    expectInvalid(
      await mcp(f.url, 'tenantA', await hs256({ ...claims, iss: 'mcpd' }, pem)),
      'Token signature is invalid',
    );
  });

  it('refuses a token signed by another issuer that claims to come from the trusted one', async () => {
    const token = await rogue.sign({ iss: f.issuer.issuer, aud: OIDC_AUDIENCE, roles: ['admin'] });
    expectInvalid(await mcp(f.url, 'tenantA', token), 'Token signature is invalid');
    const unknownKid = await rogue.sign(
      { iss: f.issuer.issuer, aud: OIDC_AUDIENCE, roles: ['admin'] },
      { kid: await rogue.rotate() },
    );
    expectInvalid(await mcp(f.url, 'tenantA', unknownKid), 'Token signing key is not known');
  });

  it('refuses a token from an issuer that is not configured', async () => {
    const token = await rogue.sign({ aud: OIDC_AUDIENCE, roles: ['admin'] });
    expectInvalid(await mcp(f.url, 'tenantA', token), 'Token issuer is not accepted');
  });

  it('refuses a local-looking token signed with another secret', async () => {
    const token = await hs256(
      { iss: 'mcpd', sub: 'root', username: 'root', roles: ['admin'], exp: now() + 300 },
      'x'.repeat(48),
    );
    expectInvalid(await mcp(f.url, 'tenantA', token), 'Token signature is invalid');
  });
});

describe('claims checks', () => {
  it('refuses expired tokens (OIDC and local)', async () => {
    const oidc = await f.oidc({ roles: ['tenantA:caller'] }, { expiresIn: -600 });
    expectInvalid(await mcp(f.url, 'tenantA', oidc), 'Token has expired');
    const local = await hs256(
      {
        iss: 'mcpd',
        sub: 'bob',
        username: 'bob',
        roles: ['tenantA:caller'],
        iat: now() - 7200,
        exp: now() - 3600,
      },
      JWT_SECRET,
    );
    expectInvalid(await mcp(f.url, 'tenantA', local), 'Token has expired');
  });

  it('refuses a token that is not valid yet (nbf)', async () => {
    const token = await f.oidc({ roles: ['tenantA:caller'], nbf: now() + 600 });
    expectInvalid(await mcp(f.url, 'tenantA', token), 'Token is not valid yet');
  });

  it('refuses a token for another audience', async () => {
    const token = await f.oidc({ roles: ['tenantA:caller'], aud: 'some-other-client' });
    expectInvalid(await mcp(f.url, 'tenantA', token), 'Token "aud" claim check failed');
  });

  it('refuses tokens without a subject or without an expiry', async () => {
    const noSub = await f.oidc({ roles: ['tenantA:caller'] }, { omitClaims: ['sub'] });
    expectInvalid(await mcp(f.url, 'tenantA', noSub), 'Token "sub" claim check failed');
    const noExp = await f.oidc({ roles: ['tenantA:caller'] }, { omitClaims: ['exp'] });
    expectInvalid(await mcp(f.url, 'tenantA', noExp), 'Token "exp" claim check failed');
  });

  it('accepts a genuine OIDC token and names its principal by issuer and subject', async () => {
    const token = await f.oidc({ roles: ['tenantA:caller'], sub: 'oidc-user-7', email: 'u7@example.test' });
    const r = await mcp(f.url, 'tenantA', token, greet('Ann'));
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      jsonrpc: '2.0',
      id: 7,
      result: { content: [{ type: 'text', text: 'Hello, Ann!' }] },
    });
    const me = await http(`${f.url}/me`, { headers: bearer(token) });
    expect(me.json).toMatchObject({
      id: `oidc:${f.issuer.issuer}#oidc-user-7`,
      name: 'u7@example.test',
      kind: 'oidc',
      global_admin: false,
      roles: { tenantA: 'caller' },
    });
  });
});

describe('Cognito tokens (pool configured against the local JWKS, MCPD_COGNITO_TOKEN_USE=access)', () => {
  const cognito = (tokenUse: 'access' | 'id', clientId = COGNITO_CLIENT) =>
    f.issuer.signCognito(COGNITO_ISSUER, {
      tokenUse,
      clientId,
      groups: ['tenantA:caller'],
      username: 'cognito-ann',
    });

  it('accepts an access token of the app client, with its groups as roles', async () => {
    const token = await cognito('access');
    expect((await mcp(f.url, 'tenantA', token)).status).toBe(200);
    const me = await http(`${f.url}/me`, { headers: bearer(token) });
    expect(me.json).toMatchObject({ name: 'cognito-ann', kind: 'oidc', roles: { tenantA: 'caller' } });
  });

  it('refuses an id token (wrong token_use)', async () => {
    expectInvalid(await mcp(f.url, 'tenantA', await cognito('id')), 'Token "token_use" is not accepted');
  });

  it('refuses an access token issued to another app client', async () => {
    expectInvalid(
      await mcp(f.url, 'tenantA', await cognito('access', 'other-client')),
      'Token was issued for another client',
    );
  });
});
