/**
 * The security suite's fixture: a real daemon (the `mcpd serve` composition) with every auth provider on at once
 * (local users from a LOCAL_USER_FILE plus ADMIN_USERNAME, an OIDC issuer and a Cognito pool, both backed by the
 * local JWKS issuer of test/helpers/oidc-issuer.ts, and ADMIN_STATIC_TOKEN), a greeter bundle deployed to the
 * endpoints `tenantA` and `tenantB`, a logger whose lines are kept for inspection, and small HTTP helpers that
 * return status, headers and body of every answer so tests can compare them byte for byte.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, type JWTPayload } from 'jose';
import { cognitoIssuer } from '../../src/auth/jwks.js';
import { hashPassword } from '../../src/auth/local-users.js';
import { loadConfig } from '../../src/config/config.js';
import { createDaemon, type Daemon } from '../../src/daemon.js';
import { createLineLogger } from '../../src/observability/logger.js';
import { DEPLOY, greeter, zipOf } from '../e2e/support.js';
import { type OidcIssuer, startOidcIssuer } from '../helpers/oidc-issuer.js';

export const JWT_SECRET = 'security-suite-jwt-secret-0123456789-abcdefghijklmnop';
export const ADMIN_TOKEN = 'security-suite-static-admin-token-0123456789abcdef';
export const ROOT = { username: 'root', password: 'root-password-0123456789' };
export const OIDC_AUDIENCE = 'mcpd-security-suite';
export const COGNITO_POOL = 'us-east-1_SecSuite1';
export const COGNITO_CLIENT = 'cognito-client-1';
export const COGNITO_ISSUER = cognitoIssuer('us-east-1', COGNITO_POOL);

/** Users of the LOCAL_USER_FILE: name → roles (password: `<name>-password-1`). */
export const USERS: Readonly<Record<string, readonly string[]>> = {
  alice: ['tenantA:editor'],
  bob: ['tenantA:caller'],
  erin: ['tenantA:caller'],
  carol: ['tenantB:caller'],
  dave: ['tenantA:admin'],
  frank: ['tenantA:caller'],
  grace: ['tenantA:caller'],
};
export const passwordOf = (user: string): string => `${user}-password-1`;

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown;
}

async function toReply(res: Response): Promise<Reply> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export async function http(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return toReply(await fetch(url, init));
}

export const bearer = (token: string | undefined): Record<string, string> =>
  token === undefined ? {} : { authorization: `Bearer ${token}` };

export const rpc = (id: number, method: string, params?: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id,
  method,
  ...(params ? { params } : {}),
});

/** A plain-JSON JSON-RPC POST to `/{endpoint}/mcp` (the older engine's call: no session, no SSE). */
export function mcp(
  base: string,
  endpoint: string,
  token: string | undefined,
  body: unknown = rpc(1, 'tools/list'),
  headers: Record<string, string> = {},
): Promise<Reply> {
  return http(`${base}/${endpoint}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(token), ...headers },
    body: JSON.stringify(body),
  });
}

export const greet = (name: string, id = 7) => rpc(id, 'tools/call', { name: 'greet', arguments: { name } });

export interface GqlReply extends Reply {
  data: Record<string, unknown> | null | undefined;
  errors: { message: string; extensions?: { code?: string } }[] | undefined;
}

export async function gql(
  base: string,
  endpoint: string,
  token: string | undefined,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GqlReply> {
  const reply = await http(`${base}/${endpoint}/mcp_core_graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(token), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (reply.json ?? {}) as { data?: Record<string, unknown> | null; errors?: GqlReply['errors'] };
  return { ...reply, data: body.data, errors: body.errors };
}

/** The error codes of a GraphQL answer. */
export const codesOf = (r: GqlReply): (string | undefined)[] =>
  (r.errors ?? []).map((e) => e.extensions?.code);

export async function login(
  base: string,
  username: string,
  password = passwordOf(username),
): Promise<string> {
  const r = await http(`${base}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }).toString(),
  });
  const token = (r.json as { access_token?: unknown } | undefined)?.access_token;
  if (r.status !== 200 || typeof token !== 'string')
    throw new Error(`login ${username}: ${r.status} ${r.text}`);
  return token;
}

/** Headers that differ between two otherwise identical answers. */
const VOLATILE = new Set(['date', 'keep-alive', 'connection']);

/** Status, the stable headers and the body, for byte-for-byte comparisons of two answers. */
export function fingerprint(r: Reply): { status: number; headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = {};
  r.headers.forEach((value, name) => {
    if (!VOLATILE.has(name)) headers[name] = value;
  });
  return { status: r.status, headers, body: r.text };
}

export const claimsOf = (token: string): JWTPayload => decodeJwt(token);

export interface SecureDaemon {
  readonly daemon: Daemon;
  readonly url: string;
  readonly dataDir: string;
  /** Every line the daemon logged (JSON lines, debug level and up). */
  readonly logs: string[];
  close(): Promise<void>;
}

/**
 * Starts a daemon from `env` (AUTH_PROVIDER must be given: nothing here defaults it) with a fresh data dir unless
 * `dataDir` is given (then it is kept on close), and a capturing logger.
 */
export async function startSecureDaemon(
  env: Record<string, string>,
  options: { configFile?: string; dataDir?: string } = {},
): Promise<SecureDaemon> {
  const own = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'mcpd-security-'));
  const config = loadConfig(
    'serve',
    { port: '0', ...(options.configFile ? { config: options.configFile } : {}) },
    { MCPD_DATA_DIR: dataDir, LOG_LEVEL: 'debug', ...env },
  );
  const logs: string[] = [];
  const daemon = await createDaemon(
    config,
    createLineLogger('debug', (line) => logs.push(line)),
  );
  const url = await daemon.listen();
  return {
    daemon,
    url,
    dataDir,
    logs,
    close: async () => {
      await daemon.close();
      if (own) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Fixture {
  readonly d: SecureDaemon;
  readonly url: string;
  readonly issuer: OidcIssuer;
  /** An OIDC token from the trusted issuer, audience OIDC_AUDIENCE, with these claims. */
  oidc(claims?: JWTPayload, options?: Parameters<OidcIssuer['sign']>[1]): Promise<string>;
  close(): Promise<void>;
}

/** Writes a LOCAL_USER_FILE for USERS (bcrypt cost 4: the tests log in often). */
export async function writeUserFile(dir: string): Promise<string> {
  const users = await Promise.all(
    Object.entries(USERS).map(async ([username, roles]) => ({
      username,
      password_hash: await hashPassword(passwordOf(username), 4),
      roles,
    })),
  );
  const file = join(dir, 'users.json');
  writeFileSync(file, JSON.stringify(users));
  return file;
}

export function authEnv(issuer: OidcIssuer, userFile: string): Record<string, string> {
  return {
    AUTH_PROVIDER: 'local,oidc,cognito',
    JWT_SECRET_KEY: JWT_SECRET,
    ACCESS_TOKEN_EXP: '60',
    LOCAL_USER_FILE: userFile,
    ADMIN_USERNAME: ROOT.username,
    ADMIN_PASSWORD: ROOT.password,
    ADMIN_STATIC_TOKEN: ADMIN_TOKEN,
    MCPD_OIDC_ISSUER: issuer.issuer,
    MCPD_OIDC_AUDIENCE: OIDC_AUDIENCE,
    COGNITO_USER_POOL_ID: COGNITO_POOL,
    COGNITO_APP_CLIENT_ID: COGNITO_CLIENT,
    COGNITO_JWKS_URL: issuer.jwksUrl,
    MCPD_COGNITO_TOKEN_USE: 'access',
  };
}

/** Deploys the greeter bundle to an endpoint with the static admin token. */
export async function deployGreeter(url: string, endpoint: string, greeting: string): Promise<void> {
  const r = await gql(url, endpoint, ADMIN_TOKEN, DEPLOY, { zip: await zipOf(greeter(greeting)) });
  if (r.status !== 200 || (r.data?.['deployBundle'] as { ok?: unknown } | undefined)?.ok !== true) {
    throw new Error(`deploy to ${endpoint} failed: ${r.status} ${r.text}`);
  }
}

/** The full fixture: issuer, user file, daemon with every provider, greeter on tenantA ("Hello") and tenantB. */
export async function startFixture(extraEnv: Record<string, string> = {}): Promise<Fixture> {
  const issuer = await startOidcIssuer();
  const dir = mkdtempSync(join(tmpdir(), 'mcpd-security-users-'));
  const d = await startSecureDaemon({ ...authEnv(issuer, await writeUserFile(dir)), ...extraEnv });
  await deployGreeter(d.url, 'tenantA', 'Hello');
  await deployGreeter(d.url, 'tenantB', 'Bonjour');
  return {
    d,
    url: d.url,
    issuer,
    oidc: (claims = {}, options = {}) => issuer.sign({ aud: OIDC_AUDIENCE, ...claims }, options),
    close: async () => {
      await d.close();
      await issuer.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const STREAMABLE = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
} as const;

/** Opens a Streamable HTTP session on an endpoint (initialize + initialized); returns its id. */
export async function initialize(base: string, endpoint: string, token: string): Promise<string> {
  const r = await http(`${base}/${endpoint}/mcp`, {
    method: 'POST',
    headers: { ...STREAMABLE, ...bearer(token) },
    body: JSON.stringify(
      rpc(0, 'initialize', {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'security-suite', version: '1' },
      }),
    ),
  });
  const sid = r.headers.get('mcp-session-id');
  if (r.status !== 200 || !sid) throw new Error(`initialize on ${endpoint}: ${r.status} ${r.text}`);
  const ack = await sessionPost(base, endpoint, token, sid, {
    jsonrpc: '2.0',
    method: 'notifications/initialized',
  });
  if (ack.status !== 202) throw new Error(`initialized on ${endpoint}: ${ack.status} ${ack.text}`);
  return sid;
}

/** A POST within a session (answered with JSON unless the handler streams). */
export function sessionPost(
  base: string,
  endpoint: string,
  token: string | undefined,
  sid: string,
  body: unknown,
): Promise<Reply> {
  return http(`${base}/${endpoint}/mcp`, {
    method: 'POST',
    headers: { ...STREAMABLE, ...bearer(token), 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' },
    body: JSON.stringify(body),
  });
}

export interface CallRow {
  name: string;
  principal: string | null;
  arguments: Record<string, unknown>;
}

/**
 * The endpoint's call history (up to 1000 rows) read through GraphQL, polled until `until` holds: records are
 * written behind the answers, so a call just answered may not be on disk yet.
 */
export async function historyUntil(
  base: string,
  endpoint: string,
  token: string,
  until: (rows: CallRow[]) => boolean,
): Promise<CallRow[]> {
  const read = async () => {
    const r = await gql(
      base,
      endpoint,
      token,
      '{ mcpFunctionCallList(limit: 1000) { mcpFunctionCallList { name principal arguments } } }',
    );
    if (r.status !== 200) throw new Error(`call history of ${endpoint}: ${r.status} ${r.text}`);
    return (r.data?.['mcpFunctionCallList'] as { mcpFunctionCallList: CallRow[] }).mcpFunctionCallList;
  };
  let rows = await read();
  for (let i = 0; i < 200 && !until(rows); i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    rows = await read();
  }
  return rows;
}
