import { decodeJwt, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/errors.js';
import { hashPassword, type LocalUser } from './local-users.js';
import { issueLocalToken, LocalVerifier, validateSecret } from './local.js';

const SECRET = 'local-secret-local-secret-local-secret!';
let alice: LocalUser;

beforeAll(async () => {
  alice = { username: 'alice', passwordHash: await hashPassword('correct horse', 4), roles: ['ep1:editor'] };
});

const code = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'resolved',
    (e: { code?: string }) => e.code ?? 'no code',
  );

describe('JWT_SECRET_KEY', () => {
  it('is required and at least 32 characters', () => {
    expect(() => validateSecret(undefined)).toThrow(/JWT_SECRET_KEY is required/);
    expect(() => validateSecret('')).toThrow(ConfigError);
    expect(() => validateSecret('CHANGEME')).toThrow(/at least 32 characters/);
    expect(validateSecret(SECRET)).toBe(SECRET);
    expect(() => new LocalVerifier({ secret: 'short' })).toThrow(ConfigError);
  });
});

describe('local tokens', () => {
  const verifier = new LocalVerifier({ secret: SECRET });

  it('issues HS256 tokens with sub, username, roles, iat, exp and iss that verify into a user principal', async () => {
    const issued = await issueLocalToken(alice, { secret: SECRET, ttlSeconds: 600 });
    expect(issued.token_type).toBe('bearer');
    expect(issued.expires_in).toBe(600);
    const claims = decodeJwt(issued.access_token);
    expect(claims).toMatchObject({ sub: 'alice', username: 'alice', roles: ['ep1:editor'], iss: 'mcpd' });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(600);
    const p = await verifier.verify(issued.access_token);
    expect(p).toMatchObject({
      id: 'local:alice',
      name: 'alice',
      kind: 'user',
      globalAdmin: false,
      scopes: [],
    });
    expect([...p.roles]).toEqual([['ep1', 'editor']]);
    expect(p.expiresAt).toBe(claims.exp);
    expect(verifier.accepts({ kind: 'jwt', alg: 'HS256', iss: 'mcpd' })).toBe(true);
    expect(verifier.accepts({ kind: 'jwt', alg: 'RS256', iss: 'mcpd' })).toBe(false);
    expect(verifier.accepts({ kind: 'jwt', alg: 'HS256', iss: 'other' })).toBe(false);
    expect(verifier.accepts({ kind: 'api-key' })).toBe(false);
  });

  it('defaults to a one-hour lifetime and honours an injected clock', async () => {
    const t0 = Date.UTC(2030, 0, 1);
    const { access_token: token, expires_in: ttl } = await issueLocalToken(alice, {
      secret: SECRET,
      now: () => t0,
    });
    expect(ttl).toBe(3600);
    const at = (ms: number): LocalVerifier => new LocalVerifier({ secret: SECRET, now: () => ms });
    expect((await at(t0 + 3_600_000).verify(token)).id).toBe('local:alice'); // within the 5 s tolerance
    expect(await code(at(t0 + 3_606_000).verify(token))).toBe('MCPD_AUTH_EXPIRED');
    expect(
      await code(
        new LocalVerifier({ secret: SECRET, clockToleranceSeconds: 0, now: () => t0 + 3_600_000 }).verify(
          token,
        ),
      ),
    ).toBe('MCPD_AUTH_EXPIRED');
  });

  it('refuses other secrets, alg none, RS256 and HS256 signed with a public key', async () => {
    const other = await issueLocalToken(alice, { secret: `${SECRET}-other` });
    expect(await code(verifier.verify(other.access_token))).toBe('MCPD_AUTH_INVALID');
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: 'alice', roles: ['admin'], iss: 'mcpd', iat: now, exp: now + 60 };
    const none = new UnsecuredJWT(claims).encode();
    expect(await code(verifier.verify(none))).toBe('MCPD_AUTH_INVALID');
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const rs = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
    expect(await code(verifier.verify(rs))).toBe('MCPD_AUTH_INVALID');
    const pem = new TextEncoder().encode(await exportSPKI(publicKey));
    const confused = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(pem);
    await expect(verifier.verify(confused)).rejects.toThrow('Token signature is invalid');
  });

  it('requires exp, sub and the mcpd issuer', async () => {
    const key = new TextEncoder().encode(SECRET);
    const sign = (claims: Record<string, unknown>): Promise<string> =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key);
    const exp = Math.floor(Date.now() / 1000) + 60;
    await expect(verifier.verify(await sign({ sub: 'a', iss: 'mcpd' }))).rejects.toThrow('"exp" claim');
    await expect(verifier.verify(await sign({ iss: 'mcpd', exp }))).rejects.toThrow('"sub" claim');
    await expect(verifier.verify(await sign({ sub: 'a', iss: 'other', exp }))).rejects.toThrow('"iss" claim');
    await expect(verifier.verify(await sign({ sub: '', iss: 'mcpd', exp }))).rejects.toThrow(
      'Token has no subject',
    );
    await expect(verifier.verify(await sign({ sub: 'a', iss: 'mcpd', exp, nbf: exp }))).rejects.toThrow(
      'Token is not valid yet',
    );
    const p = await verifier.verify(await sign({ sub: 'a', iss: 'mcpd', exp, scope: 'x' }));
    expect([p.name, p.scopes]).toEqual(['a', ['x']]);
    await expect(verifier.verify('not.a.token')).rejects.toThrow('Token is malformed or invalid');
  });
});

describe('local tokens checked against the user directory', () => {
  it('take current roles, refuse tokens older than tokensValidAfter, and report an unavailable directory', async () => {
    let current: LocalUser | undefined = { ...alice, roles: ['ep2:admin'] };
    let failing = false;
    let lookups = 0;
    let now = Date.now();
    const users = {
      bcryptRounds: 4,
      find: () => {
        lookups += 1;
        return failing ? Promise.reject(new Error('store down')) : Promise.resolve(current);
      },
    };
    const verifier = new LocalVerifier({ secret: SECRET, users, userCacheMs: 1000, now: () => now });
    const { access_token: token } = await issueLocalToken(alice, { secret: SECRET, now: () => now });
    const p = await verifier.verify(token);
    expect([...p.roles]).toEqual([['ep2', 'admin']]);
    await verifier.verify(token);
    expect(lookups).toBe(1); // cached
    now += 1500;
    current = { ...alice, tokensValidAfter: Math.floor(now / 1000) + 1 };
    expect(await code(verifier.verify(token))).toBe('MCPD_AUTH_INVALID');
    now += 1500;
    current = undefined;
    await expect(verifier.verify(token)).rejects.toThrow(/no longer exists/);
    now += 1500;
    failing = true;
    expect(await code(verifier.verify(token))).toBe('MCPD_AUTH_UNAVAILABLE');
    failing = false;
    current = alice;
    expect((await verifier.verify(token)).name).toBe('alice'); // the failure was not cached
  });
});
