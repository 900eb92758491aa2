/**
 * From an `Authorization` header to a Principal. Only `Bearer` credentials are read (never query strings or
 * cookies). The static admin token is checked first (constant time); otherwise the token's unverified shape picks
 * exactly one verifier: `mcpd_…` → API keys; a JWT with `alg: HS256` and `iss: "mcpd"` → local; a JWT from another
 * issuer → the JWKS verifier for that exact `iss`. Nothing is tried "just in case", and no token is ever logged.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { ADMIN_PRINCIPAL, type AdminTokenVerifier } from './admin-token.js';
import { looksLikeApiKey } from './api-keys.js';
import { AuthError } from './errors.js';
import type { Principal } from './principal.js';
import type { TokenShape, TokenVerifier, VerifyContext } from './verifier.js';

/** Tokens longer than this are refused before any work (real JWTs are a few KiB at most). */
export const MAX_TOKEN_LENGTH = 16_384;

const CREDENTIALS = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?: +(.*))?$/;
const TOKEN68 = /^[A-Za-z0-9._~+/-]+=*$/;

/**
 * The bearer token of an Authorization header: `undefined` when the header is absent or blank; an AuthError
 * (MCPD_AUTH_MISSING) for another scheme such as `Basic`, and (MCPD_AUTH_INVALID) for a malformed bearer value.
 */
export function bearerToken(header: string | undefined): string | undefined {
  const value = header?.trim() ?? '';
  if (value === '') return undefined;
  const match = CREDENTIALS.exec(value);
  if (match?.[1]?.toLowerCase() !== 'bearer') {
    throw new AuthError('MCPD_AUTH_MISSING', 'Only Bearer credentials are accepted');
  }
  const token = match[2]?.trim() ?? '';
  if (token === '' || token.length > MAX_TOKEN_LENGTH || !TOKEN68.test(token)) {
    throw new AuthError('MCPD_AUTH_INVALID', 'The bearer token is malformed');
  }
  return token;
}

/** The unverified shape of a token, for routing only (nothing here is trusted). */
export function tokenShape(token: string): TokenShape {
  if (looksLikeApiKey(token)) return { kind: 'api-key' };
  if (token.split('.').length === 3) {
    try {
      const { alg } = decodeProtectedHeader(token);
      const { iss } = decodeJwt(token);
      return {
        kind: 'jwt',
        alg: typeof alg === 'string' ? alg : '',
        iss: typeof iss === 'string' ? iss : undefined,
      };
    } catch {
      // not a decodable JWT
    }
  }
  return { kind: 'opaque' };
}

export interface AuthenticatorOptions {
  /** Tried in order; the first whose `accepts` fits the token verifies it. */
  readonly verifiers: readonly TokenVerifier[];
  /** The static/generated admin token, if any. */
  readonly adminToken?: AdminTokenVerifier;
}

export class Authenticator {
  readonly #verifiers: readonly TokenVerifier[];
  readonly #adminToken: AdminTokenVerifier | undefined;

  constructor(options: AuthenticatorOptions) {
    this.#verifiers = [...options.verifiers];
    this.#adminToken = options.adminToken;
  }

  /** Names of the verifiers, in order (for the start-up log). */
  get verifierNames(): string[] {
    return this.#verifiers.map((v) => v.name);
  }

  /**
   * `undefined` when there are no credentials (no or blank header): the caller answers 401 where auth is needed.
   * Otherwise the Principal, or an AuthError (never another error: failures of a store or an identity provider
   * become MCPD_AUTH_UNAVAILABLE).
   */
  async authenticate(
    header: string | undefined,
    context: VerifyContext = {},
  ): Promise<Principal | undefined> {
    const token = bearerToken(header);
    if (token === undefined) return undefined;
    if (this.#adminToken?.matches(token)) return ADMIN_PRINCIPAL;
    const shape = tokenShape(token);
    const verifier = this.#verifiers.find((v) => v.accepts(shape));
    if (verifier === undefined) {
      const why = {
        'api-key': 'API keys are not enabled',
        jwt: 'Token issuer is not accepted',
        opaque: 'Token is not recognised',
      };
      throw new AuthError('MCPD_AUTH_INVALID', why[shape.kind]);
    }
    try {
      return await verifier.verify(token, context);
    } catch (error) {
      if (error instanceof AuthError) throw error;
      throw new AuthError('MCPD_AUTH_UNAVAILABLE', 'Credentials cannot be checked right now', {
        cause: error,
      });
    }
  }
}
