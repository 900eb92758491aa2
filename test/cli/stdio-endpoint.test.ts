/**
 * `mcpd stdio --endpoint ID`: an endpoint deployed to the store, served on stdin/stdout of the built CLI to the
 * official SDK client, with its calls recorded in the same store; stdio takes no tokens, and an endpoint that is not
 * in the store is a clear start-up error.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, describe, expect, it } from 'vitest';
import { runBundleDeploy } from '../../src/cli/bundle.js';
import { loadConfig } from '../../src/config/config.js';
import { openStore } from '../../src/store/open.js';
import { bundleDir, greeter } from '../e2e/support.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'mcpd-stdio-ep-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const config = () => loadConfig('serve', { 'data-dir': dataDir }, { AUTH_PROVIDER: 'none' });
const env = { ...process.env, MCPD_DATA_DIR: dataDir, LOG_LEVEL: 'warn' } as Record<string, string>;

describe('mcpd stdio --endpoint', () => {
  it('serves a store endpoint (and a Part-ID partition) to the SDK client and records its calls', async () => {
    await runBundleDeploy(
      config(),
      { dir: await bundleDir(greeter('Piped')), endpoint: 'piped' },
      () => undefined,
    );
    await runBundleDeploy(
      config(),
      { dir: await bundleDir(greeter('Parted')), endpoint: 'piped', part: 'p2' },
      () => undefined,
    );
    for (const [args, expected] of [
      [['--endpoint', 'piped'], 'Piped, Ann!'],
      [['--endpoint', 'piped', '--part', 'p2'], 'Parted, Ann!'],
    ] as const) {
      const client = new Client({ name: 'stdio-endpoint', version: '1' });
      await client.connect(
        new StdioClientTransport({ command: process.execPath, args: [CLI, 'stdio', ...args], env }),
      );
      try {
        expect((await client.listTools()).tools.map((t) => t.name)).toContain('greet');
        const result = await client.callTool({ name: 'greet', arguments: { name: 'Ann' } });
        expect(result.content).toEqual([{ type: 'text', text: expected }]);
      } finally {
        await client.close();
      }
    }
    const store = await openStore(config().store, false);
    try {
      const calls = (await store.calls.list('piped', { limit: 10 })).items;
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ name: 'greet', status: 'completed', isolation: 'worker' });
      expect((await store.calls.list('piped#p2', { limit: 10 })).items).toHaveLength(1);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('refuses an endpoint that is not in the store, or a malformed one, with exit status 2', () => {
    const missing = spawnSync(process.execPath, [CLI, 'stdio', '--endpoint', 'nowhere'], {
      env,
      input: '',
      encoding: 'utf8',
    });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('No endpoint nowhere in the store');
    const bad = spawnSync(process.execPath, [CLI, 'stdio', '--endpoint', 'a/b'], {
      env,
      input: '',
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--endpoint must match');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});
