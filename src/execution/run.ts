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
import { type Release, SERVER_BUSY } from './limiter.js';
import { RequestToolContext } from './tool-context.js';

export type Outcome = { ok: true; value: unknown } | { ok: false; message: string };

export function runHandler(
  handler: Handler,
  args: Record<string, unknown>,
  rc: RequestContext,
  engine: Engine,
  label: string,
): Promise<Outcome> {
  let slot: Release | Promise<Release>;
  try {
    slot = engine.limiter.acquire(rc.endpoint.id);
  } catch (err) {
    return Promise.reject(err);
  }
  if (typeof slot === 'function') return runInSlot(slot, handler, args, rc, engine, label);
  return slot.then((release) => runInSlot(release, handler, args, rc, engine, label));
}

/**
 * One promise per call that settles on the first of: the code's result, its failure, or its time budget running
 * out (which also aborts the code's signal). The slot is released and the budget cleared exactly once.
 */
function runInSlot(
  release: Release,
  handler: Handler,
  args: Record<string, unknown>,
  rc: RequestContext,
  engine: Engine,
  label: string,
): Promise<Outcome> {
  const timeoutMs = handler.timeoutMs ?? engine.limits.callTimeoutMs;
  return new Promise<Outcome>((resolve, reject) => {
    let settled = false;
    let deadline: Deadline | undefined;
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      deadline?.clear();
      rc.deadline = undefined;
      release();
      return true;
    };
    const fail = (err: unknown) => {
      if (!finish()) return;
      try {
        resolve(toOutcome(err, rc, engine, label));
      } catch (protocolError) {
        reject(protocolError);
      }
    };
    if (timeoutMs > 0) {
      deadline = new Deadline(timeoutMs, () => {
        const err = new McpError(ErrorCode.RequestTimeout, `${label} timed out after ${timeoutMs} ms`);
        rc.cancel.expire(err);
        fail(err);
      });
      // Set before the code runs: its first client request may come synchronously.
      rc.deadline = deadline;
    }
    let running: Promise<unknown>;
    try {
      running = handler.invoke(args, new RequestToolContext(rc, engine, handler.settings));
    } catch (err) {
      running = Promise.reject(err);
    }
    running.then((value) => {
      if (finish()) resolve({ ok: true, value });
    }, fail);
  });
}

/** What a failure of bundle code means for the request: a failure to report, or a protocol error to throw. */
function toOutcome(err: unknown, rc: RequestContext, engine: Engine, label: string): Outcome {
  // Not failures of the bundle: a request for client input (2026-07-28), a capability the request must declare,
  // and a full endpoint (the caller should retry).
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
}
