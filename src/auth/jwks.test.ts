import { exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcIssuer, type OidcIssuer } from '../../test/helpers/oidc-issuer.js';
import { ConfigError } from '../config/errors.js';
import { cognitoIssuer, cognitoVerifier, JwksVerifier } from './jwks.js';

let idp: OidcIssuer;
beforeAll(async () => {
  idp = await startOidcIssuer();
});
afterAll(() => idp.close());

const AUD = 'mcpd-client';
const code = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => 'resolved',
    (e: { code?: string }) => e.code,
  );
const oidc = (extra: Partial<ConstructorParameters<typeof JwksVerifier>[0]> = {}): JwksVerifier =>
  new JwksVerifier({ issuer: idp.issuer, audience: AUD, ...extra });

describe('JwksVerifier (generic OIDC)', () => {
  it('finds the JWKS through discovery and verifies a token into an oidc principal', async () => {
    const before = { ...idp.requests };
    const v = oidc();
    const token = await idp.sign({
      aud: AUD,
      preferred_username: 'alice',
      roles: ['ep1:caller'],
      scope: 'a b',
    });
    const p = await v.verify(token);
    expect(p).toMatchObject({
      id: `oidc:${idp.issuer}#user-1`,
      name: 'alice',
      kind: 'oidc',
      globalAdmin: false,
    });
    expect([...p.roles]).toEqual([['ep1', 'caller']]);
    expect(p.scopes).toEqual(['a', 'b']);
    expect(p.claims?.['preferred_username']).toBe('alice');
    expect(typeof p.expiresAt).toBe('number');
    await v.verify(token);
    expect(idp.requests.discovery - before.discovery).toBe(1);
    expect(idp.requests.jwks - before.jwks).toBe(1);
    expect(v.accepts({ kind: 'jwt', alg: 'RS256', iss: idp.issuer })).toBe(true);
    expect(v.accepts({ kind: 'jwt', alg: 'RS256', iss: 'https://other' })).toBe(false);
    expect(v.accepts({ kind: 'opaque' })).toBe(false);
    expect(v.name).toBe(`oidc:${idp.issuer}`);
  });

  it('refuses expired, not yet valid, wrong issuer, wrong audience and tampered tokens', async () => {
    const v = oidc({ jwksUrl: idp.jwksUrl });
    const now = Math.floor(Date.now() / 1000);
    await expect(v.verify(await idp.sign({ aud: AUD }, { expiresIn: -60 }))).rejects.toMatchObject({
      code: 'MCPD_AUTH_EXPIRED',
      status: 401,
    });
    expect((await v.verify(await idp.sign({ aud: AUD }, { expiresIn: -3 }))).kind).toBe('oidc'); // 5 s tolerance
    await expect(v.verify(await idp.sign({ aud: AUD, nbf: now + 60 }))).rejects.toThrow(
      'Token is not valid yet',
    );
    await expect(v.verify(await idp.sign({ aud: AUD, iss: 'https://evil.example' }))).rejects.toThrow(
      '"iss" claim',
    );
    await expect(v.verify(await idp.sign({ aud: 'someone-else' }))).rejects.toThrow('"aud" claim');
    await expect(v.verify(await idp.sign({}))).rejects.toThrow('"aud" claim');
    await expect(v.verify(await idp.sign({ aud: AUD }, { omitClaims: ['sub'] }))).rejects.toThrow(
      '"sub" claim',
    );
    const [h, , s] = (await idp.sign({ aud: AUD })).split('.');
    const forged = Buffer.from(
      JSON.stringify({ iss: idp.issuer, sub: 'admin', aud: AUD, exp: now + 60, roles: ['admin'] }),
    );
    await expect(v.verify(`${h}.${forged.toString('base64url')}.${s}`)).rejects.toThrow(
      'Token signature is invalid',
    );
    await expect(v.verify('garbage')).rejects.toMatchObject({ code: 'MCPD_AUTH_INVALID' });
    await expect(v.verify('a.b.c')).rejects.toMatchObject({ code: 'MCPD_AUTH_INVALID' });
  });

  it('refuses alg none and HS256 tokens signed with the issuer public key', async () => {
    const v = oidc({ jwksUrl: idp.jwksUrl });
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: idp.issuer, sub: 'x', aud: AUD, exp: now + 60, roles: ['admin'] };
    await expect(v.verify(new UnsecuredJWT(claims).encode())).rejects.toMatchObject({
      code: 'MCPD_AUTH_INVALID',
    });
    const pem = new TextEncoder().encode(await idp.publicKeyPem());
    const hs = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: idp.kids()[0] ?? '' })
      .sign(pem);
    await expect(v.verify(hs)).rejects.toThrow('Token algorithm is not accepted');
  });

  it('refetches the JWKS on an unknown kid (key rotation) once the cooldown has passed', async () => {
    const v = oidc({ jwksUrl: idp.jwksUrl, cooldownMs: 0 });
    await v.verify(await idp.sign({ aud: AUD }));
    const fetches = idp.requests.jwks;
    const kid = await idp.rotate();
    const p = await v.verify(await idp.sign({ aud: AUD }, { kid }));
    expect(p.kind).toBe('oidc');
    expect(idp.requests.jwks).toBe(fetches + 1);
    // a kid that never appears: refetched, then refused as unknown
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const stranger = await new SignJWT({ iss: idp.issuer, sub: 'x', aud: AUD, exp: now + 60 })
      .setProtectedHeader({ alg: 'RS256', kid: 'stranger' })
      .sign(privateKey);
    await expect(v.verify(stranger)).rejects.toThrow('Token signing key is not known');
    // no kid with several keys served: ambiguous, refused
    await expect(v.verify(await idp.sign({ aud: AUD }, { omitKid: true }))).rejects.toThrow(
      'signing key is not known',
    );
  });

  it('does not refetch for unknown kids during the cooldown', async () => {
    const v = oidc({ jwksUrl: idp.jwksUrl });
    await v.verify(await idp.sign({ aud: AUD }));
    const fetches = idp.requests.jwks;
    const kid = await idp.rotate();
    await expect(v.verify(await idp.sign({ aud: AUD }, { kid }))).rejects.toMatchObject({
      code: 'MCPD_AUTH_INVALID',
    });
    expect(idp.requests.jwks).toBe(fetches);
  });

  it('checks resource indicators (RFC 8707) when asked', async () => {
    const v = oidc({ jwksUrl: idp.jwksUrl });
    const resource = 'https://mcpd.example/ep1/mcp';
    const token = await idp.sign({ aud: [AUD, `${resource}/`] });
    expect((await v.verify(token, { resources: [resource] })).kind).toBe('oidc');
    expect((await v.verify(token, { resources: [] })).kind).toBe('oidc');
    await expect(v.verify(token, { resources: ['https://mcpd.example/ep2/mcp'] })).rejects.toThrow(
      'Token audience does not include this resource',
    );
    const off = oidc({ jwksUrl: idp.jwksUrl, checkResource: false });
    expect((await off.verify(token, { resources: ['https://mcpd.example/ep2/mcp'] })).kind).toBe('oidc');
  });

  it('applies a role prefix and an injected clock', async () => {
    const t0 = Date.now() + 3_600_000;
    const v = oidc({ jwksUrl: idp.jwksUrl, roleClaimPrefix: 'mcpd:', now: () => t0 });
    const token = await idp.sign({ aud: AUD, roles: ['admin', 'mcpd:ep1:admin'], email: 'a@x' });
    await expect(v.verify(token)).rejects.toMatchObject({ code: 'MCPD_AUTH_EXPIRED' });
    const fresh = await idp.sign(
      { aud: AUD, roles: ['admin', 'mcpd:ep1:admin'], email: 'a@x' },
      { expiresIn: 7200 },
    );
    const p = await v.verify(fresh);
    expect([p.globalAdmin, [...p.roles], p.name]).toEqual([false, [['ep1', 'admin']], 'a@x']);
  });

  it('reports provider outages as unavailable, and recovers', async () => {
    const token = await idp.sign({ aud: AUD });
    idp.fail('discovery', 500);
    const v = oidc();
    await expect(v.verify(token)).rejects.toMatchObject({ code: 'MCPD_AUTH_UNAVAILABLE', status: 503 });
    await expect(v.verify(token)).rejects.toThrow('answered HTTP 500');
    idp.fail('discovery', 200);
    idp.fail('jwks', 503);
    await expect(v.verify(token)).rejects.toThrow('The identity provider keys could not be fetched');
    idp.fail('jwks', 200);
    expect((await v.verify(token)).kind).toBe('oidc');
  });

  it('refuses unusable discovery documents', async () => {
    const token = await idp.sign({ aud: AUD });
    const cases: [Record<string, unknown>, string][] = [
      [{ issuer: 'https://other.example' }, 'names another issuer'],
      [{ issuer: undefined }, 'names another issuer'],
      [{ jwks_uri: 42 }, 'has no jwks_uri'],
      [{ jwks_uri: 'http://keys.example/jwks.json' }, 'has an unusable jwks_uri'],
    ];
    for (const [patch, message] of cases) {
      idp.patchDiscovery(patch);
      await expect(oidc().verify(token)).rejects.toThrow(message);
    }
    idp.patchDiscovery({ issuer: `${idp.issuer}/` });
    expect((await oidc().verify(token)).kind).toBe('oidc');
    idp.patchDiscovery({});
  });

  it('reports an unreachable issuer as unavailable', async () => {
    const gone = await startOidcIssuer();
    await gone.close();
    const v = new JwksVerifier({ issuer: gone.issuer, audience: AUD, timeoutMs: 2000 });
    await expect(v.verify(await idp.sign({ aud: AUD }))).rejects.toThrow('could not be fetched');
  });

  it('refuses unsafe configurations', () => {
    expect(() => new JwksVerifier({ issuer: 'http://idp.example', audience: AUD })).toThrow(/must use https/);
    expect(() => new JwksVerifier({ issuer: 'not a url', audience: AUD })).toThrow(/is not a URL/);
    expect(() => oidc({ jwksUrl: 'http://keys.example/jwks' })).toThrow(ConfigError);
    expect(() => new JwksVerifier({ issuer: 'https://idp.example' })).toThrow(/needs an audience/);
    expect(() => new JwksVerifier({ issuer: 'https://idp.example', audience: [] })).toThrow(
      /needs an audience/,
    );
    expect(() => oidc({ algorithms: ['RS256', 'HS256'] })).toThrow(/HS256 is not accepted/);
    expect(new JwksVerifier({ issuer: 'http://localhost:1/x', audience: AUD }).issuer).toBe(
      'http://localhost:1/x',
    );
    expect(new JwksVerifier({ issuer: 'https://idp.example', audience: AUD, name: 'corp' }).name).toBe(
      'corp',
    );
  });
});

describe('cognitoVerifier', () => {
  const POOL = 'eu-west-1_AbCdEf123';
  const CLIENT = 'client-123';
  const ISS = cognitoIssuer('eu-west-1', POOL);
  const cognito = (
    extra: Partial<Parameters<typeof cognitoVerifier>[0]> = {},
  ): ReturnType<typeof cognitoVerifier> =>
    cognitoVerifier({ userPoolId: POOL, clientId: CLIENT, jwksUrl: idp.jwksUrl, ...extra });

  it('builds the pool issuer from the pool id (or the given region)', () => {
    expect(ISS).toBe('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123');
    expect(cognito().issuer).toBe(ISS);
    expect(cognito().name).toBe('cognito');
    expect(cognitoVerifier({ userPoolId: POOL, clientId: CLIENT, region: 'us-east-1' }).issuer).toBe(
      'https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_AbCdEf123',
    );
    expect(() => cognito({ userPoolId: 'pool' })).toThrow(/COGNITO_USER_POOL_ID must look like/);
    expect(() => cognito({ region: 'mars' })).toThrow(/Not an AWS region/);
    expect(() => cognito({ clientId: '' })).toThrow(/COGNITO_APP_CLIENT_ID is required/);
  });

  it('accepts access tokens for the client (client_id) and id tokens (aud), with groups as roles', async () => {
    const v = cognito();
    const access = await idp.signCognito(ISS, {
      tokenUse: 'access',
      clientId: CLIENT,
      groups: ['ep1:editor', 'Everyone'],
      username: 'bob',
    });
    const p = await v.verify(access);
    expect(p).toMatchObject({ id: `oidc:${ISS}#cognito-user-1`, name: 'bob', kind: 'oidc' });
    expect([...p.roles]).toEqual([['ep1', 'editor']]);
    expect(p.scopes).toEqual(['aws.cognito.signin.user.admin']);
    const id = await idp.signCognito(ISS, {
      tokenUse: 'id',
      clientId: CLIENT,
      groups: ['admin'],
      username: 'carol',
    });
    const q = await v.verify(id, { resources: ['https://mcpd.example/ep1/mcp'] }); // no resource check for Cognito
    expect([q.name, q.globalAdmin]).toEqual(['carol', true]);
  });

  it('refuses other clients, other token uses, other pools, and HS256 with the public key', async () => {
    const v = cognito();
    const sign = (o: Omit<Parameters<OidcIssuer['signCognito']>[1], 'clientId'> & { clientId?: string }) =>
      idp.signCognito(ISS, { clientId: CLIENT, ...o });
    expect(await code(v.verify(await sign({ tokenUse: 'access', clientId: 'other' })))).toBe(
      'MCPD_AUTH_INVALID',
    );
    await expect(v.verify(await sign({ tokenUse: 'id', clientId: 'other' }))).rejects.toThrow(
      'another client',
    );
    await expect(
      v.verify(await sign({ tokenUse: 'access', claims: { client_id: undefined, aud: CLIENT } })),
    ).rejects.toThrow('another client');
    await expect(
      v.verify(await sign({ tokenUse: 'access', claims: { token_use: 'refresh' } })),
    ).rejects.toThrow('"token_use" is not accepted');
    await expect(
      v.verify(await sign({ tokenUse: 'access', claims: { token_use: undefined } })),
    ).rejects.toThrow('"token_use"');
    const accessOnly = cognito({ tokenUse: ['access'] });
    await expect(accessOnly.verify(await sign({ tokenUse: 'id' }))).rejects.toThrow('"token_use"');
    expect((await accessOnly.verify(await sign({ tokenUse: 'access' }))).kind).toBe('oidc');
    const otherPool = await idp.signCognito(cognitoIssuer('eu-west-1', 'eu-west-1_Other'), {
      tokenUse: 'access',
      clientId: CLIENT,
    });
    await expect(v.verify(otherPool)).rejects.toThrow('"iss" claim');
    const expired = await idp.signCognito(ISS, { tokenUse: 'access', clientId: CLIENT, expiresIn: -120 });
    await expect(v.verify(expired)).rejects.toMatchObject({ code: 'MCPD_AUTH_EXPIRED' });
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: ISS,
      sub: 's',
      token_use: 'access',
      client_id: CLIENT,
      exp: now + 60,
      'cognito:groups': ['admin'],
    };
    const pem = new TextEncoder().encode(
      await exportSPKI((await generateKeyPair('RS256', { extractable: true })).publicKey),
    );
    const realPem = new TextEncoder().encode(await idp.publicKeyPem());
    for (const secret of [pem, realPem]) {
      const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(secret);
      await expect(v.verify(hs)).rejects.toThrow('Token algorithm is not accepted');
    }
  });
});
