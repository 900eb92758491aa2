/**
 * Sessions belong to the principal that opened them (a session id is not a credential), and API keys are bound to
 * one endpoint and one role: created by an endpoint admin through GraphQL, shown once, stored only as a hash,
 * refused once revoked, and useless anywhere else.
 *
 * bob and erin are both callers of tenantA; dave is tenantA's admin, alice its editor; carol is a tenantB caller.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERIFIED_TTL_MS } from '../../src/auth/verified-credentials.js';
import { runKey } from '../../src/cli/keys.js';
import { loadConfig } from '../../src/config/config.js';
import { rawRequest } from '../http/support.js';
import {
  ADMIN_TOKEN,
  bearer,
  codesOf,
  type Fixture,
  fingerprint,
  gql,
  greet,
  http,
  initialize,
  login,
  mcp,
  type Reply,
  rpc,
  sessionPost,
  startFixture,
  STREAMABLE,
} from './support.js';

let f: Fixture;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  f = await startFixture();
  for (const user of ['alice', 'bob', 'carol', 'dave', 'erin']) tokens[user] = await login(f.url, user);
});
afterAll(() => f?.close());

const tok = (user: string): string => {
  const t = tokens[user];
  if (t === undefined) throw new Error(`no token for ${user}`);
  return t;
};

const UNKNOWN_SESSION = {
  jsonrpc: '2.0',
  id: null,
  error: { code: -32000, message: 'Session not found: it expired or was terminated; initialize again' },
};

describe('sessions are bound to their principal', () => {
  it("answers another user's session id like an unknown session (POST, GET stream, DELETE)", async () => {
    const sid = await initialize(f.url, 'tenantA', tok('bob'));
    const unknown = '00000000-0000-4000-8000-000000000000';
    const asErin = await sessionPost(f.url, 'tenantA', tok('erin'), sid, rpc(1, 'tools/list'));
    expect(asErin.status).toBe(404);
    expect(asErin.json).toEqual(UNKNOWN_SESSION);
    expect(fingerprint(asErin)).toEqual(
      fingerprint(await sessionPost(f.url, 'tenantA', tok('erin'), unknown, rpc(1, 'tools/list'))),
    );
    const stream = (id: string) =>
      http(`${f.url}/tenantA/mcp`, {
        headers: { ...bearer(tok('erin')), accept: 'text/event-stream', 'mcp-session-id': id },
      });
    expect(fingerprint(await stream(sid))).toEqual(fingerprint(await stream(unknown)));
    expect((await stream(sid)).status).toBe(404);
    const del = (id: string) =>
      http(`${f.url}/tenantA/mcp`, {
        method: 'DELETE',
        headers: { ...bearer(tok('erin')), 'mcp-session-id': id },
      });
    const deleted = await del(sid);
    expect(deleted.status).toBe(404);
    expect(fingerprint(deleted)).toEqual(fingerprint(await del(unknown)));
    // Still bob's, still alive.
    const own = await sessionPost(f.url, 'tenantA', tok('bob'), sid, greet('Bob'));
    expect(own.json).toEqual({
      jsonrpc: '2.0',
      id: 7,
      result: { content: [{ type: 'text', text: 'Hello, Bob!' }] },
    });
  });

  it('does not let a session cross endpoints, even for a principal with roles on both', async () => {
    const both = await f.oidc({ sub: 'both', roles: ['tenantA:caller', 'tenantB:caller'] });
    const sid = await initialize(f.url, 'tenantA', both);
    const r = await sessionPost(f.url, 'tenantB', both, sid, rpc(1, 'tools/list'));
    expect(r.status).toBe(404);
    expect(r.json).toEqual(UNKNOWN_SESSION);
    expect((await sessionPost(f.url, 'tenantA', both, sid, rpc(1, 'tools/list'))).status).toBe(200);
  });

  it("refuses a legacy SSE message posted with another user's sessionId", async () => {
    const stream = await rawRequest(`${f.url}/tenantA/sse`, {
      headers: { ...bearer(tok('bob')), accept: 'text/event-stream' },
    });
    try {
      expect(stream.status).toBe(200);
      const endpoint = await stream.nextEvent();
      expect(endpoint?.event).toBe('endpoint');
      const path = endpoint?.data ?? '';
      expect(path).toMatch(/^\/tenantA\/messages\?sessionId=[\w-]+$/);
      const post = (token: string, url = `${f.url}${path}`, body: unknown = greet('Sse', 5)) =>
        http(url, {
          method: 'POST',
          headers: { ...bearer(token), 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      // Bob initializes his session; erin then tries to use it.
      const init = rpc(4, 'initialize', {
        protocolVersion: '2024-11-05',
        capabilities: {},
        clientInfo: { name: 'legacy', version: '1' },
      });
      expect((await post(tok('bob'), undefined, init)).status).toBe(202);
      expect(
        (await post(tok('bob'), undefined, { jsonrpc: '2.0', method: 'notifications/initialized' })).status,
      ).toBe(202);
      const stolen = await post(tok('erin'));
      expect(stolen.status).toBe(404);
      expect(stolen.json).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32000, message: 'Session not found: open GET /{endpoint_id}/sse first' },
      });
      expect(fingerprint(stolen)).toEqual(
        fingerprint(await post(tok('erin'), `${f.url}/tenantA/messages?sessionId=no-such-session`)),
      );
      // The older engine's alias (POST /{id}/sse) is bound the same way.
      expect((await post(tok('erin'), `${f.url}${path.replace('/messages', '/sse')}`)).status).toBe(404);
      // Bob's own message is accepted and answered on his stream.
      const own = await post(tok('bob'));
      expect(own.status).toBe(202);
      let answer: unknown;
      for (let e = await stream.nextEvent(); e !== undefined; e = await stream.nextEvent()) {
        const m = e.event === 'message' ? (JSON.parse(e.data) as { id?: unknown }) : undefined;
        if (m?.id === 5) {
          answer = m;
          break;
        }
      }
      expect(answer).toEqual({
        jsonrpc: '2.0',
        id: 5,
        result: { content: [{ type: 'text', text: 'Hello, Sse!' }] },
      });
    } finally {
      stream.close();
    }
  });
});

const CREATE = /* GraphQL */ `
  mutation Create($role: String!, $label: String, $expiresAt: String) {
    createApiKey(role: $role, label: $label, expiresAt: $expiresAt) {
      key
      apiKey {
        id
        endpointId
        role
        label
        createdBy
        createdAt
        expiresAt
        revokedAt
      }
    }
  }
`;
const LIST = '{ apiKeyList { id endpointId role label createdAt createdBy expiresAt revokedAt } }';
const REVOKE = 'mutation Revoke($id: String!) { revokeApiKey(id: $id) { ok } }';

interface Created {
  key: string;
  id: string;
}

async function createKey(
  endpoint: string,
  token: string,
  role = 'caller',
  extra: Record<string, unknown> = {},
) {
  const r = await gql(f.url, endpoint, token, CREATE, { role, ...extra });
  const created = r.data?.['createApiKey'] as { key: string; apiKey: { id: string } } | undefined;
  if (!created) throw new Error(`createApiKey on ${endpoint}: ${r.status} ${r.text}`);
  return { key: created.key, id: created.apiKey.id, reply: r };
}

/** 401 invalid_token for an API key, with the verifier's reason. */
function expectKeyRefused(r: Reply, reason: string, endpoint = 'tenantA'): void {
  expect(r.status).toBe(401);
  expect(r.headers.get('www-authenticate')).toBe(
    `Bearer resource_metadata="${f.url}/.well-known/oauth-protected-resource/${endpoint}/mcp", ` +
      `error="invalid_token", error_description="${reason}"`,
  );
  expect(r.json).toEqual({
    jsonrpc: '2.0',
    id: null,
    error: { code: -32000, message: `Unauthorized: ${reason}` },
  });
}

describe('API keys', () => {
  let ci: Created;

  it('are created by an endpoint admin and returned once; listings never show the key or its hash', async () => {
    const { key, id, reply } = await createKey('tenantA', tok('dave'), 'caller', { label: 'ci' });
    ci = { key, id };
    expect(key).toMatch(/^mcpd_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(key.startsWith(`mcpd_${id}_`)).toBe(true);
    expect(reply.data?.['createApiKey']).toMatchObject({
      apiKey: {
        id,
        endpointId: 'tenantA',
        role: 'caller',
        label: 'ci',
        createdBy: 'local:dave',
        revokedAt: null,
      },
    });
    const list = await gql(f.url, 'tenantA', tok('dave'), LIST);
    expect(list.status).toBe(200);
    expect(list.data?.['apiKeyList']).toContainEqual(
      expect.objectContaining({ id, label: 'ci', role: 'caller' }),
    );
    const secret = key.slice(`mcpd_${id}_`.length);
    const hash = createHash('sha256').update(key).digest('hex');
    for (const leak of [key, secret, hash]) expect(list.text).not.toContain(leak);
    // There is no field to ask for either.
    const hashField = await gql(f.url, 'tenantA', tok('dave'), '{ apiKeyList { id hash } }');
    expect(hashField.status).toBe(400);
    expect(hashField.text).not.toContain(hash);
    expect(hashField.errors?.[0]?.message).toMatch(/Cannot query field "hash"/);
    // Nor can the global admin reach the reserved partition holding the records.
    const reserved = await gql(
      f.url,
      '__mcpd_api_keys',
      ADMIN_TOKEN,
      '{ mcpSettingList { mcpSettingList { setting } } }',
    );
    expect(reserved.status).toBe(400);
    expect(codesOf(reserved)).toEqual(['BAD_USER_INPUT']);
    expect(reserved.text).not.toContain(hash);
  });

  it('work as their role on their endpoint: tools/call yes, call history no', async () => {
    const r = await mcp(f.url, 'tenantA', ci.key, greet('Key'));
    expect(r.json).toEqual({
      jsonrpc: '2.0',
      id: 7,
      result: { content: [{ type: 'text', text: 'Hello, Key!' }] },
    });
    const me = await http(`${f.url}/me`, { headers: bearer(ci.key) });
    expect(me.json).toMatchObject({
      id: `api-key:${ci.id}`,
      kind: 'api-key',
      global_admin: false,
      roles: { tenantA: 'caller' },
    });
    expect(codesOf(await gql(f.url, 'tenantA', ci.key, '{ mcpFunctionCallList { total } }'))).toEqual([
      'FORBIDDEN',
    ]);
    expect(codesOf(await gql(f.url, 'tenantA', ci.key, CREATE, { role: 'admin' }))).toEqual(['FORBIDDEN']);
  });

  it('answer 404 on another endpoint, byte for byte like an endpoint that does not exist', async () => {
    const onB = await mcp(f.url, 'tenantB', ci.key, greet('Key'));
    const onNothing = await mcp(f.url, 'tenantZ', ci.key, greet('Key'));
    expect(onB.status).toBe(404);
    expect({ ...fingerprint(onB), body: onB.text.replace('tenantB', 'tenantZ') }).toEqual(
      fingerprint(onNothing),
    );
    const graphqlB = await gql(f.url, 'tenantB', ci.key, '{ ping }');
    expect(fingerprint(graphqlB)).toEqual(fingerprint(await gql(f.url, 'tenantZ', ci.key, '{ ping }')));
  });

  it('of tenantB cannot be revoked from tenantA (ok:false, like an unknown id) and keep working', async () => {
    const b = await createKey('tenantB', ADMIN_TOKEN);
    const fromA = await gql(f.url, 'tenantA', tok('dave'), REVOKE, { id: b.id });
    expect(fromA.status).toBe(200);
    expect(fromA.data).toEqual({ revokeApiKey: { ok: false } });
    expect(fromA.text).toBe(
      (await gql(f.url, 'tenantA', tok('dave'), REVOKE, { id: '0123456789abcdef' })).text,
    );
    expect((await mcp(f.url, 'tenantB', b.key, greet('B'))).text).toContain('Bonjour, B!');
    // Nor listed there.
    expect((await gql(f.url, 'tenantA', tok('dave'), LIST)).text).not.toContain(b.id);
  });

  it('are refused (401) once revoked, and the listing shows when', async () => {
    const k = await createKey('tenantA', tok('dave'), 'caller', { label: 'to revoke' });
    expect((await mcp(f.url, 'tenantA', k.key)).status).toBe(200);
    const revoked = await gql(f.url, 'tenantA', tok('dave'), REVOKE, { id: k.id });
    expect(revoked.data).toEqual({ revokeApiKey: { ok: true } });
    expectKeyRefused(await mcp(f.url, 'tenantA', k.key), 'API key has been revoked');
    const list = (await gql(f.url, 'tenantA', tok('dave'), LIST)).data?.['apiKeyList'] as {
      id: string;
      revokedAt: unknown;
    }[];
    expect(list.find((x) => x.id === k.id)?.revokedAt).toEqual(expect.any(String));
  });

  it('cannot be forged: a valid prefix and id with another secret, an unknown id, or a malformed key give 401', async () => {
    const forged = `mcpd_${ci.id}_${'A'.repeat(43)}`;
    expectKeyRefused(await mcp(f.url, 'tenantA', forged), 'API key is not valid');
    expectKeyRefused(
      await mcp(f.url, 'tenantA', `mcpd_ffffffffffffffff_${ci.key.slice(-43)}`),
      'API key is not valid',
    );
    expectKeyRefused(await mcp(f.url, 'tenantA', `${ci.key}x`), 'API key is malformed');
    expectKeyRefused(await mcp(f.url, 'tenantA', 'mcpd_admin'), 'API key is malformed');
    // The genuine key is unaffected.
    expect((await mcp(f.url, 'tenantA', ci.key)).status).toBe(200);
  });

  it('cannot be created by an editor or a caller, and an expired key is refused', async () => {
    for (const user of ['alice', 'bob']) {
      const r = await gql(f.url, 'tenantA', tok(user), CREATE, { role: 'caller' });
      expect(codesOf(r), user).toEqual(['FORBIDDEN']);
      expect(r.text).not.toMatch(/mcpd_[0-9a-f]{16}_/);
    }
    const expired = await createKey('tenantA', tok('dave'), 'caller', {
      expiresAt: new Date(Date.now() - 60_000).toISOString(),
    });
    expectKeyRefused(await mcp(f.url, 'tenantA', expired.key), 'API key has expired');
  });

  it('cannot open sessions that outlive their key (a revoked key cannot use the session it opened)', async () => {
    const k = await createKey('tenantA', tok('dave'));
    const sid = await initialize(f.url, 'tenantA', k.key);
    expect((await sessionPost(f.url, 'tenantA', k.key, sid, rpc(1, 'tools/list'))).status).toBe(200);
    await gql(f.url, 'tenantA', tok('dave'), REVOKE, { id: k.id });
    expectKeyRefused(
      await sessionPost(f.url, 'tenantA', k.key, sid, rpc(2, 'tools/list')),
      'API key has been revoked',
    );
    // The session id alone is not a credential.
    const bare = await http(`${f.url}/tenantA/mcp`, {
      method: 'POST',
      headers: { ...STREAMABLE, 'mcp-session-id': sid },
      body: JSON.stringify(rpc(3, 'tools/list')),
    });
    expect(bare.status).toBe(401);
  });
});

/**
 * The Streamable HTTP fast path skips Fastify's hooks, so with auth on it serves only an Authorization header the
 * guard allowed on the same endpoint within the last second; these check that the shortcut opens nothing the guard
 * would not.
 */
describe('the fast path, with credentials the guard has just allowed', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const modern = (endpoint: string, token: string) =>
    http(`${f.url}/${endpoint}/mcp`, {
      method: 'POST',
      headers: {
        ...STREAMABLE,
        ...bearer(token),
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/list',
      },
      body: JSON.stringify(
        rpc(1, 'tools/list', {
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientCapabilities': {},
            'io.modelcontextprotocol/clientInfo': { name: 'security-suite', version: '1' },
          },
        }),
      ),
    });

  it("opens a session to no one else right after its owner's calls", async () => {
    const sid = await initialize(f.url, 'tenantA', tok('bob'));
    for (let i = 1; i <= 3; i++)
      expect((await sessionPost(f.url, 'tenantA', tok('bob'), sid, rpc(i, 'tools/list'))).status).toBe(200);
    const asErin = await sessionPost(f.url, 'tenantA', tok('erin'), sid, rpc(4, 'tools/list'));
    expect(asErin.status).toBe(404);
    expect(asErin.json).toEqual(UNKNOWN_SESSION);
    const bare = await http(`${f.url}/tenantA/mcp`, {
      method: 'POST',
      headers: { ...STREAMABLE, 'mcp-session-id': sid },
      body: JSON.stringify(rpc(5, 'tools/list')),
    });
    expect(bare.status).toBe(401);
  });

  it('carries an allowance to no other endpoint, stateless or through a session id', async () => {
    for (let i = 0; i < 3; i++) expect((await modern('tenantA', tok('bob'))).status).toBe(200);
    const elsewhere = await modern('tenantB', tok('bob'));
    expect(elsewhere.status).toBe(404);
    expect(JSON.stringify(elsewhere.json)).toContain('Not Found: no endpoint tenantB');
    const sid = await initialize(f.url, 'tenantA', tok('bob'));
    expect((await sessionPost(f.url, 'tenantA', tok('bob'), sid, rpc(1, 'tools/list'))).status).toBe(200);
    expect((await sessionPost(f.url, 'tenantB', tok('bob'), sid, rpc(2, 'tools/list'))).status).toBe(404);
  });

  it('refuses a key revoked by another process (mcpd key revoke) within a second', async () => {
    const k = await createKey('tenantA', tok('dave'));
    const sid = await initialize(f.url, 'tenantA', k.key);
    for (let i = 1; i <= 3; i++)
      expect((await sessionPost(f.url, 'tenantA', k.key, sid, rpc(i, 'tools/list'))).status).toBe(200);
    const cli = loadConfig('serve', { 'data-dir': f.d.dataDir }, { AUTH_PROVIDER: 'none' });
    expect(await runKey(cli, 'revoke', k.id, {}, () => undefined)).toBe(0);
    await sleep(VERIFIED_TTL_MS + 100);
    expectKeyRefused(
      await sessionPost(f.url, 'tenantA', k.key, sid, rpc(4, 'tools/list')),
      'API key has been revoked',
    );
  });
});
