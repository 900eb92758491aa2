import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/errors.js';
import { ADMIN_PRINCIPAL } from './admin-token.js';
import { createApiKey, InMemoryApiKeyDirectory } from './api-keys.js';
import { loadAuthConfig, summarizeAuthConfig } from './config.js';
import { createAuth } from './create-auth.js';
import { hashPassword } from './local-users.js';

const SECRET = 'x'.repeat(32);
const ADMIN = 'y'.repeat(32);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpd-auth-config-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const error = (env: Record<string, string>): string => {
  try {
    loadAuthConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  return 'no error';
};

describe('loadAuthConfig', () => {
  it('defaults to no provider', () => {
    expect(loadAuthConfig({})).toEqual({ providers: [], scopesSupported: [] });
    expect(loadAuthConfig({ AUTH_PROVIDER: 'none' }).providers).toEqual([]);
  });

  it('reads every provider and option', () => {
    const config = loadAuthConfig({
      AUTH_PROVIDER: 'Local, cognito,oidc,local',
      JWT_SECRET_KEY: SECRET,
      ACCESS_TOKEN_EXP: '600',
      LOCAL_USER_FILE: '/etc/users.json',
      ADMIN_USERNAME: 'root',
      ADMIN_PASSWORD: 'long enough password',
      COGNITO_USER_POOL_ID: 'eu-west-1_Abc',
      COGNITO_APP_CLIENT_ID: 'client',
      COGNITO_JWKS_URL: 'https://keys.example/jwks.json',
      REGION_NAME: 'eu-west-1',
      MCPD_COGNITO_TOKEN_USE: 'access',
      COGNITO_ISSUER: 'https://cognito.internal/eu-west-1_Abc/',
      COGNITO_ENDPOINT: 'https://cognito.internal',
      COGNITO_APP_CLIENT_SECRET: 'client-secret-value',
      COGNITO_PASSWORD_AUTH: 'yes',
      MCPD_METRICS_TOKEN: 'm'.repeat(40),
      MCPD_OIDC_ISSUER: 'https://idp.example',
      MCPD_OIDC_AUDIENCE: 'a, b',
      MCPD_OIDC_JWKS_URL: 'https://idp.example/keys',
      ADMIN_STATIC_TOKEN: ADMIN,
      MCPD_PUBLIC_URL: 'https://mcpd.example/',
      MCPD_ROLE_CLAIM_PREFIX: 'mcpd:',
      MCPD_SCOPES_SUPPORTED: 'mcp:call,mcp:edit',
    });
    expect(config).toEqual({
      providers: ['local', 'cognito', 'oidc'],
      local: {
        secret: SECRET,
        ttlSeconds: 600,
        userFile: '/etc/users.json',
        admin: { username: 'root', password: 'long enough password' },
      },
      cognito: {
        userPoolId: 'eu-west-1_Abc',
        clientId: 'client',
        region: 'eu-west-1',
        jwksUrl: 'https://keys.example/jwks.json',
        tokenUse: ['access'],
        issuer: 'https://cognito.internal/eu-west-1_Abc',
        endpoint: 'https://cognito.internal',
        clientSecret: 'client-secret-value',
        passwordAuth: true,
      },
      oidc: { issuer: 'https://idp.example', audience: ['a', 'b'], jwksUrl: 'https://idp.example/keys' },
      adminStaticToken: ADMIN,
      metricsToken: 'm'.repeat(40),
      publicUrl: 'https://mcpd.example',
      roleClaimPrefix: 'mcpd:',
      scopesSupported: ['mcp:call', 'mcp:edit'],
    });
    expect(Object.isFrozen(config)).toBe(true);
    const summary = JSON.stringify(summarizeAuthConfig(config));
    for (const secret of [SECRET, ADMIN, 'long enough password', 'client-secret-value', 'm'.repeat(40)])
      expect(summary).not.toContain(secret);
    expect(summarizeAuthConfig(config)).toEqual({
      providers: ['local', 'cognito', 'oidc'],
      local: { ttlSeconds: 600, userFile: '/etc/users.json', adminUser: 'root' },
      cognito: {
        userPoolId: 'eu-west-1_Abc',
        clientId: 'client',
        tokenUse: ['access'],
        issuer: 'https://cognito.internal/eu-west-1_Abc',
        endpoint: 'https://cognito.internal',
        clientSecret: 'set',
        passwordAuth: true,
      },
      oidc: { issuer: 'https://idp.example', audience: ['a', 'b'] },
      adminStaticToken: 'set',
      metricsToken: 'set',
      publicUrl: 'https://mcpd.example',
    });
    expect(summarizeAuthConfig(loadAuthConfig({}))).toEqual({
      providers: [],
      adminStaticToken: 'unset',
      metricsToken: 'unset',
      publicUrl: null,
    });
    const minimal = loadAuthConfig({ AUTH_PROVIDER: 'local,cognito', JWT_SECRET_KEY: SECRET, LOCAL_USER_FILE: 'u', COGNITO_USER_POOL_ID: 'p', COGNITO_APP_CLIENT_ID: 'c' }); // prettier-ignore
    expect(minimal.local?.ttlSeconds).toBe(3600);
    expect(minimal.cognito).toEqual({
      userPoolId: 'p',
      clientId: 'c',
      tokenUse: ['access', 'id'],
      passwordAuth: false,
    });
    expect(summarizeAuthConfig(minimal)['local']).toEqual({
      ttlSeconds: 3600,
      userFile: 'u',
      adminUser: null,
    });
  });

  it('explains what is wrong', () => {
    const local = { AUTH_PROVIDER: 'local', JWT_SECRET_KEY: SECRET, LOCAL_USER_FILE: 'u' };
    expect(error({ AUTH_PROVIDER: 'ldap' })).toMatch(/AUTH_PROVIDER: unknown value "ldap"/);
    expect(error({ AUTH_PROVIDER: 'none,local' })).toMatch(/unknown value "none"/);
    expect(error({ ADMIN_STATIC_TOKEN: 'short' })).toMatch(/ADMIN_STATIC_TOKEN must be at least 32/);
    expect(error({ MCPD_PUBLIC_URL: 'ftp://x' })).toMatch(/MCPD_PUBLIC_URL must be an http\(s\) URL/);
    expect(error({ MCPD_METRICS_TOKEN: 'short' })).toMatch(/MCPD_METRICS_TOKEN must be at least 32/);
    const pool = { AUTH_PROVIDER: 'cognito', COGNITO_USER_POOL_ID: 'p', COGNITO_APP_CLIENT_ID: 'c' };
    expect(error({ ...pool, COGNITO_ISSUER: 'not a url' })).toMatch(
      /COGNITO_ISSUER must be an http\(s\) URL/,
    );
    expect(error({ ...pool, COGNITO_ENDPOINT: 'ftp://x' })).toMatch(
      /COGNITO_ENDPOINT must be an http\(s\) URL/,
    );
    expect(error({ ...pool, COGNITO_PASSWORD_AUTH: 'maybe' })).toMatch(
      /COGNITO_PASSWORD_AUTH must be true or false/,
    );
    expect(error({ ...local, JWT_SECRET_KEY: '' })).toMatch(/JWT_SECRET_KEY is required/);
    expect(error({ ...local, JWT_SECRET_KEY: 'CHANGEME' })).toMatch(/at least 32 characters/);
    expect(error({ ...local, ACCESS_TOKEN_EXP: '1.5' })).toMatch(/ACCESS_TOKEN_EXP must be/);
    expect(error({ ...local, ACCESS_TOKEN_EXP: '10' })).toMatch(/ACCESS_TOKEN_EXP must be/);
    expect(error({ ...local, ADMIN_USERNAME: 'root' })).toMatch(/must be set together/);
    expect(error({ ...local, ADMIN_PASSWORD: 'long enough password' })).toMatch(/must be set together/);
    expect(error({ ...local, ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: 'admin123' })).toMatch(/at least 12/);
    // Users may come only from the store (`mcpd user add`).
    expect(error({ AUTH_PROVIDER: 'local', JWT_SECRET_KEY: SECRET })).toBe('no error');
    expect(error({ AUTH_PROVIDER: 'cognito', COGNITO_APP_CLIENT_ID: 'c' })).toMatch(
      /COGNITO_USER_POOL_ID is required/,
    );
    expect(error({ AUTH_PROVIDER: 'cognito', COGNITO_USER_POOL_ID: 'p' })).toMatch(
      /COGNITO_APP_CLIENT_ID is required/,
    );
    expect(error({ AUTH_PROVIDER: 'cognito', COGNITO_USER_POOL_ID: 'p', COGNITO_APP_CLIENT_ID: 'c', MCPD_COGNITO_TOKEN_USE: 'refresh' })).toMatch(/MCPD_COGNITO_TOKEN_USE: unknown value/); // prettier-ignore
    expect(error({ AUTH_PROVIDER: 'oidc', MCPD_OIDC_ISSUER: 'https://i' })).toMatch(
      /MCPD_OIDC_AUDIENCE is required/,
    );
    expect(error({ AUTH_PROVIDER: 'oidc', MCPD_OIDC_AUDIENCE: 'a' })).toMatch(/MCPD_OIDC_ISSUER is required/);
  });
});

describe('createAuth', () => {
  it('assembles local users (file + ADMIN_USERNAME), API keys, Cognito and OIDC, in that order', async () => {
    const file = join(dir, 'users.json');
    const hash = await hashPassword('alice password', 4);
    await writeFile(
      file,
      JSON.stringify([{ username: 'alice', password_hash: hash, roles: ['ep1:caller'] }]),
    );
    const config = loadAuthConfig({
      AUTH_PROVIDER: 'oidc,cognito,local',
      JWT_SECRET_KEY: SECRET,
      LOCAL_USER_FILE: file,
      ADMIN_USERNAME: 'root',
      ADMIN_PASSWORD: 'root password 123',
      COGNITO_USER_POOL_ID: 'eu-west-1_Abc',
      COGNITO_APP_CLIENT_ID: 'client',
      MCPD_OIDC_ISSUER: 'https://idp.example',
      MCPD_OIDC_AUDIENCE: 'mcpd',
      MCPD_ROLE_CLAIM_PREFIX: 'mcpd:',
    });
    const apiKeys = new InMemoryApiKeyDirectory();
    const auth = await createAuth(config, { dataDir: join(dir, 'data1'), apiKeys });
    expect(auth.authenticator.verifierNames).toEqual([
      'api-key',
      'local',
      'cognito',
      'oidc:https://idp.example',
    ]);
    expect(auth.authorizationServers).toEqual([
      'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc',
      'https://idp.example',
    ]);
    expect(auth.generatedAdminToken).toBeUndefined();
    expect(auth.logins.map((l) => l.name)).toEqual(['local']);
    const local = auth.logins[0];
    if (local === undefined) throw new Error('no local login');
    const token = await local.login('root', 'root password 123');
    if (token === undefined) throw new Error('root cannot log in');
    expect(await local.login('root', 'wrong password')).toBeUndefined();
    expect((await local.login('alice', 'alice password'))?.token_type).toBe('bearer');
    auth.close();
    expect((await auth.authenticator.authenticate(`Bearer ${token.access_token}`))?.globalAdmin).toBe(true);
    const { key } = await createApiKey(apiKeys, { endpointId: 'ep1', role: 'caller' });
    expect((await auth.authenticator.authenticate(`Bearer ${key}`))?.kind).toBe('api-key');
    expect(await auth.authenticator.authenticate(`Bearer ${'z'.repeat(43)}`).catch(() => 'refused')).toBe(
      'refused',
    );
  });

  it('refuses an ADMIN_USERNAME that is also in the file', async () => {
    const file = join(dir, 'dup.json');
    await writeFile(file, JSON.stringify([{ username: 'root', password_hash: await hashPassword('p', 4) }]));
    const config = loadAuthConfig({
      AUTH_PROVIDER: 'local',
      JWT_SECRET_KEY: SECRET,
      LOCAL_USER_FILE: file,
      ADMIN_USERNAME: 'root',
      ADMIN_PASSWORD: 'root password 123',
    });
    await expect(createAuth(config, { dataDir: dir })).rejects.toThrow(
      /ADMIN_USERNAME root is also in LOCAL_USER_FILE/,
    );
  });

  it('uses ADMIN_STATIC_TOKEN, or generates an admin token when nothing else is configured', async () => {
    const withStatic = await createAuth(loadAuthConfig({ ADMIN_STATIC_TOKEN: ADMIN }), {
      dataDir: join(dir, 'd2'),
    });
    expect(await withStatic.authenticator.authenticate(`Bearer ${ADMIN}`)).toBe(ADMIN_PRINCIPAL);
    expect(withStatic.generatedAdminToken).toBeUndefined();

    const fresh = await createAuth(loadAuthConfig({}), { dataDir: join(dir, 'd3') });
    const generated = fresh.generatedAdminToken;
    expect(generated?.created).toBe(true);
    expect(generated?.path).toBe(join(dir, 'd3', 'admin-token'));
    expect(await fresh.authenticator.authenticate(`Bearer ${generated?.token ?? ''}`)).toBe(ADMIN_PRINCIPAL);
    expect(fresh.logins).toEqual([]);

    const oidcOnly = loadAuthConfig({
      AUTH_PROVIDER: 'oidc',
      MCPD_OIDC_ISSUER: 'https://i.example',
      MCPD_OIDC_AUDIENCE: 'a',
    });
    expect((await createAuth(oidcOnly, { dataDir: join(dir, 'd4') })).generatedAdminToken).toBeUndefined();
    const forced = await createAuth(oidcOnly, { dataDir: join(dir, 'd4'), generateAdminToken: true });
    expect(forced.generatedAdminToken?.created).toBe(true);
  });
});
