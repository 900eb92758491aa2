/**
 * Live HTTP sessions (Streamable HTTP and legacy SSE) by id. Ids are 128-bit random (UUID v4 from the CSPRNG).
 * Sessions idle longer than the configured time are closed by a sweeper.
 */
import { randomUUID } from 'node:crypto';
import type { SessionHub } from '../engine/hub.js';
import { Session } from '../engine/session.js';
import type { SseWriter } from '../http/sse.js';
import { SessionStreams } from './event-log.js';

export class HttpSession {
  lastSeen = Date.now();
  streams: SessionStreams | undefined;
  /** The newest open standalone (GET) or legacy SSE stream, if any: the one server messages go to. */
  stream: SseWriter | undefined;
  /** Older standalone GET streams still open, oldest first. */
  private older: SseWriter[] = [];

  constructor(readonly session: Session) {}

  get streamLog(): SessionStreams {
    return (this.streams ??= new SessionStreams());
  }

  /**
   * A new standalone GET stream, now the newest. A client may hold several (the spec allows it, and the official SDK
   * keeps two once it has resumed a cancelled request's stream); more than `max` end the oldest, often a half-dead
   * connection its client gave up on.
   */
  addStream(writer: SseWriter, max: number): void {
    if (this.stream?.isOpen) this.older.push(this.stream);
    this.older = this.older.filter((w) => w.isOpen);
    while (this.older.length >= max) this.older.shift()?.end();
    this.stream = writer;
  }

  /** A standalone stream closed; returns the newest one still open, which takes its place when it was the newest. */
  dropStream(writer: SseWriter): SseWriter | undefined {
    this.older = this.older.filter((w) => w !== writer && w.isOpen);
    if (this.stream === writer) this.stream = this.older.pop();
    return this.stream;
  }

  /** Standalone streams open now. */
  get openStreams(): number {
    return this.older.filter((w) => w.isOpen).length + (this.stream?.isOpen ? 1 : 0);
  }

  /** Ends every open stream (the session is gone). */
  endStreams(): void {
    for (const w of this.older) w.end();
    this.older = [];
    this.stream?.end();
  }
}

export class HttpSessionStore {
  private readonly sessions = new Map<string, HttpSession>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly hub: SessionHub,
    idleMs: number,
  ) {
    this.sweeper = setInterval(() => this.sweep(idleMs), Math.min(idleMs, 60_000));
    this.sweeper.unref();
  }

  create(endpointId: string): HttpSession {
    const http = new HttpSession(new Session(endpointId, randomUUID()));
    return http;
  }

  /** Makes a session reachable by id (after its initialize succeeded). */
  add(http: HttpSession): void {
    const id = http.session.id;
    if (id === undefined) throw new Error('an HTTP session needs an id');
    this.sessions.set(id, http);
    this.hub.add(http.session);
  }

  get(id: string): HttpSession | undefined {
    const s = this.sessions.get(id);
    if (s) s.lastSeen = Date.now();
    return s;
  }

  delete(id: string): boolean {
    const s = this.sessions.get(id);
    if (!s) return false;
    this.sessions.delete(id);
    this.hub.remove(s.session);
    s.session.close();
    s.endStreams();
    return true;
  }

  get size(): number {
    return this.sessions.size;
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const id of [...this.sessions.keys()]) this.delete(id);
  }

  private sweep(idleMs: number): void {
    const cutoff = Date.now() - idleMs;
    for (const [id, s] of this.sessions) {
      if (s.lastSeen < cutoff && !s.stream?.isOpen && !s.session.inflight?.size) this.delete(id);
    }
  }
}
