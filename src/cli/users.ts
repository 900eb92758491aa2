/**
 * `mcpd user add NAME --role R [--role R…]`, `mcpd user passwd NAME`, `mcpd user remove NAME`, `mcpd user list`:
 * local users straight in the configured store, for the `local` auth provider. Roles are `admin` (every endpoint)
 * or `<endpoint>:<caller|editor|admin>`. The password is read from MCPD_PASSWORD or the first line of stdin (never
 * from the command line, where `ps` and shell history would keep it). `passwd` and `remove` take effect on tokens
 * already issued (within the verifier's few seconds of cache).
 */
import { hashPassword } from '../auth/local-users.js';
import { ENDPOINT_ID_PATTERN, isRole } from '../auth/principal.js';
import { StoreUsers, USERNAME } from '../auth/store-users.js';
import type { Config } from '../config/config.js';
import { ConfigError } from '../config/errors.js';
import { openStore } from '../store/open.js';

export const MIN_PASSWORD_LENGTH = 12;

export interface UserCommandIo {
  readonly out: (line: string) => void;
  /** The password (MCPD_PASSWORD or stdin); called only by add and passwd. */
  readonly readPassword: () => Promise<string>;
  /** bcrypt cost; default 12. */
  readonly bcryptRounds?: number;
}

const USAGE =
  'Usage: mcpd user add NAME --role admin|ENDPOINT:caller|editor|admin [--role …] | mcpd user passwd NAME | ' +
  'mcpd user remove NAME | mcpd user list   (password from MCPD_PASSWORD or stdin)';

function checkRoles(roles: readonly string[]): string[] {
  if (roles.length === 0)
    throw new ConfigError('--role is required (admin, or ENDPOINT:caller|editor|admin)');
  for (const role of roles) {
    const colon = role.lastIndexOf(':');
    const ok =
      role === 'admin' ||
      (colon > 0 && ENDPOINT_ID_PATTERN.test(role.slice(0, colon)) && isRole(role.slice(colon + 1)));
    if (!ok) throw new ConfigError(`--role ${role}: expected admin, or ENDPOINT:caller|editor|admin`);
  }
  return [...new Set(roles)];
}

async function newPassword(io: UserCommandIo): Promise<string> {
  const password = (await io.readPassword()).replace(/\r?\n$/, '');
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new ConfigError(`The password must be at least ${MIN_PASSWORD_LENGTH} characters long`);
  }
  return password;
}

export async function runUser(
  config: Config,
  action: string | undefined,
  username: string | undefined,
  roles: readonly string[],
  io: UserCommandIo,
): Promise<number> {
  if (action !== 'list' && (username === undefined || !USERNAME.test(username))) {
    throw new ConfigError(`A username ([A-Za-z0-9._@+-], up to 128) is required\n${USAGE}`);
  }
  if (action !== 'add' && action !== 'passwd' && action !== 'remove' && action !== 'list') {
    throw new ConfigError(USAGE);
  }
  const name = username ?? '';
  const checked = action === 'add' ? checkRoles(roles) : [];
  const password = action === 'add' || action === 'passwd' ? await newPassword(io) : '';
  const store = await openStore(config.store, config.initializeTables);
  try {
    const users = new StoreUsers(store);
    const existing = action === 'list' ? undefined : await users.get(name);
    const now = new Date();
    const nowSeconds = Math.floor(now.getTime() / 1000);
    switch (action) {
      case 'add': {
        if (existing) throw new ConfigError(`User ${name} exists (use mcpd user passwd, or remove it first)`);
        await users.put(
          {
            username: name,
            password_hash: await hashPassword(password, io.bcryptRounds ?? 12),
            roles: checked,
            created_at: now.toISOString(),
            updated_at: now.toISOString(),
            tokens_valid_after: nowSeconds,
          },
          'mcpd-cli',
        );
        io.out(`user ${name} added (${checked.join(', ')})`);
        return 0;
      }
      case 'passwd': {
        if (!existing) throw new ConfigError(`No user ${name}`);
        await users.put(
          {
            ...existing,
            password_hash: await hashPassword(password, io.bcryptRounds ?? 12),
            updated_at: now.toISOString(),
            tokens_valid_after: nowSeconds,
          },
          'mcpd-cli',
        );
        io.out(`password of ${name} changed; tokens issued before now no longer work`);
        return 0;
      }
      case 'remove': {
        if (!(await users.remove(name))) {
          io.out(`no user ${name}`);
          return 1;
        }
        io.out(`user ${name} removed`);
        return 0;
      }
      default:
        for (const u of await users.list()) io.out(`${u.username}\t${u.roles.join(',')}\t${u.updated_at}`);
        return 0;
    }
  } finally {
    await store.close();
  }
}

/** MCPD_PASSWORD, else the first line of a piped stdin. */
export async function readPasswordFromEnvOrStdin(): Promise<string> {
  const fromEnv = process.env['MCPD_PASSWORD'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (process.stdin.isTTY) {
    throw new ConfigError('Pipe the password on stdin (e.g. `read -rs P; printf %s "$P" | mcpd user add …`)');
  }
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split('\n')[0] ?? '';
}
