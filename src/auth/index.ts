/**
 * Authentication and authorization for mcpd's HTTP surface. Start at `loadAuthConfig` (environment) and
 * `createAuth` (the Authenticator), then `authorize` (policy) per request; `metadata.ts` builds the MCP
 * authorization spec's documents and headers, `rate-limit.ts` guards `POST /auth/token`.
 */
export * from './admin-token.js';
export * from './api-keys.js';
export * from './authenticator.js';
export * from './config.js';
export * from './create-auth.js';
export * from './discovery.js';
export * from './errors.js';
export * from './jwks.js';
export * from './local-users.js';
export * from './local.js';
export * from './metadata.js';
export * from './policy.js';
export * from './principal.js';
export * from './rate-limit.js';
export * from './verifier.js';
