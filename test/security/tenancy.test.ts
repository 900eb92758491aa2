/**
 * Tenant isolation and roles over the real HTTP server. An endpoint a principal has no role on must answer exactly
 * like one that does not exist (no existence leak through status, headers or body, on every surface: MCP, legacy
 * SSE, GraphQL, server info, cache routes). Roles nest per endpoint: caller (list, call) ⊂ editor (change the
 * registry) ⊂ admin (call history, settings, API keys); only the global admin may do global operations.
 *
 * Users (local, see support.ts): bob = tenantA:caller, alice = tenantA:editor, dave = tenantA:admin,
 * carol = tenantB:caller, root = global admin (ADMIN_USERNAME); plus the static admin token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY, greeter, zipOf } from '../e2e/support.js';
import {
  ADMIN_TOKEN,
  bearer,
  codesOf,
  deployGreeter,
  type Fixture,
  fingerprint,
  gql,
  greet,
  historyUntil,
  http,
  initialize,
  login,
  mcp,
  type Reply,
  ROOT,
  rpc,
  sessionPost,
  startFixture,
  STREAMABLE,
} from './support.js';

let f: Fixture;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  f = await startFixture();
  for (const user of ['alice', 'bob', 'carol', 'dave']) tokens[user] = await login(f.url, user);
  tokens['root'] = await login(f.url, ROOT.username, ROOT.password);
});
afterAll(() => f?.close());

const tok = (user: string): string => {
  const t = tokens[user];
  if (t === undefined) throw new Error(`no token for ${user}`);
  return t;
};

/** The answers of every endpoint surface for one endpoint id, as seen with one token. */
async function surfaces(endpoint: string, token: string): Promise<Record<string, Reply>> {
  const auth = bearer(token);
  return {
    'POST /{id}/mcp tools/list': await mcp(f.url, endpoint, token),
    'POST /{id}/mcp initialize': await http(`${f.url}/${endpoint}/mcp`, {
      method: 'POST',
      headers: { ...STREAMABLE, ...auth },
      body: JSON.stringify(
        rpc(0, 'initialize', {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 'x', version: '1' },
        }),
      ),
    }),
    'GET /{id}/mcp': await http(`${f.url}/${endpoint}/mcp`, {
      headers: { ...auth, accept: 'text/event-stream', 'mcp-session-id': 'x' },
    }),
    'DELETE /{id}/mcp': await http(`${f.url}/${endpoint}/mcp`, {
      method: 'DELETE',
      headers: { ...auth, 'mcp-session-id': 'x' },
    }),
    'POST /{id}/mcp_core_graphql': await gql(f.url, endpoint, token, '{ mcpFunctionList { total } }'),
    'GET /{id}': await http(`${f.url}/${endpoint}`, { headers: auth }),
    'GET /{id}/sse': await http(`${f.url}/${endpoint}/sse`, { headers: auth }),
    'POST /{id}/messages': await http(`${f.url}/${endpoint}/messages?sessionId=x`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(rpc(1, 'tools/list')),
    }),
    'GET /{id}/admin/cache/status': await http(`${f.url}/${endpoint}/admin/cache/status`, { headers: auth }),
  };
}

/** Fingerprints with one endpoint id renamed (ids of equal length keep content-length equal). */
const renamed = (answers: Record<string, Reply>, from: string, to: string) =>
  Object.fromEntries(
    Object.entries(answers).map(([k, r]) => {
      const fp = fingerprint(r);
      return [k, { ...fp, body: fp.body.split(from).join(to) }];
    }),
  );

describe('cross-tenant: an endpoint without a role is indistinguishable from one that does not exist', () => {
  it('answers a tenantA caller on tenantB exactly as on a nonexistent endpoint, on every surface', async () => {
    const onB = await surfaces('tenantB', tok('bob'));
    const onNothing = await surfaces('tenantZ', tok('bob'));
    expect(renamed(onB, 'tenantB', 'tenantZ')).toEqual(renamed(onNothing, 'tenantB', 'tenantZ'));
    for (const r of Object.values(onB)) {
      expect(r.status).toBe(404);
      expect(r.headers.get('www-authenticate')).toBeNull();
      expect(r.text).not.toContain('Bonjour');
    }
    expect(onB['POST /{id}/mcp tools/list']?.json).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'Not Found: no endpoint tenantB' },
    });
    expect(onB['POST /{id}/mcp_core_graphql']?.json).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'Not Found' },
    });
  });

  it('answers exactly what an endpoint that really does not exist answers to a principal allowed on it', async () => {
    const onB = await surfaces('tenantB', tok('bob'));
    // The global admin may see every endpoint: for tenantZ it gets the transports' own "no such endpoint".
    const real = await surfaces('tenantZ', ADMIN_TOKEN);
    for (const route of [
      'POST /{id}/mcp tools/list',
      'POST /{id}/mcp initialize',
      'GET /{id}',
      'GET /{id}/sse',
      'POST /{id}/messages',
    ]) {
      expect(renamed({ [route]: onB[route] as Reply }, 'tenantB', 'tenantZ')).toEqual(
        renamed({ [route]: real[route] as Reply }, 'tenantB', 'tenantZ'),
      );
    }
  });

  it('gives the same bytes for an endpoint before and after it exists (tenantC, deployed in between)', async () => {
    const before = await surfaces('tenantC', tok('bob'));
    await deployGreeter(f.url, 'tenantC', 'Hej');
    expect((await mcp(f.url, 'tenantC', ADMIN_TOKEN, greet('Ann'))).text).toContain('Hej, Ann!');
    const after = await surfaces('tenantC', tok('bob'));
    const fp = (answers: Record<string, Reply>) =>
      Object.fromEntries(Object.entries(answers).map(([k, r]) => [k, fingerprint(r)]));
    expect(fp(after)).toEqual(fp(before));
  });

  it('refuses a GraphQL deploy to tenantB from tenantA staff (editor and admin) as not found', async () => {
    const zip = await zipOf(greeter('Pwned'));
    for (const user of ['alice', 'dave']) {
      const r = await gql(f.url, 'tenantB', tok(user), DEPLOY, { zip });
      expect(r.status).toBe(404);
      expect(r.json).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Not Found' } });
    }
    expect((await mcp(f.url, 'tenantB', ADMIN_TOKEN, greet('Ann'))).text).toContain('Bonjour, Ann!');
  });
});

describe('roles on one endpoint', () => {
  it('lets a caller initialize, list and call tools on its endpoint', async () => {
    const sid = await initialize(f.url, 'tenantA', tok('bob'));
    const list = await sessionPost(f.url, 'tenantA', tok('bob'), sid, rpc(1, 'tools/list'));
    expect(list.status).toBe(200);
    expect((list.json as { result: { tools: { name: string }[] } }).result.tools.map((t) => t.name)).toEqual([
      'greet',
    ]);
    const call = await sessionPost(f.url, 'tenantA', tok('bob'), sid, greet('Bob'));
    expect(call.json).toEqual({
      jsonrpc: '2.0',
      id: 7,
      result: { content: [{ type: 'text', text: 'Hello, Bob!' }] },
    });
    // And reads the registry through GraphQL (list).
    const fns = await gql(
      f.url,
      'tenantA',
      tok('bob'),
      '{ mcpFunctionList { total mcpFunctionList { name } } }',
    );
    expect(fns.status).toBe(200);
    expect(fns.data).toEqual({ mcpFunctionList: { total: 1, mcpFunctionList: [{ name: 'greet' }] } });
  });

  it('does not let a caller deploy, insert or delete (GraphQL FORBIDDEN), and the registry stays as it was', async () => {
    const deploy = await gql(f.url, 'tenantA', tok('bob'), DEPLOY, { zip: await zipOf(greeter('Pwned')) });
    expect(codesOf(deploy)).toEqual(['FORBIDDEN']);
    expect(deploy.errors?.[0]?.message).toBe('Forbidden: your role on tenantA does not allow "edit"');
    expect(deploy.data).toEqual({ deployBundle: null });
    const insert = await gql(
      f.url,
      'tenantA',
      tok('bob'),
      `mutation { insertUpdateMcpFunction(name: "evil", mcpType: "tool", updatedBy: "bob") { mcpFunction { name } } }`,
    );
    expect(codesOf(insert)).toEqual(['FORBIDDEN']);
    const del = await gql(
      f.url,
      'tenantA',
      tok('bob'),
      'mutation { deleteMcpFunction(name: "greet") { ok } }',
    );
    expect(codesOf(del)).toEqual(['FORBIDDEN']);
    expect((await mcp(f.url, 'tenantA', tok('bob'), greet('Ann'))).text).toContain('Hello, Ann!');
  });

  it('does not let a caller read call history, settings or API keys (FORBIDDEN)', async () => {
    for (const query of [
      '{ mcpFunctionCallList { total } }',
      '{ mcpFunctionCall(mcpFunctionCallUuid: "x") { name } }',
      '{ mcpSettingList { total } }',
      '{ mcpSetting(settingId: "greeter_pkg.greeter") { setting } }',
      '{ apiKeyList { id } }',
      'mutation { deleteMcpFunctionCall(mcpFunctionCallUuid: "x") { ok } }',
    ]) {
      const r = await gql(f.url, 'tenantA', tok('bob'), query);
      expect(codesOf(r), query).toEqual(['FORBIDDEN']);
      expect(r.text).not.toContain('punctuation');
    }
  });

  it('answers a caller on an editor route 403 insufficient_scope, naming the action', async () => {
    const r = await http(`${f.url}/tenantA/admin/cache/refresh`, {
      method: 'POST',
      headers: bearer(tok('bob')),
    });
    expect(r.status).toBe(403);
    expect(r.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${f.url}/.well-known/oauth-protected-resource/tenantA/mcp", ` +
        `error="insufficient_scope", error_description="This needs a role that allows 'edit'"`,
    );
    expect(r.json).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'Forbidden: your role does not allow "edit" here' },
    });
  });

  it('lets an editor deploy and refresh, but not read history, settings or keys', async () => {
    const deploy = await gql(f.url, 'tenantA', tok('alice'), DEPLOY, {
      zip: await zipOf(greeter('Hello', true)),
    });
    expect(deploy.status).toBe(200);
    expect(deploy.data?.['deployBundle']).toMatchObject({ ok: true, functions: ['greet', 'farewell'] });
    const list = await mcp(f.url, 'tenantA', tok('bob'));
    expect(
      (list.json as { result: { tools: { name: string }[] } }).result.tools.map((t) => t.name).sort(),
    ).toEqual(['farewell', 'greet']);
    const refresh = await http(`${f.url}/tenantA/admin/cache/refresh`, {
      method: 'POST',
      headers: bearer(tok('alice')),
    });
    expect(refresh.status).toBe(200);
    expect(refresh.json).toMatchObject({ partition_key: 'tenantA', tools: 2 });
    for (const query of [
      '{ mcpFunctionCallList { total } }',
      '{ mcpSettingList { total } }',
      '{ apiKeyList { id } }',
    ]) {
      expect(codesOf(await gql(f.url, 'tenantA', tok('alice'), query)), query).toEqual(['FORBIDDEN']);
    }
  });

  it('lets an endpoint admin read its call history and settings, and nothing of tenantB', async () => {
    const sid = await initialize(f.url, 'tenantA', tok('bob'));
    expect((await sessionPost(f.url, 'tenantA', tok('bob'), sid, greet('History'))).status).toBe(200);
    const calls = await historyUntil(f.url, 'tenantA', tok('dave'), (rows) =>
      rows.some((c) => c.arguments['name'] === 'History'),
    );
    expect(calls).toContainEqual({ name: 'greet', principal: 'local:bob', arguments: { name: 'History' } });
    const settings = await gql(
      f.url,
      'tenantA',
      tok('dave'),
      '{ mcpSettingList { mcpSettingList { settingId setting } } }',
    );
    expect(settings.data).toEqual({
      mcpSettingList: {
        mcpSettingList: [{ settingId: 'greeter_pkg.greeter', setting: { punctuation: '!' } }],
      },
    });
    const other = await gql(f.url, 'tenantB', tok('dave'), '{ mcpFunctionCallList { total } }');
    expect(fingerprint(other)).toEqual(
      fingerprint(await gql(f.url, 'tenantZ', tok('dave'), '{ mcpFunctionCallList { total } }')),
    );
    expect(other.status).toBe(404);
  });

  // Plain-JSON and 2026-07-28 calls run in a Session of their own: it carries the caller's principal too.
  it('records who made plain-JSON and 2026-07-28 calls in the call history', async () => {
    await mcp(f.url, 'tenantA', tok('bob'), greet('PlainJson'));
    await mcp(
      f.url,
      'tenantA',
      tok('bob'),
      rpc(8, 'tools/call', {
        name: 'greet',
        arguments: { name: 'Modern' },
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'security-suite', version: '1' },
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      }),
      {
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'greet',
        accept: STREAMABLE.accept,
      },
    );
    const calls = await historyUntil(f.url, 'tenantA', tok('dave'), (rows) =>
      ['PlainJson', 'Modern'].every((n) => rows.some((c) => c.arguments['name'] === n)),
    );
    for (const name of ['PlainJson', 'Modern']) {
      expect(calls.find((c) => c.arguments['name'] === name)?.principal, name).toBe('local:bob');
    }
  });

  it('lets the global admin (static token, ADMIN_USERNAME user, or an IdP `admin` role) do everything everywhere', async () => {
    const oidcAdmin = await f.oidc({ roles: ['admin'] });
    for (const token of [ADMIN_TOKEN, tok('root'), oidcAdmin]) {
      for (const endpoint of ['tenantA', 'tenantB']) {
        const r = await gql(
          f.url,
          endpoint,
          token,
          '{ mcpFunctionCallList { total } mcpSettingList { total } apiKeyList { id } }',
        );
        expect(r.status, endpoint).toBe(200);
        expect(r.errors).toBeUndefined();
      }
      expect((await mcp(f.url, 'tenantB', token, greet('Admin'))).text).toContain('Bonjour, Admin!');
      const me = await http(`${f.url}/me`, { headers: bearer(token) });
      expect(me.json).toMatchObject({ global_admin: true });
    }
  });

  it('keeps DELETE /admin/cache for the global admin (403 for a tenant admin or editor)', async () => {
    for (const user of ['dave', 'alice', 'bob']) {
      const r = await http(`${f.url}/admin/cache`, { method: 'DELETE', headers: bearer(tok(user)) });
      expect(r.status, user).toBe(403);
      expect(r.headers.get('www-authenticate')).toBe(
        `Bearer resource_metadata="${f.url}/.well-known/oauth-protected-resource", ` +
          `error="insufficient_scope", error_description="This needs a role that allows 'admin'"`,
      );
      expect(r.json).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: 'Forbidden: your role does not allow "admin" here' },
      });
    }
    const ok = await http(`${f.url}/admin/cache`, { method: 'DELETE', headers: bearer(ADMIN_TOKEN) });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ cleared: expect.any(Number) as number });
    // Endpoints come back from the store on their next request.
    expect((await mcp(f.url, 'tenantA', tok('bob'), greet('Again'))).text).toContain('Hello, Again!');
  });
});
