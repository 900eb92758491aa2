/** Start-up refusals: loadConfig() errors and the CLI's exit status 2 with a clear message and no stack. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/config/errors.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('loadConfig', () => {
  it('refuses a non-loopback host when running open (AUTH_PROVIDER=none), naming AUTH_PROVIDER', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) {
      const err = configError(() => loadConfig('serve', { host }, { AUTH_PROVIDER: 'none' }));
      expect(err.message).toMatch(/AUTH_PROVIDER/);
      expect(err.message).toContain(host);
      expect(err.code).toBe('MCPD_CONFIG_INVALID');
    }
    expect(
      configError(() => loadConfig('serve', {}, { HOST: '0.0.0.0', AUTH_PROVIDER: 'none' })).message,
    ).toMatch(/AUTH_PROVIDER/);
  });

  it('requires a token with nothing configured, and runs open only when told AUTH_PROVIDER=none', () => {
    expect(loadConfig('serve', {}, {}).open).toBe(false);
    expect(loadConfig('serve', { host: '0.0.0.0' }, {}).host).toBe('0.0.0.0');
    expect(loadConfig('serve', {}, { AUTH_PROVIDER: 'none' }).open).toBe(true);
    expect(loadConfig('serve', {}, { AUTH_PROVIDER: 'none', ADMIN_STATIC_TOKEN: 'x'.repeat(40) }).open).toBe(
      false,
    );
  });

  it('names what a provider is missing', () => {
    const users = { ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'correct horse battery' };
    const fails = (env: Record<string, string>) => configError(() => loadConfig('serve', {}, env)).message;
    expect(fails({ AUTH_PROVIDER: 'local' })).toMatch(/JWT_SECRET_KEY/);
    expect(fails({ AUTH_PROVIDER: 'local', ...users })).toMatch(/JWT_SECRET_KEY/);
    expect(fails({ AUTH_PROVIDER: 'oauth' })).toMatch(/AUTH_PROVIDER/);
    const ok = loadConfig('serve', {}, { AUTH_PROVIDER: 'local', JWT_SECRET_KEY: 's'.repeat(40), ...users });
    expect(ok.auth.providers).toEqual(['local']);
    expect(ok.open).toBe(false);
  });

  it('accepts loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1']) {
      expect(loadConfig('serve', { host }, {}).host).toBe(host);
    }
  });

  it('refuses a PORT out of range or not an integer', () => {
    for (const port of ['65536', '-1', '80.5', 'http', '70000']) {
      const err = configError(() => loadConfig('serve', { port }, {}));
      expect(err.message).toMatch(/port must be an integer between 0 and 65535/);
    }
    for (const port of ['99999', 'abc']) {
      expect(configError(() => loadConfig('serve', {}, { PORT: port })).message).toMatch(/port/);
    }
    expect(loadConfig('serve', { port: '65535' }, {}).port).toBe(65535);
  });

  // BUG (minor): Number('') and Number(' ') are 0, so an empty PORT (e.g. `PORT=${PORT}` in a compose file with
  // PORT unset) silently binds a random port instead of being refused or falling back to the default 8000.
  it('does not turn an empty or blank PORT into port 0 (a random port)', () => {
    for (const raw of ['', ' ']) {
      let port: number | undefined;
      try {
        port = loadConfig('serve', {}, { PORT: raw }).port;
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        continue;
      }
      expect(port, `PORT=${JSON.stringify(raw)}`).toBe(8000);
    }
  });

  it('reads MCPD_TRUST_PROXY as off, true, a hop count or addresses, and refuses anything else', () => {
    const trust = (v?: string) =>
      loadConfig('serve', {}, { AUTH_PROVIDER: 'none', MCPD_TRUST_PROXY: v }).trustProxy;
    expect(trust()).toBe(false);
    expect(trust('false')).toBe(false);
    expect(trust('true')).toBe(true);
    expect(trust('2')).toBe(2);
    expect(trust('10.0.0.0/8, ::1, 127.0.0.1')).toEqual(['10.0.0.0/8', '::1', '127.0.0.1']);
    for (const bad of ['proxy.example', '10.0.0.0/33', '10.0.0.1/8/1', 'fe80::/129'])
      expect(configError(() => trust(bad)).message).toMatch(/MCPD_TRUST_PROXY must be/);
  });

  it('reads the Redis bus from MCPD_REDIS_URL or REDIS_URL, and never echoes a bad URL (it may hold a password)', () => {
    const bus = (env: Record<string, string>) =>
      loadConfig('serve', {}, { AUTH_PROVIDER: 'none', ...env }).redis;
    expect(bus({})).toBeUndefined();
    expect(bus({ REDIS_URL: 'redis://cache:6379/2' })).toEqual({
      url: 'redis://cache:6379/2',
      prefix: 'mcpd:',
    });
    expect(
      bus({ REDIS_URL: 'redis://other', MCPD_REDIS_URL: 'rediss://u:p@cache', MCPD_REDIS_PREFIX: 'prod:' }),
    ).toEqual({ url: 'rediss://u:p@cache', prefix: 'prod:' });
    const bad = configError(() => bus({ MCPD_REDIS_URL: 'http://u:secret@cache' }));
    expect(bad.message).toBe('MCPD_REDIS_URL must be a redis:// or rediss:// URL');
    expect(configError(() => bus({ REDIS_URL: 'cache:6379' })).message).toMatch(/^REDIS_URL must be/);
    expect(configError(() => bus({ REDIS_URL: 'redis://cache', MCPD_REDIS_PREFIX: 'a b' })).message).toMatch(
      /MCPD_REDIS_PREFIX/,
    );
  });

  it('reads MCPD_PROCESS_NETWORK as host (the default) or none', () => {
    const network = (v?: string) =>
      loadConfig('serve', {}, { AUTH_PROVIDER: 'none', MCPD_PROCESS_NETWORK: v }).processNetwork;
    expect(network()).toBe('host');
    expect(network('none')).toBe('none');
    expect(network(' NONE ')).toBe('none');
    expect(configError(() => network('off')).message).toBe(
      'MCPD_PROCESS_NETWORK must be host or none, got "off"',
    );
  });

  it('runs the SQLite call writer in the idle scheduling class only with MCPD_RECORD_WRITER_IDLE=true', () => {
    const idle = (v?: string) => {
      const store = loadConfig('serve', {}, { AUTH_PROVIDER: 'none', MCPD_RECORD_WRITER_IDLE: v }).store;
      return store.kind === 'sqlite' ? store.writerIdle : undefined;
    };
    expect(idle()).toBe(false);
    expect(idle('true')).toBe(true);
    expect(idle('false')).toBe(false);
    expect(configError(() => idle('sometimes')).message).toMatch(/^MCPD_RECORD_WRITER_IDLE must be/);
  });

  it('bounds what the SQLite call writer holds while writes fail with MCPD_RECORD_MAX_BACKLOG', () => {
    const max = (v?: string) => {
      const store = loadConfig('serve', {}, { AUTH_PROVIDER: 'none', MCPD_RECORD_MAX_BACKLOG: v }).store;
      return store.kind === 'sqlite' ? store.writerMaxBacklog : undefined;
    };
    expect(max()).toBe(100_000);
    expect(max('5000')).toBe(5000);
    expect(configError(() => max('10')).message).toMatch(/^MCPD_RECORD_MAX_BACKLOG/);
  });

  it('refuses out-of-range tunables', () => {
    expect(configError(() => loadConfig('serve', {}, { MCPD_BODY_LIMIT: '10' })).message).toMatch(
      /MCPD_BODY_LIMIT/,
    );
    expect(configError(() => loadConfig('serve', {}, { MCPD_KEEPALIVE_MS: '1' })).message).toMatch(
      /MCPD_KEEPALIVE_MS/,
    );
    expect(configError(() => loadConfig('serve', {}, { MCPD_STATELESS: 'yes' })).message).toMatch(
      /MCPD_STATELESS/,
    );
  });
});

describe('the mcpd CLI', () => {
  beforeAll(() => {
    if (!existsSync(CLI)) {
      throw new Error(`${CLI} is missing: run \`npm run build\` before these tests`);
    }
  });

  /** Runs the built CLI with a clean environment; these invocations all fail before listening. */
  function run(args: string[], env: Record<string, string> = {}) {
    const clean: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (
        v !== undefined &&
        !['HOST', 'PORT', 'AUTH_PROVIDER', 'MCP_TRANSPORT', 'MCP_CONFIG_FILE'].includes(k)
      ) {
        clean[k] = v;
      }
    }
    return spawnSync(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { ...clean, ...env },
      encoding: 'utf8',
      timeout: 20_000,
    });
  }

  function expectCleanFailure(r: ReturnType<typeof run>, message: RegExp): void {
    expect(r.error).toBeUndefined();
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^mcpd: /);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }

  it('`serve --host 0.0.0.0` exits with status 2 and names AUTH_PROVIDER', () => {
    expectCleanFailure(
      run(['serve', '--host', '0.0.0.0'], { AUTH_PROVIDER: 'none' }),
      /Refusing to listen on 0\.0\.0\.0 with AUTH_PROVIDER=none/,
    );
  });

  it('AUTH_PROVIDER=local without JWT_SECRET_KEY exits with status 2', () => {
    expectCleanFailure(
      run(['serve'], {
        AUTH_PROVIDER: 'local',
        ADMIN_USERNAME: 'root',
        ADMIN_PASSWORD: 'correct horse battery',
      }),
      /JWT_SECRET_KEY/,
    );
  });

  it('a port out of range exits with status 2', () => {
    expectCleanFailure(run(['serve', '--port', '70000']), /port must be an integer between 0 and 65535/);
  });

  it('an unknown command or option exits with status 2', () => {
    expectCleanFailure(run(['frobnicate']), /Unknown command: frobnicate/);
    expectCleanFailure(run(['serve', '--bogus']), /bogus/);
  });

  it('--version and --help exit 0', () => {
    const v = run(['--version']);
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/^mcpd \d+\.\d+\.\d+/);
    const h = run(['--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/Usage:/);
  });
});
