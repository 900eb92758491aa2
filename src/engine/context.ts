/** What the engine knows about one request while it is being served. */
import type { RequestId } from '../protocol/jsonrpc.js';
import type { Endpoint } from '../registry/catalog.js';
import type { Cancellation } from './cancellation.js';
import type { ModernRound } from './input-required.js';
import type { Session } from './session.js';
import type { MessageSink } from './sink.js';

export interface RequestContext {
  readonly session: Session;
  readonly endpoint: Endpoint;
  readonly requestId: RequestId;
  readonly cancel: Cancellation;
  readonly progressToken: string | number | undefined;
  readonly sink: MessageSink;
  /** Set for 2026-07-28 requests: the answers their bundle code can draw on (multi-round-trip). */
  readonly modern?: ModernRound | undefined;
}
