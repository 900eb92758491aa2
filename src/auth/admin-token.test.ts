import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/errors.js';
import { ADMIN_PRINCIPAL, AdminTokenVerifier, ensureAdminToken } from './admin-token.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpd-auth-admin-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('AdminTokenVerifier', () => {
  const token = 'a'.repeat(40);
  const verifier = new AdminTokenVerifier(token);

  it('matches only the exact token, whatever the candidate length', () => {
    expect(verifier.matches(token)).toBe(true);
    expect(verifier.matches(`${token}a`)).toBe(false);
    expect(verifier.matches(token.slice(1))).toBe(false);
    expect(verifier.matches('')).toBe(false);
  });

  it('refuses tokens shorter than 32 characters', () => {
    expect(() => new AdminTokenVerifier('short')).toThrow(ConfigError);
    expect(() => new AdminTokenVerifier('x'.repeat(31))).toThrow(/at least 32 characters/);
  });

  it('names the global admin', () => {
    expect(ADMIN_PRINCIPAL).toMatchObject({ kind: 'admin-token', globalAdmin: true, id: 'admin-token' });
  });
});

describe('ensureAdminToken', () => {
  it('generates a random token into <dataDir>/admin-token with mode 0600, then reuses it', async () => {
    const data = join(dir, 'fresh', 'nested');
    const first = await ensureAdminToken(data);
    expect(first.created).toBe(true);
    expect(first.path).toBe(join(data, 'admin-token'));
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(first.path)).mode & 0o777).toBe(0o600);
    expect((await readFile(first.path, 'utf8')).trim()).toBe(first.token);
    const second = await ensureAdminToken(data);
    expect(second).toEqual({ token: first.token, path: first.path, created: false });
  });

  it('agrees on one token when two starts race', async () => {
    const data = join(dir, 'race');
    const results = await Promise.all([
      ensureAdminToken(data),
      ensureAdminToken(data),
      ensureAdminToken(data),
    ]);
    expect(new Set(results.map((r) => r.token)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('tightens an existing file readable by others, and refuses a too short one', async () => {
    const data = join(dir, 'existing');
    const path = join(data, 'admin-token');
    await ensureAdminToken(data);
    await writeFile(path, `${'t'.repeat(32)}\n`);
    await chmod(path, 0o644);
    expect((await ensureAdminToken(data)).token).toBe('t'.repeat(32));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await writeFile(path, 'short');
    await expect(ensureAdminToken(data)).rejects.toThrow(ConfigError);
  });

  it('reports other file system errors as they are', async () => {
    const file = join(dir, 'plain-file');
    await writeFile(file, 'x');
    await expect(ensureAdminToken(join(file, 'sub'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});
