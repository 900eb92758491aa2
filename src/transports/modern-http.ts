/**
 * 2026-07-28 requests over Streamable HTTP: stateless POSTs (no session, no resumability), checked against the
 * spec's validation ladder, answered with JSON or SSE through a PostChannel, with the HTTP status each protocol
 * error calls for. Closing the response cancels the request.
 */
import type { ServerResponse } from 'node:http';
import { Cancellation } from '../engine/cancellation.js';
import type { Engine } from '../engine/engine.js';
import { dispatchModern } from '../engine/modern-dispatch.js';
import { writeJson } from '../http/replies.js';
import { ErrorCode } from '../protocol/errors.js';
import { classify, type JsonRpcError, type RequestId } from '../protocol/jsonrpc.js';
import { ModernErrorCode } from '../protocol/modern.js';
import { checkModernRequest, type ModernHeaders } from '../protocol/modern-ladder.js';
import { checkHeaderParams } from '../registry/x-mcp-header.js';
import { PostChannel, type StreamSettings } from './post-channel.js';

/** An error response; `id` is left out when unknown (2026-07-28 does not allow a null id). */
function modernError(id: RequestId | null, code: number, message: string, data?: unknown): JsonRpcError {
  const error = data === undefined ? { code, message } : { code, message, data };
  return (id === null ? { jsonrpc: '2.0', error } : { jsonrpc: '2.0', id, error }) as JsonRpcError;
}

export async function serveModernPost(
  engine: Engine,
  endpointId: string,
  value: unknown,
  headers: ModernHeaders,
  res: ServerResponse,
  settings: StreamSettings,
  principal = 'anonymous',
): Promise<void> {
  const c = classify(value);
  if (c.kind === 'invalid') {
    writeJson(res, modernError(c.error.id, ErrorCode.InvalidRequest, c.error.error.message), undefined, 400);
    return;
  }
  if (c.kind !== 'request') {
    // No client notification or response means anything statelessly over HTTP (cancellation is closing the stream).
    res.writeHead(202).end();
    return;
  }
  const request = c.message;
  if (!engine.endpoints.get(endpointId)) {
    writeJson(
      res,
      modernError(request.id, ErrorCode.InvalidRequest, `Not Found: no endpoint ${endpointId}`),
      undefined,
      404,
    );
    return;
  }
  const checked = checkModernRequest(request, headers);
  if (!checked.ok) {
    const f = checked.failure;
    writeJson(res, modernError(request.id, f.code, f.message, f.data), undefined, f.status);
    return;
  }
  if (request.method === 'tools/call' && headers.get) {
    const tool = engine.endpoints.get(endpointId)?.catalog.tools.get(String(request.params?.['name']));
    const problem = tool?.headerParams
      ? checkHeaderParams(tool.headerParams, request.params?.['arguments'], headers.get)
      : undefined;
    if (problem) {
      writeJson(
        res,
        modernError(request.id, ModernErrorCode.HeaderMismatch, `Header mismatch: ${problem}`),
        undefined,
        400,
      );
      return;
    }
  }
  const cancel = new Cancellation();
  res.on('close', () => {
    if (!res.writableFinished) cancel.abort(new Error('the client closed the stream'));
  });
  const channel = new PostChannel(res, undefined, undefined, settings);
  const outcome = await dispatchModern(
    engine,
    request,
    checked.envelope,
    endpointId,
    channel,
    cancel,
    principal,
  );
  channel.finish(outcome.response, outcome.status);
}
