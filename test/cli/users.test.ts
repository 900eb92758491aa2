/**
 * `mcpd user add|passwd|remove|list`: users written to the store log in through `POST /auth/token` on a daemon over
 * the same store, get exactly the roles they were given, and lose their tokens on passwd and remove.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runBundleDeploy } from '../../src/cli/bundle.js';
import { runUser } from '../../src/cli/users.js';
import { loadConfig } from '../../src/config/config.js';
import { bundleDir, greeter } from '../e2e/support.js';
import { startDaemon } from '../helpers/daemon.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const SECRET = 'users-test-secret-0123456789-abcdefghij';
const dataDir = mkdtempSync(join(tmpdir(), 'mcpd-users-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const config = () => loadConfig('serve', { 'data-dir': dataDir }, { AUTH_PROVIDER: 'none' });
const io = (password: string, lines: string[] = []) => ({
  out: (l: string) => lines.push(l),
  readPassword: () => Promise.resolve(password),
  bcryptRounds: 4,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mcpd user', () => {
  it('adds users that log in with their roles, and passwd/remove revoke their tokens', async () => {
    for (const ep of ['team-a', 'team-b']) {
      await runBundleDeploy(config(), { dir: await bundleDir(greeter(ep)), endpoint: ep }, () => undefined);
    }
    expect(await runUser(config(), 'add', 'alice', ['team-a:caller'], io('alice-password-1'))).toBe(0);
    expect(await runUser(config(), 'add', 'root', ['admin'], io('root-password-12'))).toBe(0);
    const listed: string[] = [];
    expect(await runUser(config(), 'list', undefined, [], io('', listed))).toBe(0);
    expect(listed.map((l) => l.split('\t').slice(0, 2).join(' '))).toEqual([
      'alice team-a:caller',
      'root admin',
    ]);

    const d = await startDaemon(
      { MCPD_DATA_DIR: dataDir, AUTH_PROVIDER: 'local', JWT_SECRET_KEY: SECRET },
      null,
    );
    try {
      const login = async (username: string, password: string) => {
        const res = await fetch(`${d.url}/auth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ username, password }).toString(),
        });
        return { status: res.status, body: (await res.json()) as { access_token?: string } };
      };
      const call = (ep: string, token: string) =>
        fetch(`${d.url}/${ep}/mcp`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            method: 'tools/call',
            params: { name: 'greet', arguments: { name: 'Kim' } },
          }),
        });
      expect((await login('alice', 'wrong-password-x')).status).toBe(401);
      const alice = (await login('alice', 'alice-password-1')).body.access_token ?? '';
      const ok = await call('team-a', alice);
      expect(ok.status).toBe(200);
      expect(JSON.stringify(await ok.json())).toContain('team-a, Kim!');
      // Another tenant's endpoint answers like one that does not exist.
      expect((await call('team-b', alice)).status).toBe(404);
      const root = (await login('root', 'root-password-12')).body.access_token ?? '';
      expect((await call('team-b', root)).status).toBe(200);

      // Tokens issued before a password change stop working; the new password works.
      await sleep(1100); // iat has one-second resolution
      expect(await runUser(config(), 'passwd', 'alice', [], io('alice-password-2'))).toBe(0);
      await sleep(2100); // the verifier's user cache
      expect((await call('team-a', alice)).status).toBe(401);
      expect((await login('alice', 'alice-password-1')).status).toBe(401);
      const again = (await login('alice', 'alice-password-2')).body.access_token ?? '';
      expect((await call('team-a', again)).status).toBe(200);

      // Removing the user revokes its tokens.
      expect(await runUser(config(), 'remove', 'alice', [], io(''))).toBe(0);
      await sleep(2100);
      expect((await call('team-a', again)).status).toBe(401);
      expect((await login('alice', 'alice-password-2')).status).toBe(401);
      expect(await runUser(config(), 'remove', 'alice', [], io(''))).toBe(1);
    } finally {
      await d.close();
    }
  }, 30_000);

  it('refuses bad names, roles, short passwords and duplicates, with clear messages', async () => {
    await expect(runUser(config(), 'add', 'bad name', ['admin'], io('long-enough-pass'))).rejects.toThrow(
      /username/,
    );
    await expect(runUser(config(), 'add', 'bob', [], io('long-enough-pass'))).rejects.toThrow(
      /--role is required/,
    );
    await expect(runUser(config(), 'add', 'bob', ['ep:owner'], io('long-enough-pass'))).rejects.toThrow(
      /--role ep:owner/,
    );
    await expect(runUser(config(), 'add', 'bob', ['ep:caller'], io('short'))).rejects.toThrow(/at least 12/);
    await runUser(config(), 'add', 'bob', ['ep:caller'], io('long-enough-pass'));
    await expect(runUser(config(), 'add', 'bob', ['ep:caller'], io('long-enough-pass'))).rejects.toThrow(
      /exists/,
    );
    await expect(runUser(config(), 'passwd', 'nobody', [], io('long-enough-pass'))).rejects.toThrow(
      /No user/,
    );
    await expect(runUser(config(), 'rename', 'bob', [], io(''))).rejects.toThrow(/Usage/);
  });

  it('takes the password from MCPD_PASSWORD when it is set', async () => {
    const { readPasswordFromEnvOrStdin } = await import('../../src/cli/users.js');
    process.env['MCPD_PASSWORD'] = 'from-the-environment-1';
    try {
      expect(await readPasswordFromEnvOrStdin()).toBe('from-the-environment-1');
    } finally {
      delete process.env['MCPD_PASSWORD'];
    }
  });

  it('reads the password from stdin in the real command, never from argv', () => {
    const env = { ...process.env, MCPD_DATA_DIR: dataDir, AUTH_PROVIDER: 'none', MCPD_PASSWORD: '' };
    const add = spawnSync(
      process.execPath,
      [CLI, 'user', 'add', 'carol', '--role', 'x:editor', '--role', 'y:caller'],
      {
        input: 'carol-password-99\n',
        env,
        encoding: 'utf8',
      },
    );
    expect(add.stderr).toBe('');
    expect(add.stdout).toContain('user carol added (x:editor, y:caller)');
    const list = spawnSync(process.execPath, [CLI, 'user', 'list'], { env, encoding: 'utf8' });
    expect(list.stdout).toMatch(/^carol\tx:editor,y:caller\t/m);
    const short = spawnSync(process.execPath, [CLI, 'user', 'passwd', 'carol'], {
      input: 'short\n',
      env,
      encoding: 'utf8',
    });
    expect(short.status).toBe(2);
    expect(short.stderr).toContain('at least 12 characters');
  });
});
