import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/errors.js';
import {
  checkPassword,
  hashPassword,
  InMemoryLocalUsers,
  loadLocalUserFile,
  parseLocalUsers,
  verifyLogin,
  type LocalUser,
} from './local-users.js';

let dir: string;
let alice: LocalUser;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpd-auth-users-'));
  alice = { username: 'alice', passwordHash: await hashPassword('correct horse', 4), roles: ['ep1:editor'] };
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('LOCAL_USER_FILE', () => {
  it('loads a valid file once', async () => {
    const path = join(dir, 'users.json');
    await writeFile(
      path,
      JSON.stringify([{ username: 'alice', password_hash: alice.passwordHash, roles: ['admin'] }]),
    );
    const users = await loadLocalUserFile(path);
    expect(await users.find('alice')).toEqual({
      username: 'alice',
      passwordHash: alice.passwordHash,
      roles: ['admin'],
    });
    expect(await users.find('bob')).toBeUndefined();
    expect(users.bcryptRounds).toBe(4);
  });

  it('refuses unreadable files and bad JSON with a ConfigError', async () => {
    await expect(loadLocalUserFile(join(dir, 'missing.json'))).rejects.toThrow(/cannot be read \(ENOENT\)/);
    const path = join(dir, 'bad.json');
    await writeFile(path, '[{"username": "a", "password_hash": "$2b$10$secret…');
    const error = await loadLocalUserFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`LOCAL_USER_FILE ${path} is not valid JSON`);
  });

  it('validates the shape with clear messages', () => {
    const hash = alice.passwordHash;
    const bad: [unknown, RegExp][] = [
      [{}, /expected a JSON array/],
      [[null], /user #1 is not an object/],
      [[{ password_hash: hash }], /"username" must be a non-empty string/],
      [[{ username: ' ', password_hash: hash }], /"username" must be a non-empty string/],
      [[{ username: 'a', password_hash: 'plain' }], /user #1 \(a\): "password_hash" must be a bcrypt hash/],
      [
        [
          { username: 'a', password_hash: hash },
          { username: 'a', password_hash: hash },
        ],
        /user #2: username "a" appears twice/,
      ],
      [[{ username: 'a', password_hash: hash, roles: 'admin' }], /"roles" must be an array of strings/],
      [[{ username: 'a', password_hash: hash, roles: [1] }], /"roles" must be an array of strings/],
    ];
    for (const [json, message] of bad) {
      expect(() => parseLocalUsers(json, 'f.json')).toThrow(ConfigError);
      expect(() => parseLocalUsers(json, 'f.json')).toThrow(message);
    }
    expect(parseLocalUsers([{ username: 'a', password_hash: hash }], 'f')).toEqual([
      { username: 'a', passwordHash: hash, roles: [] },
    ]);
  });
});

describe('passwords', () => {
  it('checks bcrypt hashes; unknown users and wrong passwords both fail', async () => {
    const users = new InMemoryLocalUsers([alice]);
    expect(await checkPassword(alice, 'correct horse')).toBe(true);
    expect(await checkPassword(alice, 'wrong')).toBe(false);
    expect(await checkPassword(undefined, 'correct horse', 4)).toBe(false);
    expect(await checkPassword(undefined, 'mcpd-dummy-password', 4)).toBe(false);
    expect(await verifyLogin(users, 'alice', 'correct horse')).toBe(alice);
    expect(await verifyLogin(users, 'alice', 'nope')).toBeUndefined();
    expect(await verifyLogin(users, 'mallory', 'correct horse')).toBeUndefined();
    expect(new InMemoryLocalUsers([]).bcryptRounds).toBe(10);
  });
});
