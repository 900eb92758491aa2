/**
 * Failures inside bundle code reach clients as messages only: no stack traces, no file paths, on every transport.
 * Uses the fixture bundle (test/http/fixtures), whose `boom` tool and `fixture://broken` resource throw.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDaemon } from '../helpers/daemon.js';
import {
  expectNoStack,
  expectServes,
  FIXTURE_CONFIG,
  firstText,
  initSession,
  postMcp,
  rpc,
  rpcError,
  rpcResult,
  send,
  startDaemon,
} from './support.js';

let d: RunningDaemon;
let base: string;
let sid: string;

beforeAll(async () => {
  d = await startDaemon({}, FIXTURE_CONFIG);
  base = d.url;
  sid = await initSession(base);
});
afterAll(() => d.close());

describe('errors thrown by bundle code', () => {
  it('a throwing tool gives a tool result with isError and only the error message', async () => {
    const reply = await postMcp(base, sid, rpc(1, 'tools/call', { name: 'boom', arguments: {} }));
    expect(reply.status).toBe(200);
    const result = rpcResult(reply.json);
    expect(result['isError']).toBe(true);
    expect(firstText(result)).toBe('kaboom');
    expectNoStack(reply.text);
    await expectServes(base, sid);
  });

  it('a throwing resource gives -32603 with only the error message', async () => {
    const reply = await postMcp(base, sid, rpc(2, 'resources/read', { uri: 'fixture://broken' }));
    expect(reply.status).toBe(200);
    expect(rpcError(reply.json)).toMatchObject({
      code: -32603,
      message: expect.stringMatching(/resource exploded/),
    });
    expectNoStack(reply.text);
    await expectServes(base, sid);
  });

  it('the same holds on the plain-JSON path', async () => {
    for (const body of [
      rpc(3, 'tools/call', { name: 'boom', arguments: {} }),
      rpc(4, 'resources/read', { uri: 'fixture://broken' }),
    ]) {
      const reply = await send(`${base}/default/mcp`, {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(reply.status).toBe(200);
      expectNoStack(reply.text);
    }
  });

  it('a readable fixture resource still works afterwards', async () => {
    const reply = await postMcp(base, sid, rpc(5, 'resources/read', { uri: 'fixture://watched' }));
    expect(reply.json).toMatchObject({
      result: { contents: [{ uri: 'fixture://watched', text: 'watched fixture://watched' }] },
    });
  });
});
