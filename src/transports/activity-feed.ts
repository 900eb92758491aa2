/**
 * The older engine's activity feed, fixed: a JSON-RPC message POSTed to `/{endpoint_id}/sse` without a session is
 * answered in the HTTP body AND echoed as an `mcp_activity` event to the `GET /{endpoint_id}/sse` streams of the
 * same user on the same endpoint (the original sent every user's traffic to everyone). Each (endpoint, user)
 * channel keeps its last events so a stream that reconnects with `Last-Event-ID` gets what it missed, and only
 * from its own channel: an id from someone else's channel replays nothing.
 */
import { randomBytes } from 'node:crypto';
import type { SseWriter } from '../http/sse.js';

const MAX_EVENTS_PER_CHANNEL = 200;
const MAX_CHANNELS = 10_000;
/** Larger requests or responses are replaced by their size in the event. */
const MAX_PART_BYTES = 256 * 1024;

interface Channel {
  /** Random per channel, so ids from one channel mean nothing in another. */
  readonly tag: string;
  seq: number;
  readonly events: { seq: number; data: string }[];
  readonly writers: Set<SseWriter>;
}

function bounded(value: unknown): unknown {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > MAX_PART_BYTES ? { truncated: true, bytes: Buffer.byteLength(text) } : value;
}

export class ActivityFeed {
  private readonly channels = new Map<string, Channel>();

  /** The channel of a user on an endpoint (`user`: the principal id, or `anonymous` when auth is off). */
  static key(endpointId: string, user: string): string {
    return `${endpointId}\u0000${user}`;
  }

  /**
   * Attaches a stream to its channel: first the events after `lastEventId` (when it names this channel), then
   * live ones until the stream closes.
   */
  subscribe(key: string, writer: SseWriter, lastEventId: string | undefined): void {
    const channel = this.channel(key);
    const match = /^([0-9a-f]{16})-(\d+)$/.exec(lastEventId ?? '');
    if (match && match[1] === channel.tag) {
      const after = Number(match[2]);
      for (const e of channel.events) {
        if (e.seq > after) writer.event(e.data, `${channel.tag}-${e.seq}`, 'mcp_activity');
      }
    }
    channel.writers.add(writer);
    writer.onClose(() => channel.writers.delete(writer));
  }

  /** Records one request/response pair and sends it to the channel's open streams. */
  publish(key: string, method: string, request: unknown, response: unknown): void {
    const channel = this.channel(key);
    channel.seq += 1;
    const id = `${channel.tag}-${channel.seq}`;
    const data = JSON.stringify({
      type: 'mcp_activity',
      method,
      request: bounded(request),
      response: bounded(response),
      timestamp: new Date().toISOString(),
      id,
    });
    channel.events.push({ seq: channel.seq, data });
    if (channel.events.length > MAX_EVENTS_PER_CHANNEL) channel.events.shift();
    for (const w of channel.writers) if (w.isOpen) w.event(data, id, 'mcp_activity');
  }

  /** Channels kept (for tests and /health). */
  get size(): number {
    return this.channels.size;
  }

  private channel(key: string): Channel {
    let channel = this.channels.get(key);
    if (channel) {
      // Most recently used last, so the oldest idle channels are the ones dropped.
      this.channels.delete(key);
      this.channels.set(key, channel);
      return channel;
    }
    channel = { tag: randomBytes(8).toString('hex'), seq: 0, events: [], writers: new Set() };
    this.channels.set(key, channel);
    if (this.channels.size > MAX_CHANNELS) {
      for (const [k, c] of this.channels) {
        if (this.channels.size <= MAX_CHANNELS) break;
        if (c.writers.size === 0) this.channels.delete(k);
      }
    }
    return channel;
  }
}
