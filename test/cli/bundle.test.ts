/**
 * `mcpd init` and `mcpd bundle deploy`: straight into the configured store and blob store, or through a running
 * daemon's management API; a daemon started afterwards on the same storage serves the deployed tools.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runBundleDeploy } from '../../src/cli/bundle.js';
import { runInit } from '../../src/cli/init.js';
import { loadConfig } from '../../src/config/config.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { eventually } from '../../src/bus/contract.js';
import { bundleDir, greeter } from '../e2e/support.js';
import { startDaemon } from '../helpers/daemon.js';
import { redisUnavailable, startRedis } from '../helpers/redis.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const DEMO = fileURLToPath(new URL('../../examples/demo', import.meta.url));
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'mcpd-cli-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const call = async (url: string, endpoint: string, name: string, args: Record<string, unknown>) => {
  const res = await fetch(`${url}/${endpoint}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
  });
  return (await res.json()) as { result?: { content: { text: string }[] }; error?: { message: string } };
};

describe('mcpd init', () => {
  it('creates the SQLite store and the blob folder', async () => {
    const dataDir = tmp();
    const lines: string[] = [];
    const code = await runInit(loadConfig('serve', { 'data-dir': dataDir }, {}), (l) => lines.push(l));
    expect(code).toBe(0);
    expect(existsSync(join(dataDir, 'mcpd.db'))).toBe(true);
    expect(lines.join('\n')).toMatch(/store ready: sqlite[^]*blobs ready: folder/);
  });
});

const noRedis = redisUnavailable();

describe.skipIf(noRedis)(
  `mcpd bundle deploy with a Redis bus${noRedis ? ` (skipped: ${noRedis})` : ''}`,
  () => {
    it('tells the running daemons that share the storage; without Redis it deploys and says they were not told', async () => {
      const redis = await startRedis();
      const dataDir = tmp();
      const env = { MCPD_REDIS_URL: redis.url, MCPD_REDIS_PREFIX: `mcpd-cli-${process.pid}:` };
      const config = loadConfig('serve', { 'data-dir': dataDir }, env);
      const deploy = async (greeting: string, farewell = false) => {
        const lines: string[] = [];
        const dir = await bundleDir(greeter(greeting, farewell));
        await runBundleDeploy(config, { dir, endpoint: 'live' }, (l) => lines.push(l));
        return lines;
      };
      await deploy('Hello');
      const d = await startDaemon({ MCPD_DATA_DIR: dataDir, ...env }, null);
      const client = new Client({ name: 'cli-bus', version: '1' });
      let changes = 0;
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        changes++;
      });
      try {
        await client.connect(new StreamableHTTPClientTransport(new URL(`${d.url}/live/mcp`)));
        expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['greet']);
        expect(await deploy('Hi', true)).toContain('running daemons were told over Redis');
        await eventually(() => changes === 1, 'list_changed at the running daemon');
        const reply = await client.callTool({ name: 'greet', arguments: { name: 'Ada' } });
        expect((reply.content as { text: string }[])[0]?.text).toBe('Hi, Ada!');
        await redis.stop();
        expect(await deploy('Bye')).toContain(
          'Redis could not be reached: running daemons serve the new version once they reload the endpoint',
        );
      } finally {
        await client.close();
        await d.close();
        await redis.close();
      }
    }, 30_000);
  },
);

describe('mcpd bundle deploy', () => {
  it('deploys the demo folder into the store; a daemon on the same data dir serves it', async () => {
    const dataDir = tmp();
    const lines: string[] = [];
    const config = loadConfig('serve', { 'data-dir': dataDir }, {});
    await runBundleDeploy(config, { dir: DEMO, endpoint: 'demo' }, (l) => lines.push(l));
    expect(lines[0]).toMatch(/^deployed mcpd-demo [0-9a-f]{16} \(sha256 [0-9a-f]{64}\) to demo$/);
    expect(lines[1]).toContain('echo');
    const d = await startDaemon({ MCPD_DATA_DIR: dataDir }, null);
    try {
      const reply = await call(d.url, 'demo', 'echo', { text: 'from the store' });
      expect(reply.result?.content[0]?.text).toBe('from the store');
      // The demo module lives in the bundle's ./bundle folder; its resource template is served too.
      const greeting = await fetch(`${d.url}/demo/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 2,
          method: 'resources/read',
          params: { uri: 'demo://greeting/Ada' },
        }),
      }).then((r) => r.json() as Promise<{ result?: unknown }>);
      expect(JSON.stringify(greeting.result)).toContain('Hello, Ada!');
    } finally {
      await d.close();
    }
  });

  it('deploys through a running daemon with --url, under a Part-ID partition', async () => {
    const d = await startDaemon({}, null);
    try {
      const lines: string[] = [];
      const dir = await bundleDir(greeter('Hej'));
      const config = loadConfig('serve', { 'data-dir': tmp() }, {});
      await runBundleDeploy(config, { dir, endpoint: 'viaapi', url: `${d.url}/`, updatedBy: 'ci' }, (l) =>
        lines.push(l),
      );
      expect(lines[0]).toMatch(/^deployed greeter_pkg /);
      expect((await call(d.url, 'viaapi', 'greet', { name: 'Sam' })).result?.content[0]?.text).toBe(
        'Hej, Sam!',
      );
      await runBundleDeploy(config, { dir, endpoint: 'viaapi', part: 'p2', url: d.url }, () => undefined);
      const rows = await d.daemon.store.functions.list('viaapi#p2', { limit: 10 });
      expect(rows.items.map((f) => f.name)).toEqual(['greet']);
    } finally {
      await d.close();
    }
  });

  it('refuses a bundle whose module is missing, and reports API errors', async () => {
    const files = greeter('x');
    delete files['greeter.js'];
    const dir = await bundleDir(files);
    const config = loadConfig('serve', { 'data-dir': tmp() }, {});
    await expect(runBundleDeploy(config, { dir, endpoint: 'bad' }, () => undefined)).rejects.toMatchObject({
      code: 'MCPD_BUNDLE_INVALID',
    });
    const d = await startDaemon({}, null);
    try {
      await expect(
        runBundleDeploy(config, { dir, endpoint: 'bad', url: d.url }, () => undefined),
      ).rejects.toThrow(/Deploy failed \(HTTP 200\): Module greeter not found/);
    } finally {
      await d.close();
    }
    await expect(runBundleDeploy(config, { dir, endpoint: 'no/slash' }, () => undefined)).rejects.toThrow(
      /--endpoint must match/,
    );
    await expect(
      runBundleDeploy(config, { dir, endpoint: 'ok', part: 'x y' }, () => undefined),
    ).rejects.toThrow(/--part must match/);
  });

  it('the command line explains its usage and names bundle errors without a stack', () => {
    const usage = spawnSync(process.execPath, [CLI, 'bundle', 'deploy', DEMO], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/Usage: mcpd bundle deploy DIR --endpoint ID/);
    const files = join(tmp(), 'empty');
    const bad = spawnSync(process.execPath, [CLI, 'bundle', 'deploy', DEMO + '/bundle', '--endpoint', 'x'], {
      encoding: 'utf8',
      env: { ...process.env, MCPD_DATA_DIR: files },
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(
      /^mcpd: The bundle has no mcp.json and no manifest was given \(MCPD_BUNDLE_INVALID\)/,
    );
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});
