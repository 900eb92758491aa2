/**
 * The TokenVerifier contract shared by every provider (local JWTs, JWKS issuers, API keys), the unverified
 * token shape the Authenticator routes on, and the translation of jose failures into AuthErrors.
 */
import { errors } from 'jose';
import { AuthError } from './errors.js';
import type { Principal } from './principal.js';

/** What a bearer token looks like before any verification (used only to pick a verifier). */
export type TokenShape =
  | { readonly kind: 'api-key' }
  | { readonly kind: 'jwt'; readonly alg: string; readonly iss: string | undefined }
  | { readonly kind: 'opaque' };

export interface VerifyContext {
  /**
   * RFC 8707 resource indicators of the resource being accessed (e.g. `https://mcpd.example/ep1/mcp`). When
   * given, verifiers that check resource audiences require the token's `aud` to contain one of them.
   */
  readonly resources?: readonly string[];
}

export interface TokenVerifier {
  /** For logs and diagnostics (`local`, `cognito`, `oidc:<issuer>`, `api-key`). */
  readonly name: string;
  /** Whether this verifier is the one for tokens of this shape (cheap; no verification). */
  accepts(shape: TokenShape): boolean;
  /** Verifies the token; fails with an AuthError only. */
  verify(token: string, context?: VerifyContext): Promise<Principal>;
}

/** Maps a jose verification failure to an AuthError with a client-safe message (no token content). */
export function joseFailure(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  const cause = { cause: error };
  if (error instanceof errors.JWTExpired)
    return new AuthError('MCPD_AUTH_EXPIRED', 'Token has expired', cause);
  if (error instanceof errors.JWTClaimValidationFailed) {
    return error.claim === 'nbf'
      ? new AuthError('MCPD_AUTH_INVALID', 'Token is not valid yet', cause)
      : new AuthError('MCPD_AUTH_INVALID', `Token "${error.claim}" claim check failed`, cause);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new AuthError('MCPD_AUTH_INVALID', 'Token algorithm is not accepted', cause);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new AuthError('MCPD_AUTH_INVALID', 'Token signature is invalid', cause);
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new AuthError('MCPD_AUTH_INVALID', 'Token signing key is not known', cause);
  }
  return new AuthError('MCPD_AUTH_INVALID', 'Token is malformed or invalid', cause);
}

/** Whether a token's `aud` (string or array) contains one of `resources` (trailing slashes ignored). */
export function audienceIncludes(aud: unknown, resources: readonly string[]): boolean {
  const strip = (s: string): string => s.replace(/\/+$/, '');
  const wanted = new Set(resources.map(strip));
  const have = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  return have.some((a) => typeof a === 'string' && wanted.has(strip(a)));
}
