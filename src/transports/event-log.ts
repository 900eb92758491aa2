/**
 * Resumability for Streamable HTTP: every SSE stream of a session keeps its recent events, with ids of the form
 * `<stream>_<seq>`. A client that lost a stream reconnects with Last-Event-ID and gets the rest of that stream
 * (and only that stream) replayed, then live events. Bounded: old events and finished streams are dropped.
 */
import type { SseWriter } from '../http/sse.js';

const MAX_EVENTS_PER_STREAM = 1000;
const MAX_STREAMS = 64;

interface LoggedEvent {
  seq: number;
  data: string;
}

export class StreamLog {
  private seq = 0;
  private readonly events: LoggedEvent[] = [];
  done = false;
  writer: SseWriter | undefined;

  constructor(readonly id: string) {}

  /** Reserves an id with no payload (the priming event). */
  primeId(): string {
    this.seq += 1;
    return `${this.id}_${this.seq}`;
  }

  /** Records an event and writes it to the attached connection, if any. */
  push(data: string): void {
    this.seq += 1;
    this.events.push({ seq: this.seq, data });
    if (this.events.length > MAX_EVENTS_PER_STREAM) this.events.shift();
    if (this.writer?.isOpen) this.writer.event(data, `${this.id}_${this.seq}`);
  }

  /** Writes every event after `afterSeq` to `writer`. */
  replay(afterSeq: number, writer: SseWriter): void {
    for (const e of this.events) if (e.seq > afterSeq) writer.event(e.data, `${this.id}_${e.seq}`);
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
