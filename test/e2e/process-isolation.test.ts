/**
 * The `process` isolation level: each endpoint's code runs in child processes under Node's permission model. A
 * bundle can read its own files and write its own temp folder, and nothing else: not another endpoint's bundle, not
 * the daemon's database (settings, call history, keys), not the data dir; it cannot start processes or threads and
 * sees none of the daemon's environment. The hostile bundle's failures are contained as at the `worker` level, while
 * another endpoint keeps answering, and every call is recorded with `isolation: process`.
 */
import { spawn } from 'node:child_process';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBundleDeploy } from '../../src/cli/bundle.js';
import { loadConfig } from '../../src/config/config.js';
import { noNetworkUnavailable } from '../../src/execution/worker/runner.js';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { bundleDir, DEPLOY, greeter, samplingClient, zipOf } from './support.js';

const fixture = (bundle: string, file: string) =>
  readFileSync(fileURLToPath(new URL(`../fixtures/bundles/${bundle}/${file}`, import.meta.url)), 'utf8');

/** The hostile fixture as a store bundle (its manifest without the config file's `isolation: worker`). */
function hostileBundle(): Record<string, string | object> {
  const manifest = JSON.parse(fixture('hostile', 'mcp.json')) as { modules: Record<string, unknown>[] };
  for (const m of manifest.modules) delete m['isolation'];
  return {
    'mcp.json': manifest,
    'hostile.js': fixture('hostile', 'hostile.js'),
    'package.json': fixture('hostile', 'package.json'),
  };
}

function pryingBundle(): Record<string, string | object> {
  const names = ['read', 'list', 'write', 'writeTemp', 'readSelf', 'spawn', 'env', 'thread', 'connect'];
  return {
    'mcp.json': {
      tools: names.map((name) => ({
        name,
        inputSchema: { type: 'object', properties: { path: { type: 'string' }, port: { type: 'integer' } } },
      })),
      module_links: names.map((name) => ({ type: 'tool', name, module_name: 'prying', function_name: name })),
      modules: [{ package_name: 'prying', module_name: 'prying' }],
    },
    'prying.js': fixture('prying', 'prying.js'),
    'package.json': { name: 'prying', type: 'module' },
  };
}

// Under CI the test runs whatever this says, so a machine that cannot honour the setting fails it.
const noNetwork = process.env['CI'] ? undefined : noNetworkUnavailable();

type CallReply = { result?: { content: { text: string }[]; isError?: boolean }; error?: { code: number } };
let d: RunningDaemon;
const ADMIN = { 'content-type': 'application/json', authorization: `Bearer ${'a'.repeat(40)}` };
/** A tools/call on daemon `d`, or on the daemon at `base`. */
const callOn = (base: string, endpoint: string, name: string, args: Record<string, unknown> = {}) =>
  fetch(`${base}/${endpoint}/mcp`, {
    method: 'POST',
    headers: ADMIN,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
  }).then((r) => r.json() as Promise<CallReply>);
const call = (endpoint: string, name: string, args: Record<string, unknown> = {}) =>
  callOn(d.url, endpoint, name, args);
async function deploy(base: string, endpoint: string, files: Record<string, string | object>): Promise<void> {
  const r = await fetch(`${base}/${endpoint}/mcp_core_graphql`, {
    method: 'POST',
    headers: ADMIN,
    body: JSON.stringify({ query: DEPLOY, variables: { zip: await zipOf(files) } }),
  });
  expect(((await r.json()) as { errors?: unknown }).errors).toBeUndefined();
}
const text = (r: CallReply) => r.result?.content[0]?.text ?? '';

beforeAll(async () => {
  d = await startDaemon(
    {
      MCPD_ISOLATION: 'process',
      MCPD_WORKER_MEMORY_MB: '64',
      MCPD_ABORT_GRACE_MS: '300',
      MCPD_RECORD_DURABLE_ANSWERS: 'true',
      AUTH_PROVIDER: '',
      ADMIN_STATIC_TOKEN: 'a'.repeat(40),
      JWT_SECRET_KEY: 'this-secret-must-not-reach-tenant-code-0123',
    },
    null,
  );
  await deploy(d.url, 'rough', hostileBundle());
  await deploy(d.url, 'pry', pryingBundle());
  await deploy(d.url, 'victim', greeter('Still here'));
}, 60_000);
afterAll(async () => d?.close());

describe('process isolation: confinement', () => {
  it('lets a bundle read its own code and write its own temp folder', async () => {
    expect(text(await call('pry', 'readSelf'))).toMatch(/^ok: \/\/ Tool code that tries/);
    expect(text(await call('pry', 'writeTemp'))).toBe('ok: mine');
  });

  it("denies another endpoint's bundle, the daemon's database and data dir, and files outside", async () => {
    const dir = d.dataDir;
    const victimRoot = join(dir, 'bundles', 'victim');
    const victimFile = readdirSync(victimRoot, { recursive: true, encoding: 'utf8' }).find((f) =>
      f.endsWith('greeter.js'),
    );
    expect(victimFile).toBeDefined();
    const victim = join(victimRoot, victimFile ?? '');
    expect(readFileSync(victim, 'utf8')).toContain('Still here'); // it is there to be read…
    for (const path of [victim, join(dir, 'mcpd.db'), join(dir, 'admin-token'), '/etc/passwd']) {
      expect(text(await call('pry', 'read', { path })), path).toBe('denied: ERR_ACCESS_DENIED');
    }
    expect(text(await call('pry', 'list', { path: join(dir, 'bundles') }))).toBe('denied: ERR_ACCESS_DENIED');
    for (const path of [join(dir, 'pwned.txt'), join(victimRoot, 'pwned.txt'), '/tmp/mcpd-pwned.txt']) {
      expect(text(await call('pry', 'write', { path })), path).toBe('denied: ERR_ACCESS_DENIED');
      expect(existsSync(path)).toBe(false);
    }
  });

  it('cannot start processes or threads, and sees none of the daemon environment', async () => {
    expect(text(await call('pry', 'spawn'))).toBe('denied: ERR_ACCESS_DENIED');
    expect(text(await call('pry', 'thread'))).toBe('denied: ERR_ACCESS_DENIED');
    const env = JSON.parse(text(await call('pry', 'env'))) as Record<string, string>;
    expect(Object.keys(env).sort()).toEqual(['HOME', 'TMPDIR']);
    expect(JSON.stringify(env)).not.toContain('this-secret-must-not-reach');
  });
});

describe('process isolation: the network', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("is the daemon's by default (tools may call APIs)", async () => {
    expect(text(await call('pry', 'connect', { port }))).toBe('ok: connected');
  });

  it.skipIf(noNetwork)(
    `is none at all with MCPD_PROCESS_NETWORK=none, while the runner still answers${noNetwork ? ` (skipped: ${noNetwork})` : ''}`,
    async () => {
      const closed = await startDaemon(
        { MCPD_ISOLATION: 'process', MCPD_PROCESS_NETWORK: 'none', AUTH_PROVIDER: 'none' },
        null,
      );
      try {
        await deploy(closed.url, 'pry', pryingBundle());
        const reply = await callOn(closed.url, 'pry', 'connect', { port });
        // No interface is up in the runner's namespace: not even the daemon's own loopback is reachable.
        expect(text(reply)).toMatch(/^denied: (ENETUNREACH|ECONNREFUSED)$/);
        expect(text(await call('pry', 'connect', { port }))).toBe('ok: connected');
      } finally {
        await closed.close();
      }
    },
    30_000,
  );
});

describe('process isolation: hostile code is contained', () => {
  it.each([
    ['boom', /^kaboom$/],
    ['loop', /took longer than 500 ms/],
    ['hog', /ran out of memory/],
    ['exit', /worker exited \(code 3\)/],
    ['huge', /result is too large/],
    ['asyncCrash', /crashed its worker|worker exited/],
    ['unclonable', /^The result cannot be sent back to the daemon/],
  ])('%s fails that call only, and the endpoint and its neighbours keep serving', async (name, message) => {
    const during = call('victim', 'greet', { name: 'Bo' });
    const reply = await call('rough', name);
    expect(reply.result?.isError).toBe(true);
    expect(text(reply)).toMatch(message);
    expect(text(reply)).not.toMatch(/\/tmp\/|\/work\/|node_modules|\n\s+at /);
    expect(text(await during)).toBe('Still here, Bo!');
    expect(text(await call('rough', 'ok', { text: 'again' }))).toBe('ok again from rough (set)');
  });

  it('terminates a process whose call ignores its timeout, and replaces it', async () => {
    expect(text(await call('rough', 'stubborn'))).toMatch(/took longer than 600 ms/);
    expect(text(await call('rough', 'ok', { text: 'after' }))).toBe('ok after from rough (set)');
  });

  it('records every call with isolation "process" and nothing left in_process', async () => {
    const calls = (await d.daemon.store.calls.list('rough', { limit: 500 })).items;
    expect(calls.length).toBeGreaterThanOrEqual(16);
    expect(calls.every((c) => c.isolation === 'process')).toBe(true);
    expect(calls.find((c) => c.name === 'hog')).toMatchObject({ status: 'failed' });
    expect(calls.filter((c) => c.status === 'in_process')).toEqual([]);
  });
});

describe('process isolation: the tool context across the process boundary', () => {
  it('carries logs, progress and sampling (handshake era) and elicitation as input_required (2026-07-28)', async () => {
    const { client, logs } = samplingClient('process-ctx');
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${d.url}/rough/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${'a'.repeat(40)}` } },
      }),
    );
    await client.setLoggingLevel('info');
    const progress: number[] = [];
    const result = await client.callTool({ name: 'chatty', arguments: {} }, undefined, {
      onprogress: (p) => void progress.push(p.progress),
    });
    expect((result.content as { text: string }[])[0]?.text).toBe('model said: pong');
    expect(logs).toContain('hello from a worker');
    expect(progress).toEqual([1]);
    await client.close();

    const modern = (extra: Record<string, unknown>) =>
      fetch(`${d.url}/rough/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${'a'.repeat(40)}`,
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/call',
          'mcp-name': 'ask',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 2,
          method: 'tools/call',
          params: {
            name: 'ask',
            arguments: {},
            ...extra,
            _meta: {
              'io.modelcontextprotocol/protocolVersion': '2026-07-28',
              'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
              'io.modelcontextprotocol/clientCapabilities': { elicitation: {} },
            },
          },
        }),
      }).then(async (r) => (await r.json()) as { result: Record<string, unknown> });
    const first = (await modern({})).result;
    expect(first['resultType']).toBe('input_required');
    const key = Object.keys(first['inputRequests'] as object)[0] ?? '';
    const second = (
      await modern({
        inputResponses: { [key]: { action: 'accept', content: { name: 'Ada' } } },
        requestState: first['requestState'],
      })
    ).result;
    expect(second).toMatchObject({ resultType: 'complete', content: [{ text: 'hello Ada' }] });
  });
});

describe('process isolation: a daemon killed with SIGKILL', () => {
  const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
  /** Pids of runner processes whose sandbox is under `dir`. */
  const runnersUnder = (dir: string): number[] =>
    readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`--allow-fs-write=${dir}`);
        } catch {
          return false;
        }
      })
      .map(Number);

  it.skipIf(process.platform !== 'linux')(
    'takes its runners with it, even one spinning in an endless loop (Linux: setpriv --pdeathsig)',
    async () => {
      const dir = realpathSync(mkdtempSync(join(tmpdir(), 'mcpd-orphans-')));
      try {
        const files = hostileBundle();
        const manifest = files['mcp.json'] as { module_links: Record<string, unknown>[] };
        for (const l of manifest.module_links) delete l['timeout_ms']; // only the daemon's death ends `loop`
        const config = loadConfig('serve', { 'data-dir': dir }, { AUTH_PROVIDER: 'none' });
        await runBundleDeploy(config, { dir: await bundleDir(files), endpoint: 'spin' }, () => undefined);
        const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', dir], {
          env: { ...process.env, AUTH_PROVIDER: 'none', MCPD_ISOLATION: 'process', LOG_LEVEL: 'info' },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        const url = await new Promise<string>((resolve, reject) => {
          let out = '';
          child.stderr?.setEncoding('utf8').on('data', (c: string) => {
            out += c;
            const m = /"url":"(http:[^"]+)"/.exec(out);
            if (m?.[1]) resolve(m[1]);
          });
          child.once('exit', (code) => reject(new Error(`mcpd exited (${code}): ${out}`)));
        });
        void fetch(`${url}/spin/mcp`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            method: 'tools/call',
            params: { name: 'loop', arguments: {} },
          }),
        }).catch(() => undefined);
        let runners: number[] = [];
        for (let i = 0; i < 200 && runners.length === 0; i++) {
          await new Promise((r) => setTimeout(r, 25));
          runners = runnersUnder(dir);
        }
        expect(runners.length).toBeGreaterThan(0);
        await new Promise((r) => setTimeout(r, 200)); // the call is spinning now
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
        for (let i = 0; i < 100 && runnersUnder(dir).length > 0; i++)
          await new Promise((r) => setTimeout(r, 20));
        expect(runnersUnder(dir)).toEqual([]);
      } finally {
        for (const pid of runnersUnder(dir)) process.kill(pid, 'SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      }
    },
    30_000,
  );
});
