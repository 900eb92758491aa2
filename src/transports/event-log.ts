/**
 * Resumability for Streamable HTTP: every SSE stream of a session keeps its recent events, with ids of the form
 * `<stream>_<seq>`. A client that lost a stream reconnects with Last-Event-ID and gets the rest of that stream
 * (and only that stream) replayed, then live events. Bounded: old events and finished streams are dropped.
 */
import type { SseWriter } from '../http/sse.js';

const MAX_EVENTS_PER_STREAM = 1000;
const MAX_STREAMS = 64;

/** Priming events remembered per log, with the connection they went to (older ones are forgotten). */
const MAX_PRIMED = 64;

interface LoggedEvent {
  seq: number;
  data: string;
  /** The connection it was written to (a number per connection), or 0 while no connection has had it. */
  to: number;
}

export class StreamLog {
  private seq = 0;
  private readonly events: LoggedEvent[] = [];
  done = false;
  writer: SseWriter | undefined;
  /**
   * The standalone log is shared by a session's GET streams (several may be open): each event goes to one of them,
   * and a resumed one gets back only what its own connection had, or what no connection had.
   */
  private readonly connections = new WeakMap<SseWriter, number>();
  private lastConnection = 0;
  private readonly primed = new Map<number, number>();

  constructor(readonly id: string) {}

  /** Reserves an id with no payload (the priming event), remembering the connection it goes to. */
  primeId(writer?: SseWriter): string {
    this.seq += 1;
    if (writer) {
      this.primed.set(this.seq, this.connectionOf(writer));
      if (this.primed.size > MAX_PRIMED) this.primed.delete(this.primed.keys().next().value as number);
    }
    return `${this.id}_${this.seq}`;
  }

  /** Records an event and writes it to the attached connection, if any. */
  push(data: string): void {
    this.seq += 1;
    const open = this.writer?.isOpen === true;
    this.events.push({ seq: this.seq, data, to: open ? this.connectionOf(this.writer!) : 0 });
    if (this.events.length > MAX_EVENTS_PER_STREAM) this.events.shift();
    if (open) this.writer!.event(data, `${this.id}_${this.seq}`);
  }

  /**
   * Writes the events after `afterSeq` to `writer`. With `resuming`, only those the connection that had event
   * `afterSeq` had, and those no connection had: what another open stream delivered is not delivered twice.
   */
  replay(afterSeq: number, writer: SseWriter, resuming = false): void {
    const from = resuming ? this.senderOf(afterSeq) : undefined;
    const to = this.connectionOf(writer);
    for (const e of this.events) {
      if (e.seq <= afterSeq) continue;
      if (from !== undefined && e.to !== 0 && e.to !== from) continue;
      e.to = to;
      writer.event(e.data, `${this.id}_${e.seq}`);
    }
  }

  /** The connection event `seq` (or its priming event) went to, when known. */
  private senderOf(seq: number): number | undefined {
    const primed = this.primed.get(seq);
    if (primed !== undefined) return primed;
    const e = this.events.find((x) => x.seq === seq);
    return e && e.to !== 0 ? e.to : undefined;
  }

  private connectionOf(writer: SseWriter): number {
    let n = this.connections.get(writer);
    if (n === undefined) {
      n = ++this.lastConnection;
      this.connections.set(writer, n);
    }
    return n;
  }
}

export class SessionStreams {
  private next = 0;
  private readonly streams = new Map<string, StreamLog>();

  open(): StreamLog {
    this.next += 1;
    const log = new StreamLog(String(this.next));
    this.streams.set(log.id, log);
    if (this.streams.size > MAX_STREAMS) this.evict();
    return log;
  }

  /** The standalone GET stream keeps a fixed id so it can be resumed across reconnects. */
  standalone(): StreamLog {
    let log = this.streams.get('0');
    if (!log) {
      log = new StreamLog('0');
      this.streams.set('0', log);
    }
    return log;
  }

  /** Finds the stream and position a Last-Event-ID names. */
  locate(lastEventId: string): { log: StreamLog; seq: number } | undefined {
    const sep = lastEventId.lastIndexOf('_');
    if (sep <= 0) return undefined;
    const log = this.streams.get(lastEventId.slice(0, sep));
    const seq = Number(lastEventId.slice(sep + 1));
    if (!log || !Number.isInteger(seq) || seq < 0) return undefined;
    return { log, seq };
  }

  private evict(): void {
    for (const [id, log] of this.streams) {
      if (id !== '0' && log.done) {
        this.streams.delete(id);
        if (this.streams.size <= MAX_STREAMS) return;
      }
    }
  }
}
