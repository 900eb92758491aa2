/**
 * A real OpenID Connect issuer for tests, on a free loopback port: serves `/.well-known/openid-configuration`
 * and `/jwks.json` from RSA keys made with jose, signs tokens (plain OIDC or Cognito-shaped), rotates keys, and
 * can be made to fail (HTTP status of either document) to test provider outages. Counts the requests it gets.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

interface IssuerKey {
  readonly kid: string;
  readonly privateKey: KeyPair['privateKey'];
  readonly publicKey: KeyPair['publicKey'];
  readonly jwk: JWK;
}
type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

export interface SignOptions {
  /** Signing key; default the newest. */
  readonly kid?: string;
  /** Seconds from now; default 300. Negative gives an expired token. */
  readonly expiresIn?: number;
  /** Put no `kid` in the header. */
  readonly omitKid?: boolean;
  /** Claims to leave out (e.g. `sub`). */
  readonly omitClaims?: readonly string[];
}

export interface CognitoTokenOptions extends SignOptions {
  readonly tokenUse: 'access' | 'id';
  readonly clientId: string;
  readonly groups?: readonly string[];
  readonly sub?: string;
  readonly username?: string;
  /** Overrides and extra claims. */
  readonly claims?: JWTPayload;
}

export interface OidcIssuer {
  /** `http://127.0.0.1:<port>` */
  readonly issuer: string;
  readonly jwksUrl: string;
  readonly requests: { discovery: number; jwks: number };
  /** Current kids, oldest first. */
  kids(): string[];
  publicKeyPem(kid?: string): Promise<string>;
  /** Signs RS256 with `iss` = issuer, `sub` = "user-1", `iat`, `exp` unless `claims` say otherwise. */
  sign(claims?: JWTPayload, options?: SignOptions): Promise<string>;
  /** Cognito-shaped: `token_use`, `client_id` (access) or `aud` (id), `cognito:groups`, `cognito:username`. */
  signCognito(iss: string, options: CognitoTokenOptions): Promise<string>;
  /** Adds a new key (served from now on, used by default for signing); returns its kid. */
  rotate(): Promise<string>;
  /** Makes a document answer with this status (200 restores it). */
  fail(document: 'discovery' | 'jwks', status: number): void;
  /** Replaces discovery document fields (e.g. another `issuer`). */
  patchDiscovery(fields: Record<string, unknown>): void;
  close(): Promise<void>;
}

async function newKey(n: number): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `key-${n}`;
  return {
    kid,
    privateKey,
    publicKey,
    jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
  };
}

export async function startOidcIssuer(): Promise<OidcIssuer> {
  const keys: IssuerKey[] = [await newKey(1)];
  const status = { discovery: 200, jwks: 200 };
  const requests = { discovery: 0, jwks: 0 };
  let patch: Record<string, unknown> = {};
  let issuer = '';
  const server = createServer((req, res) => {
    const send = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.url === '/.well-known/openid-configuration') {
      requests.discovery++;
      if (status.discovery !== 200) return send(status.discovery, { error: 'unavailable' });
      return send(200, { issuer, jwks_uri: `${issuer}/jwks.json`, ...patch });
    }
    if (req.url === '/jwks.json') {
      requests.jwks++;
      if (status.jwks !== 200) return send(status.jwks, { error: 'unavailable' });
      return send(200, { keys: keys.map((k) => k.jwk) });
    }
    send(404, { error: 'not found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const key = (kid?: string): IssuerKey => {
    const found = kid === undefined ? keys.at(-1) : keys.find((k) => k.kid === kid);
    if (!found) throw new Error(`no key ${kid}`);
    return found;
  };
  const sign = async (claims: JWTPayload = {}, options: SignOptions = {}): Promise<string> => {
    const k = key(options.kid);
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = {
      iss: issuer,
      sub: 'user-1',
      iat: now,
      exp: now + (options.expiresIn ?? 300),
      ...claims,
    };
    for (const name of options.omitClaims ?? []) delete payload[name];
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(options.omitKid ? {} : { kid: k.kid }) })
      .sign(k.privateKey);
  };

  return {
    issuer,
    jwksUrl: `${issuer}/jwks.json`,
    requests,
    kids: () => keys.map((k) => k.kid),
    publicKeyPem: async (kid) => exportSPKI(key(kid).publicKey),
    sign,
    signCognito: (iss, o) =>
      sign(
        {
          iss,
          sub: o.sub ?? 'cognito-user-1',
          token_use: o.tokenUse,
          ...(o.tokenUse === 'access'
            ? { client_id: o.clientId, scope: 'aws.cognito.signin.user.admin' }
            : { aud: o.clientId }),
          ...(o.groups ? { 'cognito:groups': [...o.groups] } : {}),
          ...(o.username ? { [o.tokenUse === 'access' ? 'username' : 'cognito:username']: o.username } : {}),
          ...o.claims,
        },
        o,
      ),
    rotate: async () => {
      const k = await newKey(keys.length + 1);
      keys.push(k);
      return k.kid;
    },
    fail: (document, code) => {
      status[document] = code;
    },
    patchDiscovery: (fields) => {
      patch = fields;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}
