/**
 * Verifiers for tokens signed by an outside identity provider: AWS Cognito user pools and generic OpenID Connect
 * issuers. Keys come from the issuer's JWKS (jose `createRemoteJWKSet`: cached, refetched on an unknown `kid`
 * after a cooldown); a generic issuer's JWKS is found through its discovery document. Only asymmetric algorithms
 * are accepted, so HS256 tokens (including ones "signed" with the issuer's public key) and `alg: none` fail.
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { ConfigError } from '../config/errors.js';
import { discoverJwksUrl, secureUrl } from './discovery.js';
import { AuthError } from './errors.js';
import { rolesFromClaims, scopesFromClaims, type Principal } from './principal.js';
import {
  audienceIncludes,
  joseFailure,
  type TokenShape,
  type TokenVerifier,
  type VerifyContext,
} from './verifier.js';

export const ASYMMETRIC_ALGORITHMS = Object.freeze([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA',
]); // prettier-ignore

export type CognitoTokenUse = 'access' | 'id';

export interface JwksVerifierOptions {
  /** The exact `iss` of accepted tokens. */
  readonly issuer: string;
  /** JWKS location; default: `jwks_uri` from `{issuer}/.well-known/openid-configuration` (fetched lazily). */
  readonly jwksUrl?: string;
  /** Accepted `aud` values; required unless `cognito` is set. */
  readonly audience?: string | readonly string[];
  /** Cognito rules: `token_use` must be one of `tokenUse` (default both), client id on `client_id`/`aud`. */
  readonly cognito?: { readonly clientId: string; readonly tokenUse?: readonly CognitoTokenUse[] };
  /** Require `aud` to contain one of `VerifyContext.resources` when given (RFC 8707). Default: not Cognito. */
  readonly checkResource?: boolean;
  /** Default: every asymmetric JWS algorithm. Symmetric ones are refused. */
  readonly algorithms?: readonly string[];
  /** Default 5 seconds. */
  readonly clockToleranceSeconds?: number;
  /** See `rolesFromClaims`. */
  readonly roleClaimPrefix?: string;
  /** Minimum time between two JWKS fetches caused by unknown `kid`s; default 30 000 ms. */
  readonly cooldownMs?: number;
  /** HTTP timeout for discovery and JWKS; default 5 000 ms. */
  readonly timeoutMs?: number;
  /** Clock (epoch ms), for tests. */
  readonly now?: () => number;
  /** Default `oidc:<issuer>` (or `cognito` via `cognitoVerifier`). */
  readonly name?: string;
}

type KeyResolver = ReturnType<typeof createRemoteJWKSet>;

export class JwksVerifier implements TokenVerifier {
  readonly name: string;
  readonly issuer: string;
  readonly #options: JwksVerifierOptions;
  readonly #algorithms: string[];
  readonly #audience: string[] | undefined;
  #jwks: Promise<KeyResolver> | undefined;

  constructor(options: JwksVerifierOptions) {
    secureUrl(options.issuer, 'The issuer');
    if (options.jwksUrl !== undefined) secureUrl(options.jwksUrl, 'The JWKS URL');
    const audience = options.audience === undefined ? undefined : [options.audience].flat();
    if (!options.cognito && (audience === undefined || audience.length === 0)) {
      throw new ConfigError(
        `The OIDC issuer ${options.issuer} needs an audience (the client id or resource)`,
      );
    }
    const algorithms = [...(options.algorithms ?? ASYMMETRIC_ALGORITHMS)];
    const symmetric = algorithms.find((a) => !ASYMMETRIC_ALGORITHMS.includes(a));
    if (symmetric !== undefined)
      throw new ConfigError(`Algorithm ${symmetric} is not accepted for ${options.issuer}`);
    this.issuer = options.issuer;
    this.name = options.name ?? `oidc:${options.issuer}`;
    this.#options = options;
    this.#algorithms = algorithms;
    this.#audience = audience;
  }

  accepts(shape: TokenShape): boolean {
    return shape.kind === 'jwt' && shape.iss === this.issuer;
  }

  async verify(token: string, context: VerifyContext = {}): Promise<Principal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header, jws) => this.#key(header, jws), {
        algorithms: this.#algorithms,
        issuer: this.issuer,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: this.#options.clockToleranceSeconds ?? 5,
        ...(this.#audience ? { audience: this.#audience } : {}),
        ...(this.#options.now ? { currentDate: new Date(this.#options.now()) } : {}),
      }));
    } catch (error) {
      throw joseFailure(error);
    }
    if (this.#options.cognito) this.#checkCognito(payload, this.#options.cognito);
    const resources = context.resources ?? [];
    if ((this.#options.checkResource ?? !this.#options.cognito) && resources.length > 0) {
      if (!audienceIncludes(payload.aud, resources)) {
        throw new AuthError('MCPD_AUTH_INVALID', 'Token audience does not include this resource');
      }
    }
    const { globalAdmin, roles } = rolesFromClaims(
      payload,
      this.#options.roleClaimPrefix === undefined ? {} : { prefix: this.#options.roleClaimPrefix },
    );
    const display = ['cognito:username', 'username', 'preferred_username', 'email']
      .map((c) => payload[c])
      .find((v): v is string => typeof v === 'string' && v !== '');
    return {
      id: `oidc:${this.issuer}#${payload.sub as string}`,
      name: display ?? (payload.sub as string),
      kind: 'oidc',
      globalAdmin,
      roles,
      scopes: scopesFromClaims(payload),
      expiresAt: payload.exp as number,
      claims: payload,
    };
  }

  #checkCognito(payload: JWTPayload, cognito: NonNullable<JwksVerifierOptions['cognito']>): void {
    const use = payload['token_use'];
    const allowed: readonly string[] = cognito.tokenUse ?? ['access', 'id'];
    if (typeof use !== 'string' || !allowed.includes(use)) {
      throw new AuthError('MCPD_AUTH_INVALID', 'Token "token_use" is not accepted');
    }
    const client = use === 'access' ? payload['client_id'] : payload.aud;
    if (client !== cognito.clientId) {
      throw new AuthError('MCPD_AUTH_INVALID', 'Token was issued for another client');
    }
  }

  /** Resolves the signing key; provider outages become MCPD_AUTH_UNAVAILABLE, unknown keys stay invalid. */
  async #key(...args: Parameters<KeyResolver>): ReturnType<KeyResolver> {
    const jwks = await this.#resolver();
    try {
      return await jwks(...args);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
        throw error;
      throw new AuthError('MCPD_AUTH_UNAVAILABLE', 'The identity provider keys could not be fetched', {
        cause: error,
      });
    }
  }

  #resolver(): Promise<KeyResolver> {
    this.#jwks ??= this.#jwksUrl().then(
      (url) =>
        createRemoteJWKSet(url, {
          cooldownDuration: this.#options.cooldownMs ?? 30_000,
          timeoutDuration: this.#options.timeoutMs ?? 5_000,
        }),
      (error: unknown) => {
        this.#jwks = undefined; // retry discovery on the next token
        throw error;
      },
    );
    return this.#jwks;
  }

  #jwksUrl(): Promise<URL> {
    const { jwksUrl, timeoutMs = 5_000 } = this.#options;
    return jwksUrl === undefined
      ? discoverJwksUrl(this.issuer, timeoutMs)
      : Promise.resolve(new URL(jwksUrl));
  }
}

export interface CognitoVerifierOptions extends Omit<
  JwksVerifierOptions,
  'issuer' | 'cognito' | 'audience' | 'name'
> {
  /** COGNITO_USER_POOL_ID, e.g. `eu-west-1_AbCdEf123`. */
  readonly userPoolId: string;
  /** AWS_REGION; default: the pool id's prefix. */
  readonly region?: string;
  /** COGNITO_APP_CLIENT_ID. */
  readonly clientId: string;
  /** Default: both access and id tokens. */
  readonly tokenUse?: readonly CognitoTokenUse[];
  /**
   * COGNITO_ISSUER: the pool's issuer when it is not AWS's (a Cognito-compatible IdP such as cognito-local); the pool
   * id then need not look like an AWS one.
   */
  readonly issuer?: string;
}

export function cognitoIssuer(region: string, userPoolId: string): string {
  return `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
}

/** A JwksVerifier for a Cognito user pool (JWKS at `{issuer}/.well-known/jwks.json` unless `jwksUrl`). */
export function cognitoVerifier(options: CognitoVerifierOptions): JwksVerifier {
  const { userPoolId, clientId, tokenUse, region: given, issuer: customIssuer, ...rest } = options;
  if (clientId === '')
    throw new ConfigError('COGNITO_APP_CLIENT_ID is required for the cognito auth provider');
  if (customIssuer !== undefined) {
    return new JwksVerifier({
      ...rest,
      issuer: customIssuer,
      jwksUrl: options.jwksUrl ?? `${customIssuer}/.well-known/jwks.json`,
      cognito: { clientId, ...(tokenUse ? { tokenUse } : {}) },
      name: 'cognito',
    });
  }
  if (!/^[a-z]{2}(-[a-z]+)+-\d+_[A-Za-z0-9]+$/.test(userPoolId)) {
    throw new ConfigError(`COGNITO_USER_POOL_ID must look like eu-west-1_AbCdEf123, not ${userPoolId}`);
  }
  const region = given ?? userPoolId.slice(0, userPoolId.indexOf('_'));
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new ConfigError(`Not an AWS region: ${region}`);
  const issuer = cognitoIssuer(region, userPoolId);
  return new JwksVerifier({
    ...rest,
    issuer,
    jwksUrl: options.jwksUrl ?? `${issuer}/.well-known/jwks.json`,
    cognito: { clientId, ...(tokenUse ? { tokenUse } : {}) },
    name: 'cognito',
  });
}
