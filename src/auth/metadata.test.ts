import { describe, expect, it } from 'vitest';
import { AuthError } from './errors.js';
import {
  protectedResourceMetadata,
  publicBaseUrl,
  resourceMetadataUrl,
  resourceUri,
  wwwAuthenticate,
  wwwAuthenticateFor,
} from './metadata.js';

describe('resource URIs', () => {
  it('normalise the public URL and place the well-known path before the resource path', () => {
    expect(publicBaseUrl('https://mcpd.example.com/')).toBe('https://mcpd.example.com');
    expect(publicBaseUrl('https://mcpd.example.com/core//')).toBe('https://mcpd.example.com/core');
    expect(() => publicBaseUrl('ftp://x')).toThrow(TypeError);
    expect(() => publicBaseUrl('https://x/?a=1')).toThrow(/query or fragment/);
    expect(() => publicBaseUrl('not a url')).toThrow(TypeError);
    expect(resourceUri('https://mcpd.example.com/')).toBe('https://mcpd.example.com');
    expect(resourceUri('https://mcpd.example.com', 'ep1')).toBe('https://mcpd.example.com/ep1/mcp');
    expect(() => resourceUri('https://mcpd.example.com', '../x')).toThrow('Invalid endpoint id');
    expect(resourceMetadataUrl('https://mcpd.example.com')).toBe(
      'https://mcpd.example.com/.well-known/oauth-protected-resource',
    );
    expect(resourceMetadataUrl('https://mcpd.example.com', 'ep1')).toBe(
      'https://mcpd.example.com/.well-known/oauth-protected-resource/ep1/mcp',
    );
    expect(resourceMetadataUrl('https://h.example:8443/core', 'ep1')).toBe(
      'https://h.example:8443/.well-known/oauth-protected-resource/core/ep1/mcp',
    );
  });
});

describe('protectedResourceMetadata', () => {
  it('builds the RFC 9728 document for the server and for one endpoint', () => {
    expect(
      protectedResourceMetadata({ publicUrl: 'https://m.example', authorizationServers: ['https://idp'] }),
    ).toEqual({
      resource: 'https://m.example',
      authorization_servers: ['https://idp'],
      scopes_supported: [],
      bearer_methods_supported: ['header'],
    });
    expect(
      protectedResourceMetadata({
        publicUrl: 'https://m.example',
        endpointId: 'ep1',
        authorizationServers: [],
        scopesSupported: ['mcp:call'],
        resourceName: 'mcpd ep1',
      }),
    ).toEqual({
      resource: 'https://m.example/ep1/mcp',
      authorization_servers: [],
      scopes_supported: ['mcp:call'],
      bearer_methods_supported: ['header'],
      resource_name: 'mcpd ep1',
    });
  });
});

describe('wwwAuthenticate', () => {
  const rm = 'https://m.example/.well-known/oauth-protected-resource/ep1/mcp';

  it('builds the challenge from the parts given', () => {
    expect(wwwAuthenticate()).toBe('Bearer');
    expect(wwwAuthenticate({ resourceMetadata: rm })).toBe(`Bearer resource_metadata="${rm}"`);
    expect(wwwAuthenticate({ resourceMetadata: rm, scope: ['a', 'b'], error: 'insufficient_scope' })).toBe(
      `Bearer resource_metadata="${rm}", scope="a b", error="insufficient_scope"`,
    );
    expect(
      wwwAuthenticate({ scope: 'x', error: 'invalid_token', errorDescription: 'Token "exp" claim' }),
    ).toBe(`Bearer scope="x", error="invalid_token", error_description="Token 'exp' claim"`);
    expect(wwwAuthenticate({ scope: [], errorDescription: 'ignored without error' })).toBe('Bearer');
  });

  it('keeps CR/LF and quotes out of the header', () => {
    expect(wwwAuthenticate({ resourceMetadata: 'https://x/"a\\b\r\nSet-Cookie: y' })).toBe(
      'Bearer resource_metadata="https://x/\\"a\\\\bSet-Cookie: y"',
    );
  });

  it('derives the challenge from an AuthError', () => {
    expect(
      wwwAuthenticateFor(new AuthError('MCPD_AUTH_EXPIRED', 'Token has expired'), { resourceMetadata: rm }),
    ).toBe(`Bearer resource_metadata="${rm}", error="invalid_token", error_description="Token has expired"`);
    expect(
      wwwAuthenticateFor(new AuthError('MCPD_AUTH_MISSING', 'No credentials'), { resourceMetadata: rm }),
    ).toBe(`Bearer resource_metadata="${rm}"`);
    expect(
      wwwAuthenticateFor(new AuthError('MCPD_AUTH_FORBIDDEN', 'Needs editor'), { scope: 'mcp:edit' }),
    ).toBe('Bearer scope="mcp:edit", error="insufficient_scope", error_description="Needs editor"');
    expect(wwwAuthenticateFor(new AuthError('MCPD_AUTH_MISSING', 'x'))).toBe('Bearer');
  });
});
