import { describe, expect, it } from 'vitest';
import { AUTH_ERRORS, AuthError, isAuthError } from './errors.js';

describe('AuthError', () => {
  it('maps each code to an HTTP status and an RFC 6750 error', () => {
    const e = new AuthError('MCPD_AUTH_EXPIRED', 'Token has expired');
    expect([e.name, e.code, e.status, e.bearerError, e.message]).toEqual([
      'AuthError', 'MCPD_AUTH_EXPIRED', 401, 'invalid_token', 'Token has expired',
    ]); // prettier-ignore
    expect(new AuthError('MCPD_AUTH_MISSING', 'x').bearerError).toBeUndefined();
    expect(new AuthError('MCPD_AUTH_FORBIDDEN', 'x')).toMatchObject({
      status: 403,
      bearerError: 'insufficient_scope',
    });
    expect(new AuthError('MCPD_AUTH_UNAVAILABLE', 'x').status).toBe(503);
    for (const { status } of Object.values(AUTH_ERRORS)) expect([401, 403, 429, 503]).toContain(status);
  });

  it('carries a cause and a retry-after', () => {
    const cause = new Error('inner');
    const e = new AuthError('MCPD_AUTH_RATE_LIMITED', 'slow down', { cause, retryAfterSeconds: 12 });
    expect(e.cause).toBe(cause);
    expect(e.retryAfterSeconds).toBe(12);
    expect(e.status).toBe(429);
    expect('cause' in new AuthError('MCPD_AUTH_INVALID', 'x')).toBe(false);
    expect(isAuthError(e)).toBe(true);
    expect(isAuthError(cause)).toBe(false);
  });
});
