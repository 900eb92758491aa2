/**
 * The MCP authorization flow as the official SDK client (@modelcontextprotocol/sdk) walks it against a daemon that
 * trusts one OIDC issuer (the local JWKS issuer): 401 with `WWW-Authenticate: Bearer resource_metadata=…`, the
 * Protected Resource Metadata (RFC 9728) naming the issuer, the SDK's own OAuth discovery up to the authorization
 * redirect (with the RFC 8707 `resource` indicator), and a token from an auth provider that gets the client in.
 * A second daemon with MCPD_PUBLIC_URL checks the audience binding of tokens to one endpoint (RFC 8707).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  discoverOAuthProtectedResourceMetadata,
  extractWWWAuthenticateParams,
  type OAuthClientProvider,
  UnauthorizedError,
} from '@modelcontextprotocol/sdk/client/auth.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CONFIG } from '../helpers/daemon.js';
import { type OidcIssuer, startOidcIssuer } from '../helpers/oidc-issuer.js';
import { bearer, http, mcp, OIDC_AUDIENCE, rpc, type SecureDaemon, startSecureDaemon } from './support.js';

const PUBLIC_URL = 'https://mcpd.example.test';

let issuer: OidcIssuer;
let d: SecureDaemon;
let pub: SecureDaemon;

beforeAll(async () => {
  issuer = await startOidcIssuer();
  const env = { AUTH_PROVIDER: 'oidc', MCPD_OIDC_ISSUER: issuer.issuer, MCPD_OIDC_AUDIENCE: OIDC_AUDIENCE };
  d = await startSecureDaemon(env, { configFile: DEMO_CONFIG });
  pub = await startSecureDaemon({ ...env, MCPD_PUBLIC_URL: PUBLIC_URL }, { configFile: DEMO_CONFIG });
});
afterAll(async () => {
  await Promise.all([d?.close(), pub?.close()]);
  await issuer?.close();
});

/** A fetch that keeps every response it hands to the SDK (clones, so the SDK can still read the bodies). */
function recordingFetch(): { fetch: typeof fetch; responses: { url: string; res: Response }[] } {
  const responses: { url: string; res: Response }[] = [];
  const f: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const url = input instanceof Request ? input.url : String(input);
    responses.push({ url, res: res.clone() });
    return res;
  };
  return { fetch: f, responses };
}

/** An OAuth client provider for a public client registered out of band; records the redirect. */
function provider(tokens: OAuthTokens | undefined): OAuthClientProvider & { redirects: URL[] } {
  let verifier = '';
  const redirects: URL[] = [];
  return {
    redirects,
    redirectUrl: 'http://127.0.0.1:1/callback',
    clientMetadata: { redirect_uris: ['http://127.0.0.1:1/callback'], client_name: 'security suite' },
    clientInformation: (): OAuthClientInformationMixed => ({ client_id: 'mcp-client' }),
    tokens: () => tokens,
    saveTokens: () => {},
    redirectToAuthorization: (url: URL) => {
      redirects.push(url);
    },
    saveCodeVerifier: (v: string) => {
      verifier = v;
    },
    codeVerifier: () => verifier,
  };
}

describe('the SDK client against an authenticating daemon', () => {
  it('fails to connect without credentials (401), and the header leads it to the metadata naming the issuer', async () => {
    const serverUrl = new URL(`${d.url}/default/mcp`);
    const rec = recordingFetch();
    const client = new Client({ name: 'security-suite', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(serverUrl, { fetch: rec.fetch });
    const error: unknown = await client.connect(transport).then(
      () => undefined,
      (e: unknown) => e,
    );
    await client.close();
    // Without an auth provider the SDK surfaces the 401 as it is (with one, as UnauthorizedError: next test).
    expect(error).toBeInstanceOf(StreamableHTTPError);
    expect((error as StreamableHTTPError).code).toBe(401);
    expect((error as Error).message).toContain('Unauthorized: a Bearer token is required');

    const first = rec.responses[0]?.res;
    expect(first?.status).toBe(401);
    const metadataUrl = `${d.url}/.well-known/oauth-protected-resource/default/mcp`;
    expect(first?.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${metadataUrl}"`);
    expect(await first?.json()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32000, message: 'Unauthorized: a Bearer token is required' },
    });

    // What the SDK reads from the header, and the document it fetches from there (validated by its schema).
    const params = extractWWWAuthenticateParams(first as Response);
    expect(params.resourceMetadataUrl?.href).toBe(metadataUrl);
    expect(params.error).toBeUndefined();
    const prm = await discoverOAuthProtectedResourceMetadata(serverUrl, {
      resourceMetadataUrl: params.resourceMetadataUrl as URL,
    });
    expect(prm).toMatchObject({
      resource: serverUrl.href,
      authorization_servers: [issuer.issuer],
      bearer_methods_supported: ['header'],
    });
    // The same document by a plain GET, without any token.
    const plain = await http(metadataUrl);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toMatch(/^application\/json/);
    expect(plain.json).toEqual({
      resource: serverUrl.href,
      authorization_servers: [issuer.issuer],
      scopes_supported: [],
      bearer_methods_supported: ['header'],
      resource_name: 'mcpd endpoint default',
    });
  });

  it('walks OAuth discovery from the 401 to the authorization redirect, with this endpoint as the resource', async () => {
    // What a real authorization server advertises (the daemon reads only issuer and jwks_uri from it).
    issuer.patchDiscovery({
      authorization_endpoint: `${issuer.issuer}/authorize`,
      token_endpoint: `${issuer.issuer}/token`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      code_challenge_methods_supported: ['S256'],
    });
    try {
      const serverUrl = new URL(`${d.url}/default/mcp`);
      const auth = provider(undefined);
      const client = new Client({ name: 'security-suite', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(serverUrl, { authProvider: auth });
      await expect(client.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
      await client.close();
      expect(auth.redirects).toHaveLength(1);
      const redirect = auth.redirects[0] as URL;
      expect(`${redirect.origin}${redirect.pathname}`).toBe(`${issuer.issuer}/authorize`);
      expect(redirect.searchParams.get('resource')).toBe(serverUrl.href);
      expect(redirect.searchParams.get('client_id')).toBe('mcp-client');
      expect(redirect.searchParams.get('code_challenge_method')).toBe('S256');
    } finally {
      issuer.patchDiscovery({});
    }
  });

  it('connects, lists and calls tools with a token from its auth provider', async () => {
    const token = await issuer.sign({ aud: OIDC_AUDIENCE, roles: ['default:caller'] });
    const client = new Client({ name: 'security-suite', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${d.url}/default/mcp`), {
      authProvider: provider({ access_token: token, token_type: 'Bearer' }),
    });
    await client.connect(transport);
    try {
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name)).toContain('echo');
      const result = await client.callTool({ name: 'echo', arguments: { text: 'through the SDK' } });
      expect(result.content).toEqual([{ type: 'text', text: 'through the SDK' }]);
    } finally {
      await client.close();
    }
  });

  it('is refused with 403 insufficient_scope (not 401) when the token has a role too weak for the operation', async () => {
    const token = await issuer.sign({ aud: OIDC_AUDIENCE, roles: ['default:caller'] });
    const r = await http(`${d.url}/default/admin/cache/refresh`, { method: 'POST', headers: bearer(token) });
    expect(r.status).toBe(403);
    expect(r.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${d.url}/.well-known/oauth-protected-resource/default/mcp", ` +
        `error="insufficient_scope", error_description="This needs a role that allows 'edit'"`,
    );
    expect(r.json).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'Forbidden: your role does not allow "edit" here' },
    });
  });
});

describe('MCPD_PUBLIC_URL: absolute metadata URLs and tokens bound to one endpoint (RFC 8707)', () => {
  const resource = `${PUBLIC_URL}/default/mcp`;

  it('names the public URL in WWW-Authenticate and in the metadata, whatever Host the request used', async () => {
    const r = await mcp(pub.url, 'default', undefined);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource/default/mcp"`,
    );
    const prm = await http(`${pub.url}/.well-known/oauth-protected-resource/default/mcp`);
    expect(prm.json).toMatchObject({ resource, authorization_servers: [issuer.issuer] });
    const root = await http(`${pub.url}/.well-known/oauth-protected-resource`);
    expect(root.json).toMatchObject({ resource: PUBLIC_URL, authorization_servers: [issuer.issuer] });
  });

  it('refuses a token whose audience does not name the endpoint, and accepts one that does', async () => {
    const notBound = await issuer.sign({ aud: OIDC_AUDIENCE, roles: ['default:caller'] });
    const refused = await mcp(pub.url, 'default', notBound);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource/default/mcp", ` +
        'error="invalid_token", error_description="Token audience does not include this resource"',
    );
    expect(refused.json).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32000, message: 'Unauthorized: Token audience does not include this resource' },
    });
    const bound = await issuer.sign({ aud: [OIDC_AUDIENCE, resource], roles: ['default:caller'] });
    const served = await mcp(
      pub.url,
      'default',
      bound,
      rpc(1, 'tools/call', { name: 'echo', arguments: { text: 'ok' } }),
    );
    expect(served.status).toBe(200);
    expect(served.json).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { content: [{ type: 'text', text: 'ok' }] },
    });
    // The same daemon without an endpoint in the path (GET /me) needs no resource audience.
    expect((await http(`${pub.url}/me`, { headers: bearer(notBound) })).status).toBe(200);
  });

  it('refuses a token bound to one endpoint on another, even where its roles would allow it', async () => {
    const token = await issuer.sign({
      aud: [OIDC_AUDIENCE, resource],
      roles: ['default:caller', 'other:caller'],
    });
    const r = await mcp(pub.url, 'other', token);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(r.headers.get('www-authenticate')).toContain(
      `resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource/other/mcp"`,
    );
  });
});
