import { describe, expect, it } from 'vitest';
import type { SseWriter } from '../http/sse.js';
import { ActivityFeed } from './activity-feed.js';

function fakeWriter(): SseWriter & {
  events: { data: string; id?: string; event?: string }[];
  close(): void;
} {
  const events: { data: string; id?: string; event?: string }[] = [];
  const listeners: (() => void)[] = [];
  let open = true;
  return {
    events,
    get isOpen() {
      return open;
    },
    event: (data: string, id?: string, event?: string) =>
      events.push({ data, ...(id ? { id } : {}), ...(event ? { event } : {}) }),
    onClose: (l: () => void) => listeners.push(l),
    close: () => {
      open = false;
      for (const l of listeners) l();
    },
  } as never;
}

describe('ActivityFeed', () => {
  it('replays only the events after an id of the same channel, and bounds what it keeps', () => {
    const feed = new ActivityFeed();
    const key = ActivityFeed.key('ep', 'alice');
    const w = fakeWriter();
    feed.subscribe(key, w, undefined);
    for (let i = 0; i < 250; i++) feed.publish(key, 'tools/call', { id: i }, { result: i });
    expect(w.events).toHaveLength(250);
    const last = w.events[9]?.id ?? '';
    w.close();
    const back = fakeWriter();
    feed.subscribe(key, back, last);
    // 200 events are kept: those after #10 that are still there.
    expect(back.events).toHaveLength(200);
    const other = fakeWriter();
    feed.subscribe(ActivityFeed.key('ep', 'bob'), other, last);
    expect(other.events).toEqual([]);
    const huge = 'x'.repeat(300 * 1024);
    feed.publish(key, 'tools/call', { huge }, null);
    expect(JSON.parse(back.events.at(-1)?.data ?? '{}').request).toEqual({
      truncated: true,
      bytes: huge.length + 11,
    });
  });

  it('drops the oldest idle channels beyond its bound, never one with a stream', () => {
    const feed = new ActivityFeed();
    const watched = fakeWriter();
    feed.subscribe(ActivityFeed.key('ep', 'watched'), watched, undefined);
    for (let i = 0; i < 10_050; i++) feed.publish(ActivityFeed.key('ep', `u${i}`), 'ping', {}, {});
    expect(feed.size).toBeLessThanOrEqual(10_000);
    feed.publish(ActivityFeed.key('ep', 'watched'), 'ping', {}, {});
    expect(watched.events).toHaveLength(1);
  });
});
