/**
 * The first start without any auth configuration: no open daemon, but an admin token generated into the data dir
 * (mode 0600, never logged, reused on the next start). Running open needs `AUTH_PROVIDER=none` said explicitly.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEPLOY, greeter, zipOf } from '../e2e/support.js';
import { bearer, gql, http, JWT_SECRET, mcp, rpc, type SecureDaemon, startSecureDaemon } from './support.js';

const dirs: string[] = [];
const freshDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'mcpd-security-admin-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const mode = (path: string): number => statSync(path).mode & 0o777;

async function withDaemon<T>(d: SecureDaemon, fn: (d: SecureDaemon) => Promise<T>): Promise<T> {
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}

describe('no auth configured', () => {
  const dataDir = freshDir();
  let token = '';

  it('generates an admin token with mode 0600 in the data dir, and requires it', async () => {
    await withDaemon(await startSecureDaemon({ AUTH_PROVIDER: '' }, { dataDir }), async (d) => {
      const generated = d.daemon.auth?.generatedAdminToken;
      expect(generated).toBeDefined();
      expect(generated?.path).toBe(join(dataDir, 'admin-token'));
      expect(generated?.created).toBe(true);
      expect(mode(join(dataDir, 'admin-token'))).toBe(0o600);
      token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
      expect(token).toBe(generated?.token);
      expect(token.length).toBeGreaterThanOrEqual(32);

      const none = await mcp(d.url, 'default', undefined);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe(
        `Bearer resource_metadata="${d.url}/.well-known/oauth-protected-resource/default/mcp"`,
      );
      const wrong = await mcp(d.url, 'default', `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`);
      expect(wrong.status).toBe(401);
      expect((await http(`${d.url}/default`)).status).toBe(401);

      const ok = await mcp(d.url, 'default', token, rpc(1, 'tools/list'));
      expect(ok.status).toBe(200);
      expect(ok.json).toEqual({ jsonrpc: '2.0', id: 1, result: { tools: [] } });
      expect((await http(`${d.url}/default`, { headers: bearer(token) })).status).toBe(200);
      const me = await http(`${d.url}/me`, { headers: bearer(token) });
      expect(me.json).toMatchObject({ id: 'admin-token', kind: 'admin-token', global_admin: true });
      const deploy = await gql(d.url, 'default', token, DEPLOY, { zip: await zipOf(greeter('Hi')) });
      expect(deploy.data?.['deployBundle']).toMatchObject({ ok: true });
      // No local users: no password login either.
      const login = await http(`${d.url}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'admin123' }),
      });
      expect(login.status).toBe(404);
      expect(d.logs.join('')).not.toContain(token);
    });
  });

  it('reuses the token on the next start and tightens a file others could read back to 0600', async () => {
    chmodSync(join(dataDir, 'admin-token'), 0o644);
    await withDaemon(await startSecureDaemon({ AUTH_PROVIDER: '' }, { dataDir }), async (d) => {
      expect(d.daemon.auth?.generatedAdminToken).toMatchObject({
        created: false,
        path: join(dataDir, 'admin-token'),
      });
      expect(mode(join(dataDir, 'admin-token'))).toBe(0o600);
      expect((await mcp(d.url, 'default', token)).status).toBe(200);
      expect((await mcp(d.url, 'default', undefined)).status).toBe(401);
    });
  });
});

describe('the other start-up modes', () => {
  it('runs open only with AUTH_PROVIDER=none said explicitly, and then writes no token', async () => {
    const dataDir = freshDir();
    await withDaemon(await startSecureDaemon({ AUTH_PROVIDER: 'none' }, { dataDir }), async (d) => {
      expect(d.daemon.auth).toBeUndefined();
      expect(existsSync(join(dataDir, 'admin-token'))).toBe(false);
      expect((await mcp(d.url, 'default', undefined)).status).toBe(200);
    });
  });

  it('is not open with AUTH_PROVIDER=none when ADMIN_STATIC_TOKEN is set', async () => {
    const dataDir = freshDir();
    const staticToken = 'static-admin-token-for-none-mode-0123456789';
    await withDaemon(
      await startSecureDaemon({ AUTH_PROVIDER: 'none', ADMIN_STATIC_TOKEN: staticToken }, { dataDir }),
      async (d) => {
        expect((await mcp(d.url, 'default', undefined)).status).toBe(401);
        expect((await mcp(d.url, 'default', staticToken)).status).toBe(200);
        expect(existsSync(join(dataDir, 'admin-token'))).toBe(false);
      },
    );
  });

  it('generates no admin token when a provider is configured', async () => {
    const dataDir = freshDir();
    await withDaemon(
      await startSecureDaemon(
        {
          AUTH_PROVIDER: 'local',
          JWT_SECRET_KEY: JWT_SECRET,
          ADMIN_USERNAME: 'root',
          ADMIN_PASSWORD: 'root-password-0123',
        },
        { dataDir },
      ),
      async (d) => {
        expect(d.daemon.auth?.generatedAdminToken).toBeUndefined();
        expect(existsSync(join(dataDir, 'admin-token'))).toBe(false);
        expect((await mcp(d.url, 'default', undefined)).status).toBe(401);
      },
    );
  });
});
