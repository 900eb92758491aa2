/** HTTP replies that carry a JSON-RPC error body, for failures detected before the engine sees a message. */
import type { FastifyReply } from 'fastify';
import { errorResponse, type JsonRpcMessage, type RequestId } from '../protocol/jsonrpc.js';

export function sendRpcError(
  reply: FastifyReply,
  status: number,
  code: number,
  message: string,
  id: RequestId | null = null,
): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'application/json')
    .send(JSON.stringify(errorResponse(id, code, message)));
}

export function sendJson(
  reply: FastifyReply,
  body: JsonRpcMessage | JsonRpcMessage[],
  headers?: Record<string, string>,
) {
  if (headers) reply.headers(headers);
  return reply.code(200).header('content-type', 'application/json').send(JSON.stringify(body));
}

/** Parsed Accept header flags. A missing header or a wildcard accepts everything. */
export function accepts(header: string | undefined): { json: boolean; sse: boolean } {
  if (header === undefined || header === '' || header.includes('*/*')) return { json: true, sse: true };
  return { json: header.includes('application/json'), sse: header.includes('text/event-stream') };
}
