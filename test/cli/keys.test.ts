/** `mcpd key create|revoke`: keys written to the store work against a daemon on it, and stop working once revoked. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBundleDeploy } from '../../src/cli/bundle.js';
import { runKey } from '../../src/cli/keys.js';
import { loadConfig } from '../../src/config/config.js';
import { bundleDir, greeter } from '../e2e/support.js';
import { startDaemon } from '../helpers/daemon.js';

const dataDir = mkdtempSync(join(tmpdir(), 'mcpd-keys-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('mcpd key', () => {
  it('creates a key that calls the endpoint, and revokes it', async () => {
    const config = loadConfig('serve', { 'data-dir': dataDir }, { AUTH_PROVIDER: 'none' });
    await runBundleDeploy(
      config,
      { dir: await bundleDir(greeter('Keyed')), endpoint: 'keyed' },
      () => undefined,
    );
    const lines: string[] = [];
    expect(
      await runKey(config, 'create', undefined, { endpoint: 'keyed', role: 'caller', label: 'ci' }, (l) =>
        lines.push(l),
      ),
    ).toBe(0);
    const key = lines[1] ?? '';
    expect(key).toMatch(/^mcpd_[0-9a-f]{16}_/);
    const id = /^key ([0-9a-f]{16})/.exec(lines[0] ?? '')?.[1] ?? '';
    // A daemon that requires tokens (nothing configured: a generated admin token, and API keys).
    const d = await startDaemon({ MCPD_DATA_DIR: dataDir, AUTH_PROVIDER: '' }, null);
    try {
      const call = (token: string) =>
        fetch(`${d.url}/keyed/mcp`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            method: 'tools/call',
            params: { name: 'greet', arguments: { name: 'Kim' } },
          }),
        });
      const ok = await call(key);
      expect(ok.status).toBe(200);
      expect(JSON.stringify(await ok.json())).toContain('Keyed, Kim!');
      expect(await runKey(config, 'revoke', id, {}, () => undefined)).toBe(0);
      expect((await call(key)).status).toBe(401);
      expect(await runKey(config, 'revoke', '0000000000000000', {}, () => undefined)).toBe(1);
    } finally {
      await d.close();
    }
  });

  it('explains what it needs', async () => {
    const config = loadConfig('serve', { 'data-dir': dataDir }, { AUTH_PROVIDER: 'none' });
    await expect(runKey(config, 'create', undefined, { role: 'caller' }, () => undefined)).rejects.toThrow(
      /--endpoint/,
    );
    await expect(
      runKey(config, 'create', undefined, { endpoint: 'x', role: 'root' }, () => undefined),
    ).rejects.toThrow(/--role/);
    await expect(runKey(config, 'list', undefined, {}, () => undefined)).rejects.toThrow(/Usage: mcpd key/);
  });
});
