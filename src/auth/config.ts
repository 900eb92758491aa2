/**
 * Auth settings from the environment (the older engine's names kept working, new ones prefixed MCPD_), validated
 * once with clear ConfigErrors (`createAuth` in create-auth.ts assembles the Authenticator from them).
 *
 * AUTH_PROVIDER          `none` (default) or a comma list of `local`, `cognito`, `oidc` (several may be active)
 * JWT_SECRET_KEY         local: HS256 secret, required, ≥ 32 characters, no default
 * ACCESS_TOKEN_EXP       local: token lifetime in seconds (60 … 604800, default 3600)
 * LOCAL_USER_FILE        local: JSON array of {username, password_hash, roles}
 * ADMIN_USERNAME/ADMIN_PASSWORD  local: one more user, global admin (password ≥ 12 characters, hashed at start)
 * COGNITO_USER_POOL_ID, COGNITO_APP_CLIENT_ID (required), COGNITO_JWKS_URL, AWS_REGION or REGION_NAME,
 *                        COGNITO_APP_CLIENT_SECRET (USER_PASSWORD_AUTH with a client secret), COGNITO_ISSUER and
 *                        COGNITO_ENDPOINT (a Cognito-compatible IdP instead of AWS's, e.g. cognito-local),
 *                        COGNITO_PASSWORD_AUTH=true (POST /auth/token logs in through the pool; off by default)
 * MCPD_COGNITO_TOKEN_USE `access`, `id` or `access,id` (default)
 * MCPD_OIDC_ISSUER, MCPD_OIDC_AUDIENCE (comma list, required), MCPD_OIDC_JWKS_URL (default: discovery)
 * ADMIN_STATIC_TOKEN     bootstrap/CI token giving the global admin (≥ 32 characters)
 * MCPD_METRICS_TOKEN     a token for Prometheus: reads /metrics only (≥ 32 characters); admins may read it too
 * MCPD_PUBLIC_URL        the server's public base URL: enables Protected Resource Metadata and audience checks
 * MCPD_ROLE_CLAIM_PREFIX only role/group strings with this prefix count (see principal.ts)
 * MCPD_SCOPES_SUPPORTED  comma list advertised in the metadata
 */
import { ConfigError } from '../config/errors.js';
import { AdminTokenVerifier } from './admin-token.js';
import type { CognitoTokenUse } from './jwks.js';
import { DEFAULT_TOKEN_TTL_SECONDS, validateSecret } from './local-secret.js';
import { publicBaseUrl } from './metadata.js';

export type ProviderName = 'local' | 'cognito' | 'oidc';
type Env = Readonly<Record<string, string | undefined>>;

/** Holds secrets (JWT_SECRET_KEY, ADMIN_PASSWORD, ADMIN_STATIC_TOKEN): log `summarizeAuthConfig(config)` instead. */
export interface AuthConfig {
  /** Empty for AUTH_PROVIDER=none. */
  readonly providers: readonly ProviderName[];
  readonly local?: {
    readonly secret: string;
    readonly ttlSeconds: number;
    readonly userFile?: string;
    readonly admin?: { readonly username: string; readonly password: string };
  };
  readonly cognito?: {
    readonly userPoolId: string;
    readonly clientId: string;
    readonly region?: string;
    readonly jwksUrl?: string;
    readonly tokenUse: readonly CognitoTokenUse[];
    /** COGNITO_ISSUER: a Cognito-compatible IdP's issuer (default: AWS's for the pool). */
    readonly issuer?: string;
    /** COGNITO_ENDPOINT: the Cognito API for `POST /auth/token` (default: AWS's for the region). */
    readonly endpoint?: string;
    /** COGNITO_APP_CLIENT_SECRET: for app clients with a secret (SECRET_HASH). */
    readonly clientSecret?: string;
    /** COGNITO_PASSWORD_AUTH: `POST /auth/token` passes passwords to the pool (USER_PASSWORD_AUTH). */
    readonly passwordAuth: boolean;
  };
  readonly oidc?: {
    readonly issuer: string;
    readonly audience: readonly string[];
    readonly jwksUrl?: string;
  };
  readonly adminStaticToken?: string;
  /** MCPD_METRICS_TOKEN: a Bearer token that may read /metrics and nothing else. */
  readonly metricsToken?: string;
  readonly publicUrl?: string;
  readonly roleClaimPrefix?: string;
  readonly scopesSupported: readonly string[];
}

const set = (value: string | undefined): string | undefined => (value?.trim() ? value.trim() : undefined);
const list = (value: string | undefined): string[] =>
  (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''); // prettier-ignore
/** `{[key]: value}`, or `{}` when value is undefined (for exactOptionalPropertyTypes). */
const opt = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

function oneOf<T extends string>(name: string, values: string[], allowed: readonly T[]): T[] {
  for (const v of values) {
    if (!allowed.includes(v as T))
      throw new ConfigError(`${name}: unknown value "${v}" (use ${allowed.join(', ')})`);
  }
  return [...new Set(values)] as T[];
}

function flag(name: string, value: string | undefined): boolean {
  const v = set(value)?.toLowerCase();
  if (v === undefined || v === 'false' || v === '0' || v === 'no') return false;
  if (v === 'true' || v === '1' || v === 'yes') return true;
  throw new ConfigError(`${name} must be true or false`);
}

function httpUrl(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ConfigError(`${name} must be an http(s) URL`);
  return value;
}

function required(env: Env, name: string, provider: string): string {
  const value = set(env[name]);
  if (value === undefined) throw new ConfigError(`${name} is required for the ${provider} auth provider`);
  return value;
}

/** Reads and validates the auth environment (see the table at the top of this file). */
export function loadAuthConfig(env: Env): AuthConfig {
  const raw = list(env['AUTH_PROVIDER']?.toLowerCase());
  const providers =
    raw.length === 1 && raw[0] === 'none'
      ? []
      : oneOf('AUTH_PROVIDER', raw, ['local', 'cognito', 'oidc'] as const);
  const staticToken = set(env['ADMIN_STATIC_TOKEN']);
  if (staticToken !== undefined) new AdminTokenVerifier(staticToken); // validates the length
  const metricsToken = set(env['MCPD_METRICS_TOKEN']);
  if (metricsToken !== undefined) new AdminTokenVerifier(metricsToken, 'MCPD_METRICS_TOKEN');
  const publicUrl = set(env['MCPD_PUBLIC_URL']);
  let base: string | undefined;
  try {
    base = publicUrl === undefined ? undefined : publicBaseUrl(publicUrl);
  } catch {
    throw new ConfigError(`MCPD_PUBLIC_URL must be an http(s) URL without query or fragment: ${publicUrl}`);
  }
  let local: AuthConfig['local'];
  if (providers.includes('local')) {
    const ttl = Number(env['ACCESS_TOKEN_EXP'] ?? DEFAULT_TOKEN_TTL_SECONDS);
    if (!Number.isInteger(ttl) || ttl < 60 || ttl > 604_800) {
      throw new ConfigError('ACCESS_TOKEN_EXP must be a whole number of seconds between 60 and 604800');
    }
    const username = set(env['ADMIN_USERNAME']);
    const password = env['ADMIN_PASSWORD'];
    if ((username === undefined) !== (password === undefined || password === '')) {
      throw new ConfigError('ADMIN_USERNAME and ADMIN_PASSWORD must be set together');
    }
    if (password !== undefined && password !== '' && password.length < 12) {
      throw new ConfigError('ADMIN_PASSWORD must be at least 12 characters long');
    }
    // Users may also come only from the store (`mcpd user add`).
    const userFile = set(env['LOCAL_USER_FILE']);
    local = {
      secret: validateSecret(env['JWT_SECRET_KEY']),
      ttlSeconds: ttl,
      ...opt('userFile', userFile),
      ...opt('admin', username === undefined ? undefined : { username, password: password as string }),
    };
  }
  let cognito: AuthConfig['cognito'];
  if (providers.includes('cognito')) {
    const tokenUse = list(env['MCPD_COGNITO_TOKEN_USE']);
    cognito = {
      userPoolId: required(env, 'COGNITO_USER_POOL_ID', 'cognito'),
      clientId: required(env, 'COGNITO_APP_CLIENT_ID', 'cognito'),
      ...opt('region', set(env['AWS_REGION']) ?? set(env['REGION_NAME'])),
      ...opt('jwksUrl', set(env['COGNITO_JWKS_URL'])),
      ...opt('issuer', httpUrl('COGNITO_ISSUER', set(env['COGNITO_ISSUER']))?.replace(/\/+$/, '')),
      ...opt('endpoint', httpUrl('COGNITO_ENDPOINT', set(env['COGNITO_ENDPOINT']))),
      ...opt('clientSecret', set(env['COGNITO_APP_CLIENT_SECRET'])),
      passwordAuth: flag('COGNITO_PASSWORD_AUTH', env['COGNITO_PASSWORD_AUTH']),
      tokenUse:
        tokenUse.length === 0
          ? ['access', 'id']
          : oneOf('MCPD_COGNITO_TOKEN_USE', tokenUse, ['access', 'id'] as const),
    };
  }
  let oidc: AuthConfig['oidc'];
  if (providers.includes('oidc')) {
    const audience = list(env['MCPD_OIDC_AUDIENCE']);
    if (audience.length === 0)
      throw new ConfigError('MCPD_OIDC_AUDIENCE is required for the oidc auth provider');
    oidc = {
      issuer: required(env, 'MCPD_OIDC_ISSUER', 'oidc'),
      audience,
      ...opt('jwksUrl', set(env['MCPD_OIDC_JWKS_URL'])),
    };
  }
  return Object.freeze({
    providers,
    ...opt('local', local),
    ...opt('cognito', cognito),
    ...opt('oidc', oidc),
    ...opt('adminStaticToken', staticToken),
    ...opt('metricsToken', metricsToken),
    ...opt('publicUrl', base),
    ...opt('roleClaimPrefix', set(env['MCPD_ROLE_CLAIM_PREFIX'])),
    scopesSupported: list(env['MCPD_SCOPES_SUPPORTED']),
  });
}

/** What the auth configuration enables, without any secret (for the start-up log). */
export function summarizeAuthConfig(config: AuthConfig): Record<string, unknown> {
  return {
    providers: config.providers,
    ...opt(
      'local',
      config.local && {
        ttlSeconds: config.local.ttlSeconds,
        userFile: config.local.userFile ?? null,
        adminUser: config.local.admin?.username ?? null,
      },
    ),
    ...opt(
      'cognito',
      config.cognito && {
        userPoolId: config.cognito.userPoolId,
        clientId: config.cognito.clientId,
        tokenUse: config.cognito.tokenUse,
        issuer: config.cognito.issuer ?? null,
        endpoint: config.cognito.endpoint ?? null,
        clientSecret: config.cognito.clientSecret === undefined ? 'unset' : 'set',
        passwordAuth: config.cognito.passwordAuth,
      },
    ),
    ...opt('oidc', config.oidc && { issuer: config.oidc.issuer, audience: config.oidc.audience }),
    adminStaticToken: config.adminStaticToken === undefined ? 'unset' : 'set',
    metricsToken: config.metricsToken === undefined ? 'unset' : 'set',
    publicUrl: config.publicUrl ?? null,
  };
}
