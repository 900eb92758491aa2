/**
 * The MCP authorization spec's HTTP pieces: OAuth 2.0 Protected Resource Metadata (RFC 9728) documents, their
 * well-known URLs, the resource URI of an endpoint (RFC 8707 audience), and `WWW-Authenticate: Bearer` headers
 * (RFC 6750 §3 with RFC 9728 §5.1 `resource_metadata`).
 *
 * Resources: the server `https://host[/prefix]`, and per endpoint `https://host[/prefix]/{endpoint_id}/mcp`.
 * Metadata URLs insert `/.well-known/oauth-protected-resource` between the host and the resource's path:
 * `https://host/.well-known/oauth-protected-resource[/prefix]/{endpoint_id}/mcp`.
 */
import type { AuthError, BearerErrorCode } from './errors.js';
import { ENDPOINT_ID_PATTERN } from './principal.js';

export const PRM_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** Normalises a public base URL (MCPD_PUBLIC_URL): http(s), no query or fragment, no trailing slash. */
export function publicBaseUrl(value: string): string {
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new TypeError('The public URL must be http(s)');
  if (url.search !== '' || url.hash !== '')
    throw new TypeError('The public URL must not have a query or fragment');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** The resource URI of the server (no endpoint) or of one endpoint's MCP transport. */
export function resourceUri(publicUrl: string, endpointId?: string): string {
  const base = publicBaseUrl(publicUrl);
  if (endpointId === undefined) return base;
  if (!ENDPOINT_ID_PATTERN.test(endpointId)) throw new TypeError('Invalid endpoint id');
  return `${base}/${endpointId}/mcp`;
}

/** Where the metadata of `resourceUri(publicUrl, endpointId)` is served (RFC 9728 §3.1). */
export function resourceMetadataUrl(publicUrl: string, endpointId?: string): string {
  const resource = new URL(resourceUri(publicUrl, endpointId));
  const path = resource.pathname === '/' ? '' : resource.pathname;
  return `${resource.origin}${PRM_WELL_KNOWN}${path}`;
}

export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers: readonly string[];
  readonly scopes_supported: readonly string[];
  readonly bearer_methods_supported: readonly ['header'];
  readonly resource_name?: string;
}

export interface MetadataOptions {
  /** MCPD_PUBLIC_URL, e.g. `https://mcpd.example.com`. */
  readonly publicUrl: string;
  /** The endpoint for the per-endpoint document; absent for the server's. */
  readonly endpointId?: string;
  /** Issuer URLs of the authorization servers (OIDC issuer, Cognito pool issuer). */
  readonly authorizationServers: readonly string[];
  readonly scopesSupported?: readonly string[];
  readonly resourceName?: string;
}

/** The JSON body for `GET /.well-known/oauth-protected-resource[/…]`. */
export function protectedResourceMetadata(options: MetadataOptions): ProtectedResourceMetadata {
  return {
    resource: resourceUri(options.publicUrl, options.endpointId),
    authorization_servers: [...options.authorizationServers],
    scopes_supported: [...(options.scopesSupported ?? [])],
    bearer_methods_supported: ['header'],
    ...(options.resourceName === undefined ? {} : { resource_name: options.resourceName }),
  };
}

export interface WwwAuthenticateOptions {
  /** The metadata URL (`resourceMetadataUrl(...)`). */
  readonly resourceMetadata?: string;
  /** Scopes needed (a list, or one space-separated string). */
  readonly scope?: string | readonly string[];
  /** Omit when the request carried no credentials (RFC 6750 §3.1). */
  readonly error?: BearerErrorCode;
  readonly errorDescription?: string;
}

/** A quoted-string value: printable ASCII only, `"` and `\` escaped (also keeps CR/LF out of the header). */
function quoted(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]/g, '').replace(/["\\]/g, '\\$&')}"`;
}

/** `Bearer resource_metadata="…", scope="…", error="…", error_description="…"` (only the parts given). */
export function wwwAuthenticate(options: WwwAuthenticateOptions = {}): string {
  const params: string[] = [];
  if (options.resourceMetadata !== undefined)
    params.push(`resource_metadata=${quoted(options.resourceMetadata)}`);
  const scope = typeof options.scope === 'string' ? options.scope : options.scope?.join(' ');
  if (scope !== undefined && scope !== '') params.push(`scope=${quoted(scope)}`);
  if (options.error !== undefined) {
    params.push(`error=${quoted(options.error)}`);
    if (options.errorDescription !== undefined) {
      // RFC 6750 error_description excludes `"` and `\` altogether.
      params.push(`error_description=${quoted(options.errorDescription.replace(/["\\]/g, "'"))}`);
    }
  }
  return params.length === 0 ? 'Bearer' : `Bearer ${params.join(', ')}`;
}

/** The header for a failed request: the error's RFC 6750 code and message (when it has a code). */
export function wwwAuthenticateFor(
  error: AuthError,
  options: Omit<WwwAuthenticateOptions, 'error' | 'errorDescription'> = {},
): string {
  const code = error.bearerError;
  return wwwAuthenticate(
    code === undefined ? options : { ...options, error: code, errorDescription: error.message },
  );
}
