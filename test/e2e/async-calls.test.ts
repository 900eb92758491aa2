/**
 * The older engine's asynchronous tools through the official SDK client: a call that takes longer than
 * MCPD_ASYNC_WAIT_MS answers with an `mcp://function-call/{uuid}` handle; calling again with
 * `mcp_function_call_uuid` returns the stored result once it is there.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';

const ASYNC = fileURLToPath(new URL('../fixtures/bundles/async/mcp.json', import.meta.url));

type Result = {
  content: Array<{ type: string; text?: string; resource?: { uri: string; text: string } }>;
  isError?: boolean;
};

let d: RunningDaemon;
let client: Client;
beforeAll(async () => {
  d = await startDaemon({ MCPD_ASYNC_WAIT_MS: '150' }, ASYNC);
  client = new Client({ name: 'async', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${d.url}/default/mcp`)));
});
afterAll(async () => {
  await client.close();
  await d.close();
});

const call = async (name: string, args: Record<string, unknown>) =>
  (await client.callTool({ name, arguments: args })) as Result;

async function until(name: string, uuid: string, done: (r: Result) => boolean): Promise<Result> {
  for (let i = 0; i < 100; i++) {
    const r = await call(name, { mcp_function_call_uuid: uuid });
    if (done(r)) return r;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error('the call never finished');
}

describe('is_async tools', () => {
  it('answer directly when they finish within the wait', async () => {
    expect((await call('quick', { topic: 'tea' })).content).toEqual([
      { type: 'text', text: 'quick report on tea' },
    ]);
  });

  it('answer a slow call with a handle, and the stored result when called again with its uuid', async () => {
    const first = await call('report', { topic: 'coffee', ms: 600 });
    const resource = first.content[0]?.resource;
    expect(resource?.uri).toMatch(/^mcp:\/\/function-call\/[0-9a-f-]{36}$/);
    const handle = JSON.parse(resource?.text ?? '{}') as { mcp_function_call_uuid: string; status: string };
    expect(handle.status).toBe('in_process');
    expect(resource?.uri).toBe(`mcp://function-call/${handle.mcp_function_call_uuid}`);
    const pending = await call('report', { mcp_function_call_uuid: handle.mcp_function_call_uuid });
    expect(JSON.parse(pending.content[0]?.resource?.text ?? '{}')).toMatchObject({ status: 'in_process' });
    const done = await until('report', handle.mcp_function_call_uuid, (r) => r.content[0]?.type === 'text');
    expect(done.content).toEqual([{ type: 'text', text: 'report on coffee' }]);
    // The record holds it too.
    const record = await d.daemon.store.calls.get('default', handle.mcp_function_call_uuid);
    expect(record).toMatchObject({ status: 'completed', name: 'report' });
  });

  it('report a failure with its note, and refuse an unknown uuid', async () => {
    const first = await call('broken', { ms: 300 });
    const handle = JSON.parse(first.content[0]?.resource?.text ?? '{}') as { mcp_function_call_uuid: string };
    const failed = await until('broken', handle.mcp_function_call_uuid, (r) => r.isError === true);
    expect(failed.content).toEqual([{ type: 'text', text: 'the report could not be written' }]);
    const unknown = await call('report', { mcp_function_call_uuid: '00000000-0000-7000-8000-000000000000' });
    expect(unknown.isError).toBe(true);
    // A uuid of another tool is not this tool's.
    expect((await call('quick', { mcp_function_call_uuid: handle.mcp_function_call_uuid })).isError).toBe(
      true,
    );
  });
});
