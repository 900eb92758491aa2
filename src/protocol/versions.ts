/**
 * Protocol versions this server speaks and how a requested version is negotiated.
 * The handshake era negotiates once per session in `initialize`; later eras plug in beside it.
 */

/** Handshake-era versions, newest first. */
export const HANDSHAKE_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const;
export type HandshakeVersion = (typeof HANDSHAKE_VERSIONS)[number];

export const LATEST_HANDSHAKE_VERSION: HandshakeVersion = '2025-11-25';

/** The version a Streamable HTTP server assumes when a client sends no MCP-Protocol-Version header. */
export const DEFAULT_HTTP_VERSION: HandshakeVersion = '2025-03-26';

const supported = new Set<string>(HANDSHAKE_VERSIONS);

export function isSupportedVersion(version: unknown): version is HandshakeVersion {
  return typeof version === 'string' && supported.has(version);
}

/** The version the server answers `initialize` with: the client's if we speak it, else our latest. */
export function negotiateVersion(requested: unknown): HandshakeVersion {
  return isSupportedVersion(requested) ? requested : LATEST_HANDSHAKE_VERSION;
}

/** JSON-RPC batches exist only in 2025-03-26. */
export function allowsBatch(version: string): boolean {
  return version === '2025-03-26';
}

/** Versions at or after `min` (ISO dates compare as strings). */
export function atLeast(version: string, min: string): boolean {
  return version >= min;
}
