/**
 * Streamable HTTP streams read off the wire: SSE answers to POSTs (priming event, ids, progress, result), the
 * standalone GET streams (server notifications, several per session, keep-alive comments), and resumability
 * with Last-Event-ID (the rest of exactly one stream of one session, no duplicates).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_GET_STREAMS } from '../../src/transports/streamable-http.js';
import type { RunningDaemon } from '../helpers/daemon.js';
import {
  asRecord,
  expectServes,
  FIXTURE_CONFIG,
  firstText,
  getStream,
  initSession,
  message,
  postMcp,
  postStream,
  type RawResponse,
  rpc,
  rpcResult,
  type SseEvent,
  send,
  splitId,
  startDaemon,
} from './support.js';

let d: RunningDaemon;
let base: string;
const open: RawResponse[] = [];

beforeAll(async () => {
  // Small keep-alive so an idle stream shows its comments; every other test skips comments.
  d = await startDaemon({ MCPD_KEEPALIVE_MS: '50' }, FIXTURE_CONFIG);
  base = d.url;
});
afterAll(async () => {
  for (const s of open) s.close();
  await d.close();
});

const track = (s: RawResponse): RawResponse => {
  open.push(s);
  return s;
};

const countdown = (id: number, n: number, delayMs: number, token: string) =>
  rpc(id, 'tools/call', { name: 'countdown', arguments: { n, delayMs }, _meta: { progressToken: token } });

const methodOf = (e: SseEvent | undefined): unknown => message(e)['method'];

/** Progress values of the notifications/progress events carrying `token`. */
const progressOf = (events: SseEvent[], token: string): unknown[] =>
  events
    .filter((e) => e.data !== '' && methodOf(e) === 'notifications/progress')
    .map((e) => asRecord(message(e)['params']))
    .filter((p) => p['progressToken'] === token)
    .map((p) => p['progress']);

/** Asserts ids are `<stream>_<n>` on one stream with consecutive n starting at `from`. */
function expectConsecutive(events: SseEvent[], stream: string, from: number): void {
  events.forEach((e, i) => {
    expect(splitId(e.id)).toEqual({ stream, seq: from + i });
  });
}

async function subscribe(sid: string, uri: string): Promise<void> {
  const reply = await postMcp(base, sid, rpc(700, 'resources/subscribe', { uri }));
  expect(rpcResult(reply.json)).toEqual({});
}

async function touch(sid: string, uri: string): Promise<void> {
  const reply = await postMcp(base, sid, rpc(701, 'tools/call', { name: 'touch', arguments: { uri } }));
  expect(reply.status).toBe(200);
  expect(firstText(rpcResult(reply.json))).toBe(`touched ${uri}`);
}

/** Opens a GET stream, retrying while the server still counts the previous (client-closed) one as open. */
async function eventuallyTrue(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i += 1) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

async function reopenGet(sid: string, headers: Record<string, string>): Promise<RawResponse> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const s = await getStream(base, sid, headers);
    if (s.status !== 409) return track(s);
    await s.text();
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the server never noticed that the first GET stream closed');
}

describe('SSE answers to POST', () => {
  it('a tool reporting progress answers with SSE: priming event, progress events with <stream>_<n> ids, result', async () => {
    const sid = await initSession(base);
    const s = track(await postStream(base, sid, countdown(11, 3, 0, 'tok-1')));
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = await s.rest();

    const prime = events[0];
    expect(prime?.data).toBe('');
    expect(prime?.retry).toBe(1000);
    const { stream, seq } = splitId(prime?.id);
    expect(stream).toMatch(/^[1-9]\d*$/);
    expect(seq).toBe(1);
    expectConsecutive(events, stream, 1);

    expect(progressOf(events, 'tok-1')).toEqual([0, 1, 2, 3]);
    const firstProgress = events.findIndex((e) => e.data !== '' && methodOf(e) === 'notifications/progress');
    expect(firstProgress).toBeGreaterThan(0);
    const last = message(events.at(-1));
    expect(last).toMatchObject({ jsonrpc: '2.0', id: 11 });
    expect(firstText(rpcResult(last))).toBe('Hello, countdown from 3 finished');
    // Only the priming event is empty; everything else is a JSON-RPC message tied to this request.
    for (const e of events.slice(1)) {
      expect(e.data).not.toBe('');
      expect(e.event).toBeUndefined();
    }
    await expectServes(base, sid);
  });

  it('every POST stream of a session gets its own stream id', async () => {
    const sid = await initSession(base);
    const a = await track(await postStream(base, sid, countdown(1, 1, 0, 'a'))).rest();
    const b = await track(await postStream(base, sid, countdown(2, 1, 0, 'b'))).rest();
    expect(splitId(a[0]?.id).stream).not.toBe(splitId(b[0]?.id).stream);
    expect(progressOf(a, 'a')).toEqual([0, 1]);
    expect(progressOf(b, 'b')).toEqual([0, 1]);
  });

  it('logging/setLevel filters the log notifications a tool sends on its stream', async () => {
    const sid = await initSession(base);
    const before = await track(await postStream(base, sid, countdown(1, 2, 0, 'x'))).rest();
    expect(before.some((e) => e.data !== '' && methodOf(e) === 'notifications/message')).toBe(true);
    const set = await postMcp(base, sid, rpc(2, 'logging/setLevel', { level: 'info' }));
    expect(rpcResult(set.json)).toEqual({});
    const after = await track(await postStream(base, sid, countdown(3, 2, 0, 'y'))).rest();
    expect(after.some((e) => e.data !== '' && methodOf(e) === 'notifications/message')).toBe(false);
    expect(progressOf(after, 'y')).toEqual([0, 1, 2]);
  });

  it('a call that sends nothing before its result gets plain JSON, not SSE', async () => {
    const sid = await initSession(base);
    await postMcp(base, sid, rpc(1, 'logging/setLevel', { level: 'error' }));
    const reply = await postMcp(
      base,
      sid,
      rpc(2, 'tools/call', { name: 'countdown', arguments: { n: 2, delayMs: 0 } }),
    );
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(firstText(rpcResult(reply.json))).toBe('Hello, countdown from 2 finished');
  });
});

describe('protocol versions and cancellation', () => {
  it('a 2025-03-26 session gets SSE with event ids but no priming event', async () => {
    const sid = await initSession(base, '2025-03-26');
    const events = await track(await postStream(base, sid, countdown(31, 2, 0, 'old'))).rest();
    expect(events.every((e) => e.data !== '')).toBe(true);
    expect(events[0] && methodOf(events[0])).toBe('notifications/progress');
    const { stream } = splitId(events[0]?.id);
    expectConsecutive(events, stream, 1);
    expect(progressOf(events, 'old')).toEqual([0, 1, 2]);
    expect(message(events.at(-1))['id']).toBe(31);
  });

  it('notifications/cancelled stops a running call: its stream ends without a response', async () => {
    const sid = await initSession(base);
    const s = track(await postStream(base, sid, countdown(81, 100, 50, 'cancel-me')));
    for (;;) {
      const e = await s.nextEvent();
      if (e === undefined) throw new Error('the stream ended before any progress');
      if (e.data !== '' && methodOf(e) === 'notifications/progress') break;
    }
    const cancel = await postMcp(base, sid, {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 81, reason: 'user stopped it' },
    });
    expect(cancel.status).toBe(202);
    const rest = await s.rest();
    for (const e of rest) expect('id' in message(e)).toBe(false);
    expect(progressOf(rest, 'cancel-me').length).toBeLessThan(100);
    await expectServes(base, sid);
  });
});

describe('the standalone GET stream', () => {
  it('opens with a priming event and receives server notifications not tied to a request', async () => {
    const sid = await initSession(base);
    await subscribe(sid, 'fixture://watched');
    const g = track(await getStream(base, sid));
    expect(g.status).toBe(200);
    expect(g.headers['content-type']).toMatch(/^text\/event-stream/);
    const prime = await g.nextEvent();
    expect(prime).toMatchObject({ id: '0_1', data: '', retry: 1000 });

    await touch(sid, 'fixture://watched');
    const e = await g.nextEvent();
    expect(e?.id).toBe('0_2');
    expect(message(e)).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/resources/updated',
      params: { uri: 'fixture://watched' },
    });
    // Unsubscribed URIs produce nothing; the next event is the next subscribed update.
    await touch(sid, 'fixture://other');
    await touch(sid, 'fixture://watched');
    const next = await g.nextEvent();
    expect(next?.id).toBe('0_3');
    expect(asRecord(message(next)['params'])['uri']).toBe('fixture://watched');
  });

  it('a second GET on the same session opens beside the first: notifications go to the newest, then back to the first once it closes', async () => {
    const sid = await initSession(base);
    await subscribe(sid, 'fixture://watched');
    const first = track(await getStream(base, sid));
    expect((await first.nextEvent())?.id).toBe('0_1');
    const second = track(await getStream(base, sid));
    expect(second.status).toBe(200);
    expect(second.headers['content-type']).toMatch(/^text\/event-stream/);
    expect((await second.nextEvent())?.id).toBe('0_2');
    await touch(sid, 'fixture://watched');
    expect(methodOf(await second.nextEvent())).toBe('notifications/resources/updated');
    // The first stayed open (keep-alive comments only), and takes the messages once the newest is gone.
    second.close();
    await eventuallyTrue(() => d.daemon.sessions.get(sid)?.openStreams === 1);
    await touch(sid, 'fixture://watched');
    const next = await first.nextEvent();
    expect(next?.id).toBe('0_4');
    expect(methodOf(next)).toBe('notifications/resources/updated');
  });

  it('a resumed GET stream gets back only what its own connection had, never what another stream delivered', async () => {
    const sid = await initSession(base);
    await subscribe(sid, 'fixture://watched');
    const a = track(await getStream(base, sid));
    expect((await a.nextEvent())?.id).toBe('0_1');
    const b = track(await getStream(base, sid));
    expect((await b.nextEvent())?.id).toBe('0_2');
    await touch(sid, 'fixture://watched');
    await touch(sid, 'fixture://watched');
    expect((await b.nextEvent())?.id).toBe('0_3');
    expect((await b.nextEvent())?.id).toBe('0_4');
    // B drops: the next one goes to A, the stream still open.
    b.close();
    await eventuallyTrue(() => d.daemon.sessions.get(sid)?.openStreams === 1);
    await touch(sid, 'fixture://watched');
    expect((await a.nextEvent())?.id).toBe('0_5');
    // The client resumes B: A already delivered 0_5, so nothing is replayed; live events come to the new stream.
    const c = track(await getStream(base, sid, { 'last-event-id': '0_4' }));
    expect(c.status).toBe(200);
    await touch(sid, 'fixture://watched');
    expect((await c.nextEvent())?.id).toBe('0_6');
    // A drops and is resumed from its first event: it gets 0_5 again, and not what B or C delivered.
    a.close();
    await eventuallyTrue(() => d.daemon.sessions.get(sid)?.openStreams === 1);
    const resumedA = track(await getStream(base, sid, { 'last-event-id': '0_1' }));
    expect((await resumedA.nextEvent())?.id).toBe('0_5');
    await touch(sid, 'fixture://watched');
    expect((await resumedA.nextEvent())?.id).toBe('0_7');
  });

  it(`a session holds at most ${MAX_GET_STREAMS} GET streams: one more ends the oldest`, async () => {
    const sid = await initSession(base);
    const streams: RawResponse[] = [];
    for (let i = 0; i < MAX_GET_STREAMS; i += 1) {
      const g = track(await getStream(base, sid));
      expect(g.status).toBe(200);
      await g.nextEvent(); // the priming event: the stream is open
      streams.push(g);
    }
    const extra = track(await getStream(base, sid));
    expect(extra.status).toBe(200);
    await streams[0]!.ended;
    expect(await streams[0]!.nextEvent()).toBeUndefined();
    expect(d.daemon.sessions.get(sid)?.openStreams).toBe(MAX_GET_STREAMS);
    // DELETE ends every one still open.
    const del = await send(`${base}/default/mcp`, { method: 'DELETE', headers: { 'mcp-session-id': sid } });
    expect(del.status).toBe(200);
    await Promise.all([...streams.slice(1), extra].map((g) => g.ended));
  });

  it('sends keep-alive comments on an idle stream', async () => {
    const sid = await initSession(base);
    const g = track(await getStream(base, sid));
    const seen: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      let item = await g.nextItem();
      while (item !== undefined && item.kind !== 'comment') item = await g.nextItem();
      expect(item).toBeDefined();
      if (item?.kind === 'comment') seen.push(item.text);
    }
    expect(seen).toEqual(['keep-alive', 'keep-alive', 'keep-alive']);
  });

  it('DELETE of the session ends its open GET stream', async () => {
    const sid = await initSession(base);
    const g = track(await getStream(base, sid));
    expect((await g.nextEvent())?.id).toBe('0_1');
    const del = await send(`${base}/default/mcp`, { method: 'DELETE', headers: { 'mcp-session-id': sid } });
    expect(del.status).toBe(200);
    await g.ended;
    expect(await g.nextEvent()).toBeUndefined();
  });

  it('notifications reach only the sessions subscribed on this endpoint', async () => {
    const a = await initSession(base);
    const b = await initSession(base);
    await subscribe(a, 'fixture://watched');
    await subscribe(b, 'fixture://elsewhere');
    const ga = track(await getStream(base, a));
    const gb = track(await getStream(base, b));
    expect((await ga.nextEvent())?.id).toBe('0_1');
    expect((await gb.nextEvent())?.id).toBe('0_1');
    await touch(a, 'fixture://watched');
    await touch(b, 'fixture://elsewhere');
    const ea = await ga.nextEvent();
    const eb = await gb.nextEvent();
    expect(asRecord(message(ea)['params'])['uri']).toBe('fixture://watched');
    expect(asRecord(message(eb)['params'])['uri']).toBe('fixture://elsewhere');
    expect(ea?.id).toBe('0_2');
    expect(eb?.id).toBe('0_2');
  });
});

describe('resumability with Last-Event-ID', () => {
  it('a broken POST stream resumes on GET with exactly the remaining events and the result', async () => {
    const sid = await initSession(base);
    const post = await postStream(base, sid, countdown(50, 5, 100, 'resume'));
    expect(post.status).toBe(200);
    const received: SseEvent[] = [];
    let lastId: string | undefined;
    for (;;) {
      const e = await post.nextEvent();
      if (e === undefined) throw new Error('the POST stream ended before its first progress event');
      received.push(e);
      if (e.data !== '' && methodOf(e) === 'notifications/progress') {
        lastId = e.id;
        break;
      }
    }
    post.close();
    expect(received[0]?.data).toBe('');
    expect(progressOf(received, 'resume')).toEqual([0]);
    const { stream, seq } = splitId(lastId);

    const resumed = track(await getStream(base, sid, { 'last-event-id': lastId ?? '' }));
    expect(resumed.status).toBe(200);
    expect(resumed.headers['content-type']).toMatch(/^text\/event-stream/);
    const rest = await resumed.rest();

    // Contiguous continuation of the same stream: no gap, no duplicate, no priming event, nothing else.
    expectConsecutive(rest, stream, seq + 1);
    const seenIds = new Set(received.map((e) => e.id));
    for (const e of rest) {
      expect(seenIds.has(e.id)).toBe(false);
      expect(e.data).not.toBe('');
    }
    expect(progressOf(rest, 'resume')).toEqual([1, 2, 3, 4, 5]);
    const final = message(rest.at(-1));
    expect(final['id']).toBe(50);
    expect(firstText(rpcResult(final))).toBe('Hello, countdown from 5 finished');
    for (const e of rest.slice(0, -1)) {
      expect(['notifications/progress', 'notifications/message']).toContain(methodOf(e));
    }
    await expectServes(base, sid);
  });

  it('replays only the named stream, never another stream of the session', async () => {
    const sid = await initSession(base);
    await subscribe(sid, 'fixture://watched');
    const g = track(await getStream(base, sid));
    expect((await g.nextEvent())?.id).toBe('0_1');
    const a = await track(await postStream(base, sid, countdown(61, 2, 0, 'stream-A'))).rest();
    const b = await track(await postStream(base, sid, countdown(62, 2, 0, 'stream-B'))).rest();
    await touch(sid, 'fixture://watched');
    expect(methodOf(await g.nextEvent())).toBe('notifications/resources/updated');
    const streamA = splitId(a[0]?.id).stream;
    const streamB = splitId(b[0]?.id).stream;
    expect(streamA).not.toBe(streamB);

    // Resume A from its priming event: everything A sent after it, in order, then the end of the response.
    const fromPrime = await track(await getStream(base, sid, { 'last-event-id': a[0]?.id ?? '' })).rest();
    expect(fromPrime).toEqual(a.slice(1));
    // Resume A from its second-to-last event: only A's result.
    const tail = await track(await getStream(base, sid, { 'last-event-id': a.at(-2)?.id ?? '' })).rest();
    expect(tail).toEqual(a.slice(-1));
    // The same for B, and nothing of A or of the GET stream leaks into it.
    const fromB = await track(await getStream(base, sid, { 'last-event-id': b[0]?.id ?? '' })).rest();
    expect(fromB).toEqual(b.slice(1));
    for (const e of [...fromPrime, ...tail]) expect(e.data).not.toContain('stream-B');
    for (const e of fromB) {
      expect(e.data).not.toContain('stream-A');
      expect(e.data).not.toContain('resources/updated');
    }
    // Resuming from the last event of a finished stream yields nothing and ends.
    const none = await track(await getStream(base, sid, { 'last-event-id': a.at(-1)?.id ?? '' })).rest();
    expect(none).toEqual([]);
  });

  it("never replays another session's events", async () => {
    const a = await initSession(base);
    const aEvents = await track(await postStream(base, a, countdown(71, 3, 0, 'secret-of-A'))).rest();
    const aLast = aEvents[1]?.id ?? '';
    expect(aLast).toMatch(/_\d+$/);

    const b = await initSession(base);
    await subscribe(b, 'fixture://watched');
    const gb = track(await getStream(base, b, { 'last-event-id': aLast }));
    expect(gb.status).toBe(200);
    // B knows no such stream: a fresh standalone stream, primed, then only B's own notifications.
    const prime = await gb.nextEvent();
    expect(prime).toMatchObject({ id: '0_1', data: '' });
    await touch(b, 'fixture://watched');
    const next = await gb.nextEvent();
    expect(next?.data).not.toContain('secret-of-A');
    expect(message(next)).toMatchObject({ method: 'notifications/resources/updated' });
    expect(next?.id).toBe('0_2');

    // And A's own resume still has its events.
    const again = await track(await getStream(base, a, { 'last-event-id': aLast })).rest();
    expect(again).toEqual(aEvents.slice(2));
  });

  it('the standalone GET stream resumes after a disconnect with the events sent meanwhile', async () => {
    const sid = await initSession(base);
    await subscribe(sid, 'fixture://watched');
    const g = await getStream(base, sid);
    expect((await g.nextEvent())?.id).toBe('0_1');
    await touch(sid, 'fixture://watched');
    const seen = await g.nextEvent();
    expect(seen?.id).toBe('0_2');
    g.close();
    await g.ended;
    await touch(sid, 'fixture://watched');
    await touch(sid, 'fixture://watched');

    const r = await reopenGet(sid, { 'last-event-id': '0_2' });
    expect(r.status).toBe(200);
    const replayed = [await r.nextEvent(), await r.nextEvent()];
    expect(replayed.map((e) => e?.id)).toEqual(['0_3', '0_4']);
    for (const e of replayed) expect(methodOf(e)).toBe('notifications/resources/updated');
    await touch(sid, 'fixture://watched');
    expect((await r.nextEvent())?.id).toBe('0_5');
  });
});
