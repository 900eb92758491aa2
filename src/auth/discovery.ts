/**
 * Where an OpenID Connect issuer's keys are: the `jwks_uri` of its discovery document
 * (`{issuer}/.well-known/openid-configuration`, whose `issuer` must be the configured one), and the rule for
 * URLs keys may be fetched from (https, or plain http on loopback only).
 */
import { ConfigError } from '../config/errors.js';
import { AuthError } from './errors.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Parses a URL keys may be fetched from: https, or http on loopback (tests, local issuers); else ConfigError. */
export function secureUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${what} is not a URL: ${value}`);
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ConfigError(`${what} must use https: ${value}`);
  }
  return url;
}

const trimSlash = (s: string): string => s.replace(/\/+$/, '');

/** Fetches the discovery document and returns its `jwks_uri`; failures are MCPD_AUTH_UNAVAILABLE. */
export async function discoverJwksUrl(issuer: string, timeoutMs: number): Promise<URL> {
  const unavailable = (why: string, cause?: unknown): AuthError =>
    new AuthError('MCPD_AUTH_UNAVAILABLE', `The identity provider discovery document ${why}`, { cause });
  let doc: unknown;
  try {
    const response = await fetch(`${trimSlash(issuer)}/.well-known/openid-configuration`, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status !== 200) throw unavailable(`answered HTTP ${response.status}`);
    doc = await response.json();
  } catch (error) {
    throw error instanceof AuthError ? error : unavailable('could not be fetched', error);
  }
  const { issuer: named, jwks_uri: jwksUri } = (doc ?? {}) as Record<string, unknown>;
  if (typeof named !== 'string' || trimSlash(named) !== trimSlash(issuer))
    throw unavailable('names another issuer');
  if (typeof jwksUri !== 'string') throw unavailable('has no jwks_uri');
  try {
    return secureUrl(jwksUri, 'jwks_uri');
  } catch (error) {
    throw unavailable('has an unusable jwks_uri', error);
  }
}
