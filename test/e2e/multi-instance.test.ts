/**
 * Several instances sharing one store and blob store (on both storage stacks), told of each other's changes over a
 * real Redis: a deploy through one instance reaches the clients of another (list_changed, the new tool, the new
 * code), a deletion too, an endpoint an instance does not serve stays unloaded there, and the config file's
 * `default` endpoint is each instance's own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../src/bus/contract.js';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { type RunningRedis, redisUnavailable, startRedis } from '../helpers/redis.js';
import { DEPLOY, graphql, greeter, STACKS, zipOf } from './support.js';

const textOf = (r: unknown) => ((r as { content: { text?: string }[] }).content[0]?.text ?? '') as string;
const unavailable = redisUnavailable();

describe.skipIf(unavailable).each(STACKS)(
  `instances sharing $name, with a Redis bus${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  (stack) => {
    let redis: RunningRedis;
    let closeStack: () => Promise<void>;
    let a: RunningDaemon;
    let b: RunningDaemon;
    const dirs: string[] = [];
    const clients: Client[] = [];

    beforeAll(async () => {
      const [s, r] = await Promise.all([stack.start(), startRedis()]);
      closeStack = s.close;
      redis = r;
      const shared = mkdtempSync(join(tmpdir(), 'mcpd-multi-'));
      dirs.push(shared);
      // Each instance has its own data dir (instance id, bundle cache); they share the store and blobs.
      const env = {
        ...s.env,
        MCPD_SQLITE_FILE: join(shared, 'mcpd.db'),
        MCPD_BLOB_DIR: join(shared, 'blobs'),
        MCPD_REDIS_URL: redis.url,
        MCPD_REDIS_PREFIX: `mcpd-e2e-${process.pid}-${Date.now()}:`,
      };
      [a, b] = await Promise.all([startDaemon(env, null), startDaemon(env, null)]);
    });
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await Promise.all([a?.close(), b?.close()]);
      await Promise.all([closeStack?.(), redis?.close()]);
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    const deploy = async (d: RunningDaemon, endpoint: string, files: Record<string, string | object>) => {
      const reply = await graphql(d.url, endpoint, DEPLOY, { zip: await zipOf(files) });
      expect(reply.errors).toBeUndefined();
    };

    const connect = async (d: RunningDaemon, endpoint: string) => {
      const client = new Client({ name: 'e2e-multi', version: '1.0.0' });
      const heard = { toolChanges: 0 };
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        heard.toolChanges++;
      });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${d.url}/${endpoint}/mcp`)));
      clients.push(client);
      return { client, heard };
    };

    it('a deploy through one instance reaches the clients of the other: list_changed, new tools, new code', async () => {
      await deploy(a, 'team', greeter('Hello'));
      const { client, heard } = await connect(b, 'team');
      expect(textOf(await client.callTool({ name: 'greet', arguments: { name: 'Ada' } }))).toBe(
        'Hello, Ada!',
      );

      await deploy(a, 'team', greeter('Hi', true));
      await eventually(() => heard.toolChanges === 1, 'list_changed on the other instance');
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['farewell', 'greet']);
      expect(textOf(await client.callTool({ name: 'greet', arguments: { name: 'Ada' } }))).toBe('Hi, Ada!');
      expect(textOf(await client.callTool({ name: 'farewell', arguments: {} }))).toBe('Goodbye');
    });

    it('a function deleted through one instance is gone from the other', async () => {
      await deploy(a, 'team2', greeter('Hey', true));
      const { client, heard } = await connect(b, 'team2');
      expect((await client.listTools()).tools).toHaveLength(2);
      const reply = await graphql(a.url, 'team2', 'mutation { deleteMcpFunction(name: "farewell") { ok } }');
      expect(reply.data).toEqual({ deleteMcpFunction: { ok: true } });
      await eventually(() => heard.toolChanges === 1, 'list_changed on the other instance');
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['greet']);
    });

    it('an instance that does not serve an endpoint leaves it unloaded, and reads it fresh when asked', async () => {
      await deploy(a, 'elsewhere', greeter('One'));
      await deploy(a, 'elsewhere', greeter('Two'));
      // A change to an endpoint B has loaded, sent after the ones above: once B has it, it had theirs.
      await deploy(a, 'team', greeter('Hi', true));
      await new Promise((r) => setTimeout(r, 200));
      expect(b.daemon.registry.get('elsewhere')).toBeUndefined();
      const { client } = await connect(b, 'elsewhere');
      expect(textOf(await client.callTool({ name: 'greet', arguments: { name: 'Bo' } }))).toBe('Two, Bo!');
    });

    it('an instance applies what it hears without repeating it, and never hears its own', async () => {
      const [aSent, aHeard, bHeard] = [
        a.daemon.bus.stats.published,
        a.daemon.bus.stats.received,
        b.daemon.bus.stats.received,
      ];
      await deploy(b, 'team', greeter('Howdy', true));
      await eventually(() => a.daemon.bus.stats.received === aHeard + 1, 'the change at the first instance');
      await new Promise((r) => setTimeout(r, 200));
      expect(a.daemon.bus.stats.published).toBe(aSent);
      expect(b.daemon.bus.stats.received).toBe(bHeard);
      expect(a.daemon.bus.kind).toBe('redis');
      expect(a.daemon.bus.connected).toBe(true);
    });

    it('after a Redis outage, an instance catches up with the changes made during it', async () => {
      await deploy(a, 'team4', greeter('Before'));
      const { client, heard } = await connect(b, 'team4');
      await redis.stop();
      await eventually(() => !a.daemon.bus.connected && !b.daemon.bus.connected, 'both to notice', 10_000);
      expect(await (await fetch(`${b.url}/health`)).json()).toMatchObject({
        bus: { kind: 'redis', connected: false },
      });
      // Changes still work while the bus is down; they are only late elsewhere.
      await deploy(a, 'team4', greeter('During', true));
      await redis.start();
      await eventually(() => heard.toolChanges === 1, 'list_changed after the outage', 20_000);
      expect(textOf(await client.callTool({ name: 'greet', arguments: { name: 'Di' } }))).toBe('During, Di!');
      await eventually(() => b.daemon.bus.stats.resyncs === 1, 'the resync', 10_000);
      expect(await (await fetch(`${b.url}/health`)).json()).toMatchObject({
        bus: { kind: 'redis', connected: true },
      });
      const metrics = await (await fetch(`${b.url}/metrics`)).text();
      expect(metrics).toMatch(/^mcpd_bus_resyncs_total 1$/m);
      expect(metrics).toMatch(/^mcpd_bus_connected 1$/m);
      expect(metrics).toMatch(/^mcpd_bus_messages_total\{direction="received"\} [1-9]/m);
    }, 60_000);
  },
);
