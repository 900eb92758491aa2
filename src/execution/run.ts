/**
 * Runs one piece of bundle code for a request. Errors thrown by bundle code are contained: an error the bundle
 * built with a numeric JSON-RPC `code` becomes that protocol error; anything else becomes a failure the caller
 * reports (as a tool error result, or -32603 for resources and prompts). Stacks go to the log, never to the client.
 */
import type { RequestContext } from '../engine/context.js';
import type { Engine } from '../engine/engine.js';
import { InputRequired } from '../engine/input-required.js';
import { ErrorCode, McpError } from '../protocol/errors.js';
import { ModernErrorCode } from '../protocol/modern.js';
import type { Handler } from '../registry/catalog.js';
import { Deadline } from './deadline.js';
import { SERVER_BUSY } from './limiter.js';
import { RequestToolContext } from './tool-context.js';

export type Outcome = { ok: true; value: unknown } | { ok: false; message: string };

export function runHandler(
  handler: Handler,
  args: Record<string, unknown>,
  rc: RequestContext,
  engine: Engine,
  label: string,
): Promise<Outcome> {
  const timeoutMs = handler.timeoutMs ?? engine.limits.callTimeoutMs;
  const call = () => {
    const invoke = () => handler.invoke(args, new RequestToolContext(rc, engine, handler.settings));
    return timeoutMs > 0 ? withTimeout(invoke, timeoutMs, rc, label) : invoke();
  };
  // Promise chaining rather than async/await: this sits on the tools/call hot path and saves a frame per call.
  return engine.limiter.run(rc.endpoint.id, call).then(
    (value): Outcome => ({ ok: true, value }),
    (err: unknown): Outcome => {
      // Not failures of the bundle: a request for client input (2026-07-28), a capability the request must
      // declare, and a full endpoint (the caller should retry).
      if (err instanceof InputRequired) throw err;
      if (
        err instanceof McpError &&
        (err.code === ModernErrorCode.MissingRequiredClientCapability || err.code === SERVER_BUSY)
      ) {
        throw err;
      }
      const code = (err as { code?: unknown } | null)?.code;
      const message = err instanceof Error ? err.message : String(err);
      // A bundle may answer with a protocol error on purpose; the runtime's own McpErrors that reach bundle code
      // (a client that declined sampling, a missing capability, a timeout) stay failures of the bundle's call.
      if (typeof code === 'number' && Number.isInteger(code) && !(err instanceof McpError)) {
        throw new McpError(code, message, (err as { data?: unknown }).data);
      }
      if (!rc.cancel.aborted) engine.logger.warn({ err, endpoint: rc.endpoint.id }, `${label} failed`);
      return { ok: false, message: message || `${label} failed` };
    },
  );
}

/**
 * Settles with a timeout error once the call has used `ms` of its own time (waiting for the client does not
 * count), and tells the bundle code to stop through its signal.
 */
function withTimeout<T>(invoke: () => Promise<T>, ms: number, rc: RequestContext, label: string): Promise<T> {
  let deadline: Deadline | undefined;
  const expired = new Promise<never>((_, reject) => {
    deadline = new Deadline(ms, () => {
      const err = new McpError(ErrorCode.RequestTimeout, `${label} timed out after ${ms} ms`);
      rc.cancel.expire(err);
      reject(err);
    });
  });
  // Set before the code runs: its first client request may come synchronously.
  rc.deadline = deadline;
  let running: Promise<T>;
  try {
    running = invoke();
  } catch (err) {
    running = Promise.reject(err);
  }
  return Promise.race([running, expired]).finally(() => {
    deadline?.clear();
    rc.deadline = undefined;
  });
}
