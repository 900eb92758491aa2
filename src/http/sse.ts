/**
 * Server-Sent Events over a raw Node response: headers, events with ids, keep-alive comments, close detection.
 * Shared by the Streamable HTTP and legacy SSE transports.
 */
import type { ServerResponse } from 'node:http';

export class SseWriter {
  private keepAlive: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly closeListeners: Array<() => void> = [];

  constructor(
    private readonly res: ServerResponse,
    headers: Record<string, string>,
    keepAliveMs: number,
    /** Send the older engine's `event: heartbeat` (with a timestamp) instead of a comment when idle. */
    heartbeatEvent = false,
  ) {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...headers,
    });
    res.flushHeaders();
    res.on('close', () => this.markClosed());
    this.keepAlive = setInterval(
      () =>
        this.write(
          heartbeatEvent
            ? `event: heartbeat\ndata: {"timestamp":"${new Date().toISOString()}"}\n\n`
            : ': keep-alive\n\n',
        ),
      keepAliveMs,
    );
    this.keepAlive.unref();
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Writes one event; `data` must be a single line (JSON is). */
  event(data: string, id?: string, event?: string): void {
    let chunk = '';
    if (id !== undefined) chunk += `id: ${id}\n`;
    if (event !== undefined) chunk += `event: ${event}\n`;
    this.write(`${chunk}data: ${data}\n\n`);
  }

  /** The priming event of 2025-11-25: an id and empty data, so the client can resume from here. */
  prime(id: string, retryMs: number): void {
    this.write(`id: ${id}\nretry: ${retryMs}\ndata: \n\n`);
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  end(): void {
    if (this.closed) return;
    this.res.end();
    this.markClosed();
  }

  private write(chunk: string): void {
    if (!this.closed) this.res.write(chunk);
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    for (const l of this.closeListeners.splice(0)) l();
  }
}
