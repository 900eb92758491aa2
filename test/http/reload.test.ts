/**
 * Re-reading the config file (what SIGHUP does in `mcpd serve`): connected clients get list_changed for exactly
 * the lists that changed, on their GET stream, and the new registry serves at once. A broken file keeps the old one.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDaemon } from '../helpers/daemon.js';
import {
  DEMO_CONFIG,
  getStream,
  initSession,
  message,
  postMcp,
  rpc,
  rpcResult,
  startDaemon,
} from './support.js';

let d: RunningDaemon;
let configPath: string;
let dir: string;
let original: Record<string, unknown>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpd-reload-'));
  configPath = join(dir, 'mcp.json');
  original = JSON.parse(await readFile(DEMO_CONFIG, 'utf8')) as Record<string, unknown>;
  // Keep the demo's bundle reachable from the copied config.
  const modules = (original['modules'] as Array<Record<string, unknown>>).map((m) => ({
    ...m,
    source: join(DEMO_CONFIG, '..', 'bundle'),
  }));
  original = { ...original, modules };
  await writeFile(configPath, JSON.stringify(original));
  d = await startDaemon({}, configPath);
});
afterAll(async () => {
  await d.close();
  await rm(dir, { recursive: true, force: true });
});

describe('config reload', () => {
  it('sends tools/list_changed (only) to connected sessions and serves the new list', async () => {
    const sid = await initSession(d.url);
    const stream = await getStream(d.url, sid);
    expect((await stream.nextEvent())?.data).toBe('');
    const tools = (original['tools'] as Array<Record<string, unknown>>).filter((t) => t['name'] !== 'add');
    await writeFile(configPath, JSON.stringify({ ...original, tools }));
    await d.daemon.reload();
    expect(message(await stream.nextEvent())).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/tools/list_changed',
    });
    const list = rpcResult((await postMcp(d.url, sid, rpc(1, 'tools/list'))).json);
    expect((list['tools'] as Array<{ name: string }>).map((t) => t.name)).toEqual(['echo', 'countdown']);
    stream.close();
  });

  it('keeps serving the previous registry when the new file is broken', async () => {
    const sid = await initSession(d.url);
    await writeFile(configPath, '{ not json');
    await expect(d.daemon.reload()).rejects.toThrow(/not valid JSON/);
    const res = await postMcp(
      d.url,
      sid,
      rpc(2, 'tools/call', { name: 'echo', arguments: { text: 'still here' } }),
    );
    expect(JSON.stringify(rpcResult(res.json))).toContain('still here');
  });
});
