/**
 * Local users kept in the Store (`mcpd user add|passwd|remove`), beside the read-only LOCAL_USER_FILE and
 * ADMIN_USERNAME users. Like API keys they live in the settings table under a reserved partition (`__mcpd_users`,
 * which no endpoint id can name), one row per user, holding the bcrypt hash, the roles and `tokens_valid_after`:
 * a password change or removal moves that instant, so tokens issued before it stop verifying (see local.ts).
 */
import { readAll } from '../registry/from-store.js';
import type { Store } from '../store/index.js';
import type { LocalUser, LocalUsers } from './local-users.js';

export const USER_PARTITION = '__mcpd_users';

/** A user row as stored (snake case, like the other settings rows). */
export interface StoredUser {
  readonly username: string;
  readonly password_hash: string;
  readonly roles: readonly string[];
  readonly created_at: string;
  readonly updated_at: string;
  /** Epoch seconds; tokens with an earlier `iat` are refused. */
  readonly tokens_valid_after: number;
}

export const USERNAME = /^[A-Za-z0-9._@+-]{1,128}$/;

function toLocalUser(row: StoredUser): LocalUser {
  return {
    username: row.username,
    passwordHash: row.password_hash,
    roles: [...row.roles],
    tokensValidAfter: row.tokens_valid_after,
  };
}

export class StoreUsers {
  constructor(private readonly store: Store) {}

  async get(username: string): Promise<StoredUser | undefined> {
    if (!USERNAME.test(username)) return undefined;
    const row = await this.store.settings.get(USER_PARTITION, username);
    return row ? (row.setting as unknown as StoredUser) : undefined;
  }

  async find(username: string): Promise<LocalUser | undefined> {
    const row = await this.get(username);
    return row ? toLocalUser(row) : undefined;
  }

  async put(user: StoredUser, by: string): Promise<void> {
    await this.store.settings.put({
      partition_key: USER_PARTITION,
      setting_id: user.username,
      setting: { ...user, roles: [...user.roles] },
      updated_by: by,
    });
  }

  async remove(username: string): Promise<boolean> {
    if (!(await this.get(username))) return false;
    await this.store.settings.delete(USER_PARTITION, username);
    return true;
  }

  async list(): Promise<StoredUser[]> {
    const rows = await readAll(this.store.settings, USER_PARTITION);
    return rows
      .map((r) => r.setting as unknown as StoredUser)
      .sort((a, b) => a.username.localeCompare(b.username));
  }
}

/**
 * The users `POST /auth/token` and the local verifier consult: the fixed ones (LOCAL_USER_FILE, ADMIN_USERNAME)
 * first, then the store. A username in both is the fixed one.
 */
export class CombinedLocalUsers implements LocalUsers {
  constructor(
    private readonly fixed: LocalUsers,
    private readonly stored: StoreUsers,
  ) {}

  get bcryptRounds(): number {
    return this.fixed.bcryptRounds;
  }

  async find(username: string): Promise<LocalUser | undefined> {
    return (await this.fixed.find(username)) ?? (await this.stored.find(username));
  }
}
