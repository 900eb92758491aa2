import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcIssuer, type OidcIssuer } from '../../test/helpers/oidc-issuer.js';
import { ADMIN_PRINCIPAL, AdminTokenVerifier } from './admin-token.js';
import { ApiKeyVerifier, createApiKey, InMemoryApiKeyDirectory } from './api-keys.js';
import { Authenticator, bearerToken, MAX_TOKEN_LENGTH, tokenShape } from './authenticator.js';
import { cognitoIssuer, cognitoVerifier, JwksVerifier } from './jwks.js';
import { hashPassword } from './local-users.js';
import { issueLocalToken, LocalVerifier } from './local.js';
import type { TokenVerifier } from './verifier.js';

const SECRET = 'authenticator-test-secret-0123456789';
const ADMIN = 'admin-static-token-0123456789abcdef';
const POOL = 'us-east-1_Pool42';
const CLIENT = 'cognito-client';
const COGNITO_ISS = cognitoIssuer('us-east-1', POOL);

let idp: OidcIssuer;
let auth: Authenticator;
const keys = new InMemoryApiKeyDirectory();

beforeAll(async () => {
  idp = await startOidcIssuer();
  auth = new Authenticator({
    adminToken: new AdminTokenVerifier(ADMIN),
    verifiers: [
      new ApiKeyVerifier(keys),
      new LocalVerifier({ secret: SECRET }),
      cognitoVerifier({ userPoolId: POOL, clientId: CLIENT, jwksUrl: idp.jwksUrl }),
      new JwksVerifier({ issuer: idp.issuer, audience: 'mcpd' }),
    ],
  });
});
afterAll(() => idp.close());

const bearer = (token: string): string => `Bearer ${token}`;
const code = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => 'resolved',
    (e: { code?: string }) => e.code,
  );

describe('bearerToken', () => {
  it('reads only Bearer credentials', () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('   ')).toBeUndefined();
    expect(bearerToken('Bearer abc.def-_~+/==')).toBe('abc.def-_~+/==');
    expect(bearerToken('bearer   abc')).toBe('abc');
    expect(bearerToken('BEARER abc ')).toBe('abc');
    expect(() => bearerToken('Basic YWxhZGRpbjpvcGVuc2VzYW1l')).toThrow(
      expect.objectContaining({ code: 'MCPD_AUTH_MISSING', status: 401 }),
    );
    expect(() => bearerToken('Bearer')).toThrow(expect.objectContaining({ code: 'MCPD_AUTH_INVALID' }));
    expect(() => bearerToken('Bearer a b')).toThrow('The bearer token is malformed');
    expect(() => bearerToken('Bearer a"b')).toThrow('The bearer token is malformed');
    expect(() => bearerToken(bearer('a'.repeat(MAX_TOKEN_LENGTH + 1)))).toThrow(
      'The bearer token is malformed',
    );
    expect(() => bearerToken('Bear@r abc')).toThrow('Only Bearer credentials are accepted');
    expect(() => bearerToken('abc')).toThrow('Only Bearer credentials are accepted');
  });
});

describe('tokenShape', () => {
  it('tells API keys, JWTs and anything else apart without verifying', () => {
    expect(tokenShape('mcpd_0123456789abcdef_x')).toEqual({ kind: 'api-key' });
    const none = new UnsecuredJWT({ iss: 'mcpd' }).encode();
    expect(tokenShape(none)).toEqual({ kind: 'jwt', alg: 'none', iss: 'mcpd' });
    const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    expect(tokenShape(`${b64({ alg: 7 })}.${b64({ iss: 5 })}.x`)).toEqual({
      kind: 'jwt',
      alg: '',
      iss: undefined,
    });
    expect(tokenShape(`${b64({ alg: 'RS256' })}.${b64([1])}.x`)).toEqual({ kind: 'opaque' });
    expect(tokenShape('a.b.c')).toEqual({ kind: 'opaque' });
    expect(tokenShape('opaque-token')).toEqual({ kind: 'opaque' });
  });
});

describe('Authenticator', () => {
  it('answers undefined without credentials', async () => {
    expect(await auth.authenticate(undefined)).toBeUndefined();
    expect(await auth.authenticate('')).toBeUndefined();
    expect(auth.verifierNames).toEqual(['api-key', 'local', 'cognito', `oidc:${idp.issuer}`]);
  });

  it('routes each kind of token to its verifier', async () => {
    expect(await auth.authenticate(bearer(ADMIN))).toBe(ADMIN_PRINCIPAL);
    const { key, record } = await createApiKey(keys, { endpointId: 'ep1', role: 'caller' });
    expect((await auth.authenticate(bearer(key)))?.id).toBe(`api-key:${record.id}`);
    const user = { username: 'alice', passwordHash: await hashPassword('pw', 4), roles: ['ep1:editor'] };
    const local = await issueLocalToken(user, { secret: SECRET });
    expect((await auth.authenticate(bearer(local.access_token)))?.id).toBe('local:alice');
    const cognito = await idp.signCognito(COGNITO_ISS, {
      tokenUse: 'access',
      clientId: CLIENT,
      groups: ['ep2:admin'],
    });
    const c = await auth.authenticate(bearer(cognito));
    expect([c?.kind, c?.roles.get('ep2')]).toEqual(['oidc', 'admin']);
    const oidc = await idp.sign({ aud: 'mcpd', mcpd_roles: { ep3: 'caller' } });
    expect((await auth.authenticate(bearer(oidc)))?.roles.get('ep3')).toBe('caller');
  });

  it('passes the resource context to the verifier', async () => {
    const token = await idp.sign({ aud: ['mcpd', 'https://m.example/ep1/mcp'] });
    expect((await auth.authenticate(bearer(token), { resources: ['https://m.example/ep1/mcp'] }))?.kind).toBe(
      'oidc',
    );
    expect(await code(auth.authenticate(bearer(token), { resources: ['https://m.example/ep2/mcp'] }))).toBe(
      'MCPD_AUTH_INVALID',
    );
  });

  it('refuses alg none and HS256 signed with the public key, whichever issuer they claim', async () => {
    const now = Math.floor(Date.now() / 1000);
    const pem = new TextEncoder().encode(await idp.publicKeyPem());
    for (const iss of ['mcpd', COGNITO_ISS, idp.issuer]) {
      const claims = {
        iss, sub: 'x', aud: 'mcpd', client_id: CLIENT, token_use: 'access', exp: now + 60, roles: ['admin'],
      }; // prettier-ignore
      expect(await code(auth.authenticate(bearer(new UnsecuredJWT(claims).encode())))).toBe(
        'MCPD_AUTH_INVALID',
      );
      const hs = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid: idp.kids()[0] ?? '' })
        .sign(pem);
      expect(await code(auth.authenticate(bearer(hs)))).toBe('MCPD_AUTH_INVALID');
    }
  });

  it('refuses unknown issuers, unknown opaque tokens, and malformed tokens', async () => {
    const stranger = await idp.sign({ iss: 'https://stranger.example', aud: 'mcpd' });
    await expect(auth.authenticate(bearer(stranger))).rejects.toThrow('Token issuer is not accepted');
    await expect(auth.authenticate(bearer('x'.repeat(40)))).rejects.toThrow('Token is not recognised');
    await expect(auth.authenticate(bearer(ADMIN.slice(0, -1)))).rejects.toThrow('Token is not recognised');
    await expect(auth.authenticate(bearer('mcpd_nothing'))).rejects.toThrow('API key is malformed');
    await expect(auth.authenticate('Basic abc')).rejects.toMatchObject({ code: 'MCPD_AUTH_MISSING' });
    const noKeys = new Authenticator({ verifiers: [] });
    await expect(noKeys.authenticate(bearer('mcpd_0123456789abcdef_x'))).rejects.toThrow(
      'API keys are not enabled',
    );
    await expect(noKeys.authenticate(bearer(ADMIN))).rejects.toThrow('Token is not recognised');
  });

  it('turns unexpected verifier failures into MCPD_AUTH_UNAVAILABLE', async () => {
    const broken: TokenVerifier = {
      name: 'broken',
      accepts: () => true,
      verify: () => Promise.reject(new Error('boom')),
    };
    const error = await new Authenticator({ verifiers: [broken] })
      .authenticate(bearer('tok'))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MCPD_AUTH_UNAVAILABLE', status: 503 });
    expect((error as Error).message).not.toContain('tok');
  });
});
