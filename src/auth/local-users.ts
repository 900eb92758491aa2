/**
 * Local users: the older engine's LOCAL_USER_FILE (a JSON array of `{username, password_hash (bcrypt), roles}`),
 * read and validated once, and password checks with bcrypt that take as long for unknown users as for known ones.
 * `roles` uses the string forms of `rolesFromClaims` (`admin`, `<endpoint>:<role>`).
 */
import { readFile } from 'node:fs/promises';
import bcrypt from 'bcryptjs';
import { ConfigError } from '../config/errors.js';

export interface LocalUser {
  readonly username: string;
  /** bcrypt hash (`$2a$`, `$2b$` or `$2y$`). */
  readonly passwordHash: string;
  readonly roles: readonly string[];
  /** Epoch seconds: tokens issued (`iat`) before this are refused (store users, after passwd). */
  readonly tokensValidAfter?: number;
}

/** Where local users come from. */
export interface LocalUsers {
  find(username: string): Promise<LocalUser | undefined>;
  /** bcrypt cost of the stored hashes, so that checks for unknown users take as long as for known ones. */
  readonly bcryptRounds: number;
}

const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

export class InMemoryLocalUsers implements LocalUsers {
  readonly #users: ReadonlyMap<string, LocalUser>;
  readonly bcryptRounds: number;

  constructor(users: readonly LocalUser[]) {
    this.#users = new Map(users.map((u) => [u.username, u]));
    this.bcryptRounds = users.reduce((max, u) => Math.max(max, bcrypt.getRounds(u.passwordHash)), 0) || 10;
  }

  find(username: string): Promise<LocalUser | undefined> {
    return Promise.resolve(this.#users.get(username));
  }
}

/** Validates the LOCAL_USER_FILE shape; `source` names the file in error messages. */
export function parseLocalUsers(json: unknown, source: string): LocalUser[] {
  if (!Array.isArray(json)) throw new ConfigError(`${source}: expected a JSON array of users`);
  const seen = new Set<string>();
  return json.map((entry: unknown, i) => {
    const at = `${source}: user #${i + 1}`;
    if (entry === null || typeof entry !== 'object') throw new ConfigError(`${at} is not an object`);
    const { username, password_hash: hash, roles = [] } = entry as Record<string, unknown>;
    if (typeof username !== 'string' || username.trim() === '') {
      throw new ConfigError(`${at}: "username" must be a non-empty string`);
    }
    if (seen.has(username)) throw new ConfigError(`${at}: username "${username}" appears twice`);
    seen.add(username);
    if (typeof hash !== 'string' || !BCRYPT_HASH.test(hash)) {
      throw new ConfigError(`${at} (${username}): "password_hash" must be a bcrypt hash ($2b$…)`);
    }
    if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) {
      throw new ConfigError(`${at} (${username}): "roles" must be an array of strings`);
    }
    return { username, passwordHash: hash, roles: [...(roles as string[])] };
  });
}

/** Reads and validates LOCAL_USER_FILE. */
export async function readLocalUserFile(path: string): Promise<LocalUser[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `LOCAL_USER_FILE ${path} cannot be read (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`LOCAL_USER_FILE ${path} is not valid JSON`);
  }
  return parseLocalUsers(json, `LOCAL_USER_FILE ${path}`);
}

/** Reads LOCAL_USER_FILE once into a LocalUsers. */
export async function loadLocalUserFile(path: string): Promise<InMemoryLocalUsers> {
  return new InMemoryLocalUsers(await readLocalUserFile(path));
}

/** A bcrypt hash for a new password (e.g. ADMIN_PASSWORD hashed at start). */
export function hashPassword(password: string, rounds = 12): Promise<string> {
  return bcrypt.hash(password, rounds);
}

const dummyHashes = new Map<number, Promise<string>>();

/**
 * Checks a password. For an unknown user (`undefined`) a dummy hash of the same cost is compared, so the answer
 * takes as long as for a known user and timing does not reveal which usernames exist.
 */
export async function checkPassword(
  user: LocalUser | undefined,
  password: string,
  dummyRounds = 10,
): Promise<boolean> {
  let hash = user?.passwordHash;
  if (hash === undefined) {
    let dummy = dummyHashes.get(dummyRounds);
    if (dummy === undefined) {
      dummy = bcrypt.hash('mcpd-dummy-password', dummyRounds);
      dummyHashes.set(dummyRounds, dummy);
    }
    hash = await dummy;
  }
  const ok = await bcrypt.compare(password, hash);
  return ok && user !== undefined;
}

/** Finds the user and checks the password; `undefined` for an unknown user or a wrong password alike. */
export async function verifyLogin(
  users: LocalUsers,
  username: string,
  password: string,
): Promise<LocalUser | undefined> {
  const user = await users.find(username);
  return (await checkPassword(user, password, users.bcryptRounds)) ? user : undefined;
}
