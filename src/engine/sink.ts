/** The channel a transport hands the engine for messages that belong to one request. */
import type { JsonRpcMessage } from '../protocol/jsonrpc.js';

export interface MessageSink {
  /** Sends a notification or server→client request tied to the request being handled. */
  send(message: JsonRpcMessage): void;
  /**
   * Ends the current stream connection early while the request keeps running (SSE polling, 2025-11-25):
   * later messages are kept and the client resumes with Last-Event-ID. Absent where a transport cannot.
   */
  closeStream?(): void;
}

/** A sink that routes to the session's notifier, dropping messages when there is none. */
export const toNotifier = (notify: ((m: JsonRpcMessage) => void) | undefined): MessageSink => ({
  send: (m) => notify?.(m),
});
