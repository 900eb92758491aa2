/**
 * Starts a real daemon (the same composition `mcpd serve` runs) on a free loopback port for a test file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/config.js';
import { createDaemon, type Daemon } from '../../src/daemon.js';
import { silentLogger } from '../../src/observability/logger.js';

export const DEMO_CONFIG = fileURLToPath(new URL('../../examples/demo/mcp.json', import.meta.url));
export const CONFORMANCE_CONFIG = fileURLToPath(
  new URL('../../examples/conformance/mcp.json', import.meta.url),
);

export interface RunningDaemon {
  daemon: Daemon;
  /** Base URL, e.g. http://127.0.0.1:43121 */
  url: string;
  /** The daemon's data dir (SQLite file, blobs, extracted bundles, sandboxes). */
  dataDir: string;
  close(): Promise<void>;
}

export async function startDaemon(
  env: Record<string, string> = {},
  configFile: string | null = DEMO_CONFIG,
): Promise<RunningDaemon> {
  // Each daemon gets a data dir of its own (SQLite file, blobs, extracted bundles), removed on close.
  const dataDir = env['MCPD_DATA_DIR'] ? undefined : mkdtempSync(join(tmpdir(), 'mcpd-test-'));
  const config = loadConfig(
    'serve',
    { port: '0', ...(configFile ? { config: configFile } : {}) },
    // Open (no auth) unless the test configures auth: the HTTP tests are about the protocol.
    { AUTH_PROVIDER: 'none', ...(dataDir ? { MCPD_DATA_DIR: dataDir } : {}), ...env },
  );
  const daemon = await createDaemon(config, silentLogger);
  const url = await daemon.listen();
  return {
    daemon,
    url,
    dataDir: config.dataDir,
    close: async () => {
      await daemon.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const STREAMABLE_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
} as const;

/** Sends initialize over Streamable HTTP and returns the session id. */
export async function initSession(url: string, version = '2025-11-25'): Promise<string> {
  const res = await fetch(`${url}/default/mcp`, {
    method: 'POST',
    headers: STREAMABLE_HEADERS,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'test', version: '1' } },
    }),
  });
  const id = res.headers.get('mcp-session-id');
  if (!id) throw new Error(`initialize failed: ${res.status} ${await res.text()}`);
  await res.text();
  return id;
}
