/**
 * The local provider's settings that configuration loading needs, kept apart from the token code (local.ts) so that
 * loading the configuration does not load the JWT library: every `mcpd` command, `mcpd stdio` first of all, starts
 * by loading its configuration.
 */
import { ConfigError } from '../config/errors.js';

export const MIN_SECRET_LENGTH = 32;
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

/** Validates JWT_SECRET_KEY: required, at least 32 characters (no default secret, ever). */
export function validateSecret(secret: string | undefined, name = 'JWT_SECRET_KEY'): string {
  if (secret === undefined || secret === '') {
    throw new ConfigError(
      `${name} is required for the local auth provider (e.g. \`openssl rand -base64 48\`)`,
    );
  }
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(`${name} must be at least ${MIN_SECRET_LENGTH} characters long`);
  }
  return secret;
}
