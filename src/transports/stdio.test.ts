import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createTestEngine } from '../../test/helpers/engine.js';
import { serveStdio } from './stdio.js';

function harness(maxLineBytes?: number) {
  const { engine } = createTestEngine({
    tools: [
      {
        definition: { name: 'echo', inputSchema: { type: 'object' } },
        invoke: async (a) => String(a['text']),
      },
    ],
  });
  const input = new PassThrough();
  const output = new PassThrough();
  const lines: unknown[] = [];
  let buffer = '';
  output.setEncoding('utf8');
  output.on('data', (c: string) => {
    buffer += c;
    let nl = buffer.indexOf('\n');
    while (nl !== -1) {
      lines.push(JSON.parse(buffer.slice(0, nl)));
      buffer = buffer.slice(nl + 1);
      nl = buffer.indexOf('\n');
    }
  });
  const conn = serveStdio(
    maxLineBytes
      ? { engine, endpointId: 'default', input, output, maxLineBytes }
      : { engine, endpointId: 'default', input, output },
  );
  const until = async (n: number) => {
    while (lines.length < n) await new Promise((r) => setTimeout(r, 5));
    return lines;
  };
  return { engine, input, output, lines, conn, until };
}

const init = `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {} } })}\n`;
const call = (id: number, text: string) =>
  `${JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text } } })}\n`;

describe('stdio transport', () => {
  it('answers newline-delimited messages, including ones split across chunks', async () => {
    const h = harness();
    const second = call(2, 'split');
    h.input.write(init + second.slice(0, 10));
    h.input.write(second.slice(10));
    const lines = await h.until(2);
    expect(lines[0]).toMatchObject({ id: 1, result: { protocolVersion: '2025-06-18' } });
    expect(lines[1]).toEqual({
      jsonrpc: '2.0',
      id: 2,
      result: { content: [{ type: 'text', text: 'split' }] },
    });
    h.input.end();
    await h.conn.done;
  });

  it('answers bad JSON with -32700 and keeps going; ignores blank lines', async () => {
    const h = harness();
    h.input.write(`${init}\n   \n{oops\n${call(3, 'after')}`);
    const lines = await h.until(3);
    expect(lines).toContainEqual({
      jsonrpc: '2.0',
      id: null,
      error: expect.objectContaining({ code: -32700 }),
    });
    expect(lines).toContainEqual(expect.objectContaining({ id: 3, result: expect.anything() }));
    h.conn.close();
    await h.conn.done;
  });

  it('refuses an over-long line without buffering it, then serves the next one', async () => {
    const h = harness(64);
    h.input.write(init);
    await h.until(1);
    h.input.write(`{"jsonrpc":"2.0","id":9,"method":"ping","params":{"pad":"${'x'.repeat(200)}`);
    h.input.write(`"}}\n${call(4, 'ok')}`);
    const lines = await h.until(3);
    expect(lines[1]).toMatchObject({
      error: { code: -32700, message: expect.stringContaining('longer than 64') },
    });
    expect(lines[2]).toMatchObject({ id: 4, result: { content: [{ text: 'ok' }] } });
    h.input.end();
    await h.conn.done;
  });

  it('answers a final line without a newline at EOF, then finishes and leaves the hub', async () => {
    const h = harness();
    h.input.write(init);
    h.input.end(call(5, 'last').trimEnd());
    await h.conn.done;
    await h.until(2);
    expect(h.lines[1]).toMatchObject({ id: 5 });
    expect(h.engine.hub.count()).toBe(0);
  });

  it('delivers endpoint notifications to the session', async () => {
    const h = harness();
    h.input.write(init);
    await h.until(1);
    h.engine.notifyListChanged('default', 'tools');
    const lines = await h.until(2);
    expect(lines[1]).toEqual({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    h.input.end();
    await h.conn.done;
  });

  it('serves 2026-07-28 requests statelessly beside the session, cancellable by notification', async () => {
    const h = harness();
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    h.input.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 'd', method: 'server/discover', params: { _meta: meta } })}\n`,
    );
    h.input.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 'bad', method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } } })}\n`,
    );
    h.input.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 'L', method: 'subscriptions/listen', params: { _meta: meta, notifications: { toolsListChanged: true } } })}\n`,
    );
    const lines = await h.until(3);
    expect(lines).toContainEqual(
      expect.objectContaining({ id: 'd', result: expect.objectContaining({ resultType: 'complete' }) }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ id: 'bad', error: expect.objectContaining({ code: -32602 }) }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ method: 'notifications/subscriptions/acknowledged' }),
    );
    h.input.write(
      `${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'L' } })}\n`,
    );
    h.input.end();
    await h.conn.done;
    expect(h.lines.some((l) => (l as { id?: unknown }).id === 'L')).toBe(false);
  });

  it('ends an open listen stream with its final result when the input ends', async () => {
    const h = harness();
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    h.input.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 'L2', method: 'subscriptions/listen', params: { _meta: meta, notifications: { toolsListChanged: true } } })}\n`,
    );
    await h.until(1);
    h.input.end();
    await h.conn.done;
    const final = h.lines.find((l) => (l as { id?: unknown }).id === 'L2') as
      { result?: Record<string, unknown> } | undefined;
    expect(final?.result).toMatchObject({
      resultType: 'complete',
      _meta: { 'io.modelcontextprotocol/subscriptionId': 'L2' },
    });
  });

  it('survives seeded random lines: every output line is JSON-RPC 2.0 and the session still answers', async () => {
    const h = harness();
    let seed = 7;
    const r = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)] as T;
    const methods = [
      'initialize',
      'ping',
      'tools/call',
      'tools/list',
      'server/discover',
      'subscriptions/listen',
      'x',
      '',
    ];
    const junk = () => pick<unknown>([null, 1, 'a', [], {}, [1, 2], { a: { b: [] } }, true]);
    const meta = {
      'io.modelcontextprotocol/protocolVersion': pick(['2026-07-28', '1', 3]),
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    for (let i = 0; i < 300; i += 1) {
      const m: Record<string, unknown> = { jsonrpc: r() < 0.9 ? '2.0' : '1.0' };
      if (r() < 0.9) m['method'] = pick(methods);
      if (r() < 0.7) m['id'] = r() < 0.8 ? i : junk();
      if (r() < 0.7) m['params'] = r() < 0.3 ? { _meta: meta, name: 'echo', notifications: {} } : junk();
      h.input.write(r() < 0.05 ? '{"broken\n' : `${JSON.stringify(m)}\n`);
    }
    h.input.write(`${init}${call(9999, 'alive')}`);
    await new Promise((res) => setTimeout(res, 50));
    h.input.end();
    await h.conn.done;
    for (const line of h.lines) expect((line as { jsonrpc?: unknown }).jsonrpc).toBe('2.0');
    expect(h.lines).toContainEqual(expect.objectContaining({ id: 9999 }));
  });
});
