/**
 * The older engine's `mcp_activity` feed, keyed by endpoint and user: a session-less POST to `/{id}/sse` is echoed
 * to the caller's own `GET /{id}/sse` streams only, and a reconnect with `Last-Event-ID` replays the caller's own
 * missed events, never anyone else's (the original sent every user's traffic to everyone).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, type RawResponse, type SseEvent } from '../http/support.js';
import { bearer, type Fixture, greet, http, login, startFixture } from './support.js';

let f: Fixture;
beforeAll(async () => {
  f = await startFixture();
});
afterAll(() => f?.close());

const open = (endpoint: string, token: string, lastEventId?: string) =>
  rawRequest(`${f.url}/${endpoint}/sse`, {
    headers: {
      accept: 'text/event-stream',
      ...bearer(token),
      ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
    },
  });

const post = (endpoint: string, token: string, body: unknown) =>
  http(`${f.url}/${endpoint}/sse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(token) },
    body: JSON.stringify(body),
  });

/** Events of the given type that arrive within `ms`. */
async function collect(stream: RawResponse, type: string, ms: number): Promise<SseEvent[]> {
  const got: SseEvent[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return got;
    const e = await Promise.race([
      stream.nextEvent(),
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), left)),
    ]);
    if (e === 'timeout' || e === undefined) return got;
    if (e.event === type) got.push(e);
  }
}

describe('mcp_activity on GET /{id}/sse', () => {
  it('goes to the same user on the same endpoint only, and replays only that user’s events', async () => {
    const [bob, erin, carol] = await Promise.all([
      login(f.url, 'bob'),
      login(f.url, 'erin'),
      login(f.url, 'carol'),
    ]);
    const bobStream = await open('tenantA', bob);
    const erinStream = await open('tenantA', erin);
    const carolStream = await open('tenantB', carol);
    expect(bobStream.status).toBe(200);
    // endpoint, then connected (the older engine's event).
    expect((await bobStream.nextEvent())?.event).toBe('endpoint');
    expect((await bobStream.nextEvent())?.event).toBe('connected');

    const answer = await post('tenantA', bob, greet('Bo', 41));
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('Hello, Bo!');
    const [event] = await collect(bobStream, 'mcp_activity', 1000);
    const data = JSON.parse(event?.data ?? '{}') as Record<string, unknown>;
    expect(data).toMatchObject({ type: 'mcp_activity', method: 'tools/call', request: greet('Bo', 41) });
    expect(JSON.stringify(data['response'])).toContain('Hello, Bo!');
    expect(data['id']).toBe(event?.id);
    expect(typeof data['timestamp']).toBe('string');

    // Another user of the same endpoint, and a user of another endpoint, see nothing of it.
    expect(await collect(erinStream, 'mcp_activity', 300)).toEqual([]);
    expect(await collect(carolStream, 'mcp_activity', 100)).toEqual([]);

    // Bob misses two events while away; a reconnect from his last id replays exactly those.
    const lastSeen = event?.id ?? '';
    bobStream.close();
    await post('tenantA', bob, greet('Missed-1', 42));
    await post('tenantA', bob, greet('Missed-2', 43));
    const back = await open('tenantA', bob, lastSeen);
    const replayed = await collect(back, 'mcp_activity', 500);
    expect(replayed.map((e) => (JSON.parse(e.data) as { request: { id: number } }).request.id)).toEqual([
      42, 43,
    ]);

    // Erin presenting Bob's event id gets none of Bob's events.
    const nosy = await open('tenantA', erin, lastSeen);
    expect(await collect(nosy, 'mcp_activity', 300)).toEqual([]);
    for (const s of [back, nosy, erinStream, carolStream]) s.close();
  });

  it('is not produced by POST /{id}/mcp or by session messages', async () => {
    const bob = await login(f.url, 'bob');
    const stream = await open('tenantA', bob);
    await http(`${f.url}/tenantA/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(bob) },
      body: JSON.stringify(greet('Plain')),
    });
    expect(await collect(stream, 'mcp_activity', 300)).toEqual([]);
    stream.close();
  });
});
