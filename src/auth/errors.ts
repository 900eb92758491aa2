/**
 * Authentication and authorization failures, each with a stable code, the HTTP status it answers with and the
 * RFC 6750 `error` value (if any) for the `WWW-Authenticate` header. Messages are safe to send to clients: they
 * never contain a token, a secret or a hash, and they do not echo untrusted token content.
 */

export type AuthErrorCode =
  | 'MCPD_AUTH_MISSING'
  | 'MCPD_AUTH_INVALID'
  | 'MCPD_AUTH_EXPIRED'
  | 'MCPD_AUTH_FORBIDDEN'
  | 'MCPD_AUTH_BAD_CREDENTIALS'
  | 'MCPD_AUTH_RATE_LIMITED'
  | 'MCPD_AUTH_UNAVAILABLE';

/** The RFC 6750 §3.1 error codes used in `WWW-Authenticate: Bearer error="…"`. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

export interface AuthErrorMapping {
  readonly status: number;
  /** Absent when the answer must not carry an `error` (no credentials at all, RFC 6750 §3.1). */
  readonly bearerError?: BearerErrorCode;
}

/**
 * - MISSING: no Bearer credentials (the `Authorization` header uses another scheme, e.g. `Basic`). 401, no error.
 * - INVALID: malformed, badly signed, wrong issuer/audience/client/token_use, unknown or revoked key. 401.
 * - EXPIRED: the token or API key has expired (or is not valid yet). 401, `invalid_token` as well.
 * - FORBIDDEN: authenticated but the role does not allow the action. 403, `insufficient_scope`.
 * - BAD_CREDENTIALS: `/auth/token` with a wrong username or password (no hint which one). 401.
 * - RATE_LIMITED: too many failed logins for this username and address; see `retryAfterSeconds`. 429.
 * - UNAVAILABLE: the identity provider's keys or discovery document could not be fetched. 503.
 */
export const AUTH_ERRORS: Readonly<Record<AuthErrorCode, AuthErrorMapping>> = Object.freeze({
  MCPD_AUTH_MISSING: { status: 401 },
  MCPD_AUTH_INVALID: { status: 401, bearerError: 'invalid_token' },
  MCPD_AUTH_EXPIRED: { status: 401, bearerError: 'invalid_token' },
  MCPD_AUTH_FORBIDDEN: { status: 403, bearerError: 'insufficient_scope' },
  MCPD_AUTH_BAD_CREDENTIALS: { status: 401 },
  MCPD_AUTH_RATE_LIMITED: { status: 429 },
  MCPD_AUTH_UNAVAILABLE: { status: 503 },
});

export interface AuthErrorOptions {
  readonly cause?: unknown;
  /** For MCPD_AUTH_RATE_LIMITED: seconds until the next attempt is accepted (the `Retry-After` header). */
  readonly retryAfterSeconds?: number;
}

export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly code: AuthErrorCode,
    message: string,
    options: AuthErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** The HTTP status to answer with. */
  get status(): number {
    return AUTH_ERRORS[this.code].status;
  }

  /** The RFC 6750 `error` for `WWW-Authenticate`, when the answer should carry one. */
  get bearerError(): BearerErrorCode | undefined {
    return AUTH_ERRORS[this.code].bearerError;
  }
}

export function isAuthError(error: unknown): error is AuthError {
  return error instanceof AuthError;
}
