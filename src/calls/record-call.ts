/**
 * Wraps the execution of one tools/call, resources/read or prompts/get in a call record when the engine has a
 * recorder. Without one, the work runs untouched (the inline hot path pays one property check).
 */
import type { RequestContext } from '../engine/context.js';
import { InputRequired } from '../engine/input-required.js';
import type { Handler } from '../registry/catalog.js';
import { type CallEnd, type CallRecorder, RECORDED_BEHIND } from './recorder.js';

export const MODERN_ERA = '2026-07-28';

/**
 * The note of a call that failed after its request was cancelled (notifications/cancelled, a closed 2026 stream, a
 * cancelled task), whatever the code said as it stopped: `cancelled: ` and the reason. A task rebuilt from its record
 * on another instance reads it as `cancelled` (tasks/task-registry.ts).
 */
export const CANCELLED_NOTE = 'cancelled: ';

const reasonOf = (reason: unknown): string => (reason instanceof Error ? reason.message : String(reason));

/** A failed end of a call whose request was cancelled says so. */
function noteCancel(end: CallEnd, rc: RequestContext): CallEnd {
  if (end.status !== 'failed' || !rc.cancel.aborted) return end;
  return { ...end, notes: CANCELLED_NOTE + reasonOf(rc.cancel.reason) };
}

export function recordCall<R>(
  recorder: CallRecorder | undefined,
  rc: RequestContext,
  mcpType: 'tool' | 'resource' | 'prompt',
  name: string,
  args: unknown,
  handler: Handler | undefined,
  work: () => R | Promise<R>,
  summarize: (result: R) => CallEnd,
  onBegin?: (uuid: string) => void,
  uuid?: string,
): R | Promise<R> {
  if (!recorder) return work();
  const handle = recorder.begin({
    partition: rc.endpoint.id,
    name,
    mcpType,
    arguments: args,
    era: rc.modern ? MODERN_ERA : rc.session.protocolVersion,
    sessionId: rc.session.id ?? null,
    requestId: rc.requestId,
    principal: rc.session.principal,
    bundleVersion: handler?.bundleVersion ?? null,
    isolation: handler?.isolation ?? 'inline',
    uuid,
  });
  onBegin?.(handle.uuid);
  const done = (result: R): R | Promise<R> => {
    const written = recorder.end(handle, noteCancel(summarize(result), rc));
    return written === RECORDED_BEHIND ? result : written.then(() => result);
  };
  const failed = (err: unknown): Promise<R> => {
    const end: CallEnd =
      err instanceof InputRequired
        ? { status: 'completed', content: null, notes: 'input required: the client answers in a retry' }
        : { status: 'failed', content: null, notes: err instanceof Error ? err.message : String(err) };
    return recorder.end(handle, noteCancel(end, rc)).then(() => Promise.reject(err as Error));
  };
  let pending: R | Promise<R>;
  try {
    pending = work();
  } catch (err) {
    return failed(err);
  }
  // A result the work returned at once (inline code) is answered at once: no promise, no turn of the event loop.
  return isPromiseLike(pending) ? Promise.resolve(pending).then(done, failed) : done(pending);
}

const isPromiseLike = <R>(v: R | Promise<R>): v is Promise<R> =>
  typeof (v as { then?: unknown } | null)?.then === 'function';

/** A tool result: failed when isError, with the first text as the note. */
export function toolOutcome(result: {
  content?: unknown;
  isError?: boolean;
  structuredContent?: unknown;
}): CallEnd {
  const failed = result.isError === true;
  const first = Array.isArray(result.content)
    ? (result.content[0] as { text?: unknown } | undefined)
    : undefined;
  return {
    status: failed ? 'failed' : 'completed',
    content: result.content ?? null,
    notes: failed && typeof first?.text === 'string' ? first.text : null,
    ...(result.structuredContent !== undefined ? { structuredContent: result.structuredContent } : {}),
  };
}
