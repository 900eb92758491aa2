/**
 * Assembles the auth runtime from an AuthConfig: the verifiers in a fixed order (API keys, local, Cognito, OIDC;
 * each token goes to exactly one), the local users for `POST /auth/token`, the admin token (static, or generated
 * into the data dir when nothing else lets anyone in), and the issuers to advertise in the resource metadata.
 */
import { ConfigError } from '../config/errors.js';
import { AdminTokenVerifier, ensureAdminToken, type EnsuredAdminToken } from './admin-token.js';
import { ApiKeyVerifier, type ApiKeyDirectory } from './api-keys.js';
import { Authenticator } from './authenticator.js';
import type { AuthConfig } from './config.js';
import { cognitoVerifier, JwksVerifier } from './jwks.js';
import {
  hashPassword,
  InMemoryLocalUsers,
  readLocalUserFile,
  type LocalUser,
  type LocalUsers,
} from './local-users.js';
import { LocalVerifier } from './local.js';
import { CognitoLogin } from './cognito-login.js';
import { localLogin, type PasswordLogin } from './password-login.js';
import { CombinedLocalUsers, type StoreUsers } from './store-users.js';
import type { TokenVerifier } from './verifier.js';

/** `{[key]: value}`, or `{}` when value is undefined (for exactOptionalPropertyTypes). */
const opt = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

export interface AuthDeps {
  /** Where a generated admin token is kept. */
  readonly dataDir: string;
  /** Enables API keys. */
  readonly apiKeys?: ApiKeyDirectory;
  /** Users added with `mcpd user add` (the local provider consults them after the fixed ones). */
  readonly storeUsers?: StoreUsers;
  /** Generate `<dataDir>/admin-token` when no ADMIN_STATIC_TOKEN is set. Default: only when no provider is on. */
  readonly generateAdminToken?: boolean;
}

export interface Auth {
  readonly authenticator: Authenticator;
  /** For `POST /auth/token`, tried in order (local users, then Cognito); empty when no provider takes passwords. */
  readonly logins: readonly PasswordLogin[];
  /** Releases provider clients. */
  close(): void;
  /** Set when the admin token was read or generated from the data dir: print `path` (never the token). */
  readonly generatedAdminToken?: EnsuredAdminToken;
  /** Issuers to advertise as `authorization_servers` in the Protected Resource Metadata. */
  readonly authorizationServers: readonly string[];
}

export async function createAuth(config: AuthConfig, deps: AuthDeps): Promise<Auth> {
  const verifiers: TokenVerifier[] = [];
  const servers: string[] = [];
  const logins: PasswordLogin[] = [];
  let cognitoLogin: CognitoLogin | undefined;
  const prefix = opt('roleClaimPrefix', config.roleClaimPrefix);
  if (deps.apiKeys) verifiers.push(new ApiKeyVerifier(deps.apiKeys));
  let localUsers: LocalUsers | undefined;
  if (config.local) {
    const users: LocalUser[] = [];
    if (config.local.userFile !== undefined) users.push(...(await readLocalUserFile(config.local.userFile)));
    const admin = config.local.admin;
    if (admin !== undefined) {
      if (users.some((u) => u.username === admin.username)) {
        throw new ConfigError(`ADMIN_USERNAME ${admin.username} is also in LOCAL_USER_FILE`);
      }
      users.push({
        username: admin.username,
        passwordHash: await hashPassword(admin.password),
        roles: ['admin'],
      });
    }
    const fixed = new InMemoryLocalUsers(users);
    localUsers = deps.storeUsers ? new CombinedLocalUsers(fixed, deps.storeUsers) : fixed;
    logins.push(localLogin(localUsers, config.local.secret, config.local.ttlSeconds));
    verifiers.push(
      new LocalVerifier({ secret: config.local.secret, ...opt('users', deps.storeUsers && localUsers) }),
    );
  }
  if (config.cognito) {
    const { tokenUse, endpoint, clientSecret, passwordAuth, ...cognito } = config.cognito;
    const verifier = cognitoVerifier({ ...cognito, tokenUse, ...prefix });
    verifiers.push(verifier);
    servers.push(verifier.issuer);
    if (passwordAuth) {
      const poolRegion = cognito.userPoolId.slice(0, Math.max(0, cognito.userPoolId.indexOf('_')));
      cognitoLogin = new CognitoLogin({
        clientId: cognito.clientId,
        region: cognito.region ?? (poolRegion || 'us-east-1'),
        accessTokenUse: tokenUse.includes('access') ? 'access' : 'id',
        ...opt('endpoint', endpoint),
        ...opt('clientSecret', clientSecret),
      });
      logins.push(cognitoLogin);
    }
  }
  if (config.oidc) {
    verifiers.push(new JwksVerifier({ ...config.oidc, ...prefix }));
    servers.push(config.oidc.issuer);
  }
  let token = config.adminStaticToken;
  let generated: EnsuredAdminToken | undefined;
  if (token === undefined && (deps.generateAdminToken ?? config.providers.length === 0)) {
    generated = await ensureAdminToken(deps.dataDir);
    token = generated.token;
  }
  const authenticator = new Authenticator({
    verifiers,
    ...opt('adminToken', token === undefined ? undefined : new AdminTokenVerifier(token)),
  });
  return {
    authenticator,
    logins,
    close: () => cognitoLogin?.close(),
    ...opt('generatedAdminToken', generated),
    authorizationServers: servers,
  };
}
