/**
 * Interop: the official MCP SDK client drives `mcpd stdio` (the built CLI, a real child process) through
 * StdioClientTransport. Needs `npm run build` first.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFORMANCE_CONFIG, DEMO_CONFIG } from '../helpers/daemon.js';
import { closeAll, connectHarness, type Harness, POLLING_CONFIG } from './support/harness.js';
import {
  callEchoAndAdd,
  cancelCountdown,
  closeStreamUnsupported,
  conformanceLogging,
  conformanceResources,
  countdownProgress,
  demoCompletion,
  demoLogging,
  demoPrompts,
  demoResources,
  elicitationRoundTrip,
  expectDemoInitialized,
  expectInitialized,
  listDemoTools,
  samplingRoundTrip,
  samplingWithoutCapability,
  templateCompletion,
} from './support/scenarios.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** Spawns `node dist/cli/main.js stdio --config FILE` and connects the SDK client to it. */
async function spawnMcpd(configFile: string, interactive = false): Promise<Harness> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'stdio', '--config', configFile],
    cwd: REPO,
    stderr: 'pipe',
  });
  // mcpd logs JSON lines on stderr; drain them (a full pipe would block the child) and keep them for errors.
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  try {
    return await connectHarness(transport, { interactive });
  } catch (err) {
    throw new Error(
      `mcpd stdio --config ${configFile} did not initialize: ${String(err)}\nstderr:\n${stderr}`,
      { cause: err },
    );
  }
}

describe('SDK client ↔ mcpd over stdio', () => {
  let demo: Harness | undefined;
  let conformance: Harness | undefined;
  let plain: Harness | undefined;

  beforeAll(async () => {
    if (!existsSync(CLI)) {
      throw new Error(`${CLI} is missing: run \`npm run build\` before the stdio interop tests`);
    }
    [demo, conformance, plain] = await Promise.all([
      spawnMcpd(DEMO_CONFIG),
      spawnMcpd(CONFORMANCE_CONFIG, true),
      spawnMcpd(CONFORMANCE_CONFIG, false),
    ]);
  });

  afterAll(async () => {
    await closeAll([demo, conformance, plain]);
  });

  it('initializes: negotiated 2025-11-25, serverInfo mcpd, capabilities, instructions', () => {
    expectDemoInitialized(demo!);
    expectInitialized(conformance!);
  });

  it('lists the demo tools', async () => {
    await listDemoTools(demo!);
  });

  it('calls echo and add (structuredContent {sum})', async () => {
    await callEchoAndAdd(demo!);
  });

  it('delivers countdown progress notifications to onprogress', async () => {
    await countdownProgress(demo!);
  });

  it('cancels a running countdown through an AbortSignal and keeps serving', async () => {
    await cancelCountdown(demo!);
  });

  it('round-trips sampling/createMessage through test_sampling', async () => {
    await samplingRoundTrip(conformance!);
  });

  it('reports a tool error when the client declared no sampling capability', async () => {
    await samplingWithoutCapability(plain!);
  });

  it('round-trips form elicitation through test_elicitation', async () => {
    await elicitationRoundTrip(conformance!);
  });

  it('lists and reads resources and resource templates', async () => {
    await demoResources(demo!);
    await conformanceResources(conformance!);
  });

  it('lists and gets prompts', async () => {
    await demoPrompts(demo!);
  });

  it('completes prompt arguments and template variables', async () => {
    await demoCompletion(demo!);
    await templateCompletion(conformance!);
  });

  it('filters log notifications by logging/setLevel', async () => {
    await demoLogging(demo!);
    await conformanceLogging(conformance!);
  });

  it('keeps stdout clean: no SDK transport errors on a healthy session', () => {
    // Anything but newline-delimited JSON-RPC on stdout would surface here as a parse error.
    for (const h of [demo!, conformance!, plain!]) {
      expect(h.errors.filter((e) => !/unknown token|unknown message ID/.test(e.message))).toEqual([]);
    }
  });

  it('answers even when a tool calls ctx.closeStream() (false: stdio cannot resume)', async () => {
    const h = await spawnMcpd(POLLING_CONFIG);
    try {
      await closeStreamUnsupported(h);
    } finally {
      await h.close();
    }
  });
});
