/**
 * A pass-through SDK Transport that records every JSON-RPC message in both directions, so tests can assert on
 * the wire (negotiated version, progress tokens, responses that must never arrive) without mocking anything.
 */
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';

export interface WireEntry {
  direction: 'in' | 'out';
  message: JSONRPCMessage;
}

export class RecordingTransport implements Transport {
  readonly log: WireEntry[] = [];
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;

  constructor(readonly inner: Transport) {}

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }

  async start(): Promise<void> {
    this.inner.onmessage = (message, extra) => {
      this.log.push({ direction: 'in', message });
      this.onmessage?.(message, extra);
    };
    this.inner.onerror = (error) => this.onerror?.(error);
    this.inner.onclose = () => this.onclose?.();
    await this.inner.start();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    this.log.push({ direction: 'out', message });
    await this.inner.send(message, options);
  }

  async close(): Promise<void> {
    await this.inner.close();
  }

  /** Messages the server sent, as plain records. */
  received(): Record<string, unknown>[] {
    return this.log.filter((e) => e.direction === 'in').map((e) => e.message as Record<string, unknown>);
  }

  /** Messages the client sent, as plain records. */
  sent(): Record<string, unknown>[] {
    return this.log.filter((e) => e.direction === 'out').map((e) => e.message as Record<string, unknown>);
  }

  /** Server notifications with the given method. */
  notifications(method: string): Record<string, unknown>[] {
    return this.received().filter((m) => m['method'] === method && !('id' in m));
  }

  /** Server responses (result or error) to the client request with this id. */
  responsesTo(id: number | string): Record<string, unknown>[] {
    return this.received().filter((m) => m['id'] === id && !('method' in m));
  }

  /** The id of the latest request the client sent with this method (and tool name, for tools/call). */
  lastRequestId(method: string, toolName?: string): number | string | undefined {
    for (const e of [...this.log].reverse()) {
      if (e.direction !== 'out') continue;
      const m = e.message as Record<string, unknown>;
      if (m['method'] !== method || !('id' in m)) continue;
      const params = m['params'] as Record<string, unknown> | undefined;
      if (toolName !== undefined && params?.['name'] !== toolName) continue;
      return m['id'] as number | string;
    }
    return undefined;
  }
}
