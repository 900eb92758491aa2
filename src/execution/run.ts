/**
 * Runs one piece of bundle code for a request. Errors thrown by bundle code are contained: an error the bundle
 * built with a numeric JSON-RPC `code` becomes that protocol error; anything else becomes a failure the caller
 * reports (as a tool error result, or -32603 for resources and prompts). Stacks go to the log, never to the client.
 */
import type { RequestContext } from '../engine/context.js';
import type { Engine } from '../engine/engine.js';
import { InputRequired } from '../engine/input-required.js';
import { McpError } from '../protocol/errors.js';
import { ModernErrorCode } from '../protocol/modern.js';
import type { Handler } from '../registry/catalog.js';
import { RequestToolContext } from './tool-context.js';

export type Outcome = { ok: true; value: unknown } | { ok: false; message: string };

export type CallKind = 'tool' | 'resource' | 'prompt' | 'completion';

/** Calls per kind that returned and that failed (read by /metrics). */
export type CallCounts = Record<CallKind, { ok: number; failed: number }>;

export function newCallCounts(): CallCounts {
  const zero = () => ({ ok: 0, failed: 0 });
  return { tool: zero(), resource: zero(), prompt: zero(), completion: zero() };
}

export function runHandler(
  handler: Handler,
  args: Record<string, unknown>,
  rc: RequestContext,
  engine: Engine,
  kind: CallKind,
  label: string,
): Promise<Outcome> {
  const counts = engine.callCounts[kind];
  // Promise chaining rather than async/await: this sits on the tools/call hot path and saves a frame per call.
  return handler.invoke(args, new RequestToolContext(rc, engine, handler.settings)).then(
    (value): Outcome => {
      counts.ok++;
      return { ok: true, value };
    },
    (err: unknown): Outcome => {
      // Not failures: a request for client input (2026-07-28), and a capability the request must declare.
      if (err instanceof InputRequired) throw err;
      if (err instanceof McpError && err.code === ModernErrorCode.MissingRequiredClientCapability) throw err;
      counts.failed++;
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
