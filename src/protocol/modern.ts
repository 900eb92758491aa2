/**
 * The stateless era (protocol 2026-07-28) on the wire: the per-request `_meta` envelope, its error codes, and
 * the `=?base64?…?=` header sentinel. Pure functions, no I/O. The engine decides what to do with a valid envelope.
 */
import { isLogLevel, type LogLevel } from './log-levels.js';
import { HANDSHAKE_VERSIONS } from './versions.js';

export const MODERN_VERSIONS = ['2026-07-28'] as const;

export const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  logLevel: 'io.modelcontextprotocol/logLevel',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
  subscriptionId: 'io.modelcontextprotocol/subscriptionId',
} as const;

/** Error codes introduced by 2026-07-28. */
export const ModernErrorCode = {
  HeaderMismatch: -32020,
  MissingRequiredClientCapability: -32021,
  UnsupportedProtocolVersion: -32022,
} as const;

export interface Envelope {
  protocolVersion: string;
  clientCapabilities: Record<string, unknown>;
  clientInfo: Record<string, unknown> | undefined;
  /** undefined: the request did not ask for logs, so none are sent. */
  logLevel: LogLevel | undefined;
}

export type EnvelopeOutcome =
  { ok: true; envelope: Envelope } | { ok: false; message: string; data: Record<string, unknown> };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const handshake = new Set<string>(HANDSHAKE_VERSIONS);

/** The protocol version a request claims in its `_meta`, if any. */
export function claimedVersion(message: unknown): unknown {
  const params = (message as { params?: unknown } | null)?.params;
  const meta = isObject(params) ? params['_meta'] : undefined;
  return isObject(meta) ? meta[META.protocolVersion] : undefined;
}

/**
 * True when a message belongs to the stateless era: it claims a version in `_meta`, or (without a claim) its
 * MCP-Protocol-Version header names a version that is not a handshake-era one.
 */
export function isModern(message: unknown, headerVersion: string | undefined): boolean {
  if (claimedVersion(message) !== undefined) return true;
  return headerVersion !== undefined && !handshake.has(headerVersion);
}

/** Reads and checks the per-request envelope (step A of the validation ladder). */
export function readEnvelope(params: unknown): EnvelopeOutcome {
  const meta = isObject(params) ? params['_meta'] : undefined;
  if (!isObject(meta)) return missing('_meta');
  const version = meta[META.protocolVersion];
  if (version === undefined) return missing(META.protocolVersion);
  if (typeof version !== 'string') return invalid(META.protocolVersion, 'must be a string');
  const caps = meta[META.clientCapabilities];
  if (caps === undefined) return missing(META.clientCapabilities);
  if (!isObject(caps)) return invalid(META.clientCapabilities, 'must be an object');
  const info = meta[META.clientInfo];
  if (
    info !== undefined &&
    (!isObject(info) || typeof info['name'] !== 'string' || typeof info['version'] !== 'string')
  ) {
    return invalid(META.clientInfo, 'must be {name, version}');
  }
  const level = meta[META.logLevel];
  if (level !== undefined && !isLogLevel(level)) return invalid(META.logLevel, 'must be a logging level');
  return {
    ok: true,
    envelope: {
      protocolVersion: version,
      clientCapabilities: caps,
      clientInfo: info as Record<string, unknown> | undefined,
      logLevel: level as LogLevel | undefined,
    },
  };
}

function missing(key: string): EnvelopeOutcome {
  return {
    ok: false,
    message: `Invalid params: the request is missing the per-request _meta key ${key} that protocol 2026-07-28 requires`,
    data: { missing: [key] },
  };
}

function invalid(key: string, problem: string): EnvelopeOutcome {
  return { ok: false, message: `Invalid params: _meta ${key} ${problem}`, data: { key, problem } };
}

export const isSupportedModernVersion = (v: string): boolean =>
  (MODERN_VERSIONS as readonly string[]).includes(v);

const SENTINEL_BODY = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes a header value that may use the `=?base64?…?=` sentinel. Returns undefined for a sentinel that is not
 * valid padded base64 of valid UTF-8; anything not wrapped in the sentinel is taken literally.
 */
export function decodeHeaderValue(raw: string): string | undefined {
  const value = raw.trim();
  if (!(value.startsWith('=?base64?') && value.endsWith('?=')) || value.length < 11) return value;
  const body = value.slice(9, -2);
  if (!SENTINEL_BODY.test(body)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(body, 'base64'));
  } catch {
    return undefined;
  }
}
