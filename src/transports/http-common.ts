/** Checks every HTTP transport applies before the engine sees a message: endpoint id, media type, JSON body. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EndpointLookup } from '../engine/engine.js';
import { sendRpcError } from '../http/replies.js';
import { ErrorCode } from '../protocol/errors.js';
import { classify, decode, parseErrorResponse } from '../protocol/jsonrpc.js';
import { PARTITION } from '../registry/endpoints.js';

export type EndpointRequest = FastifyRequest<{ Params: { endpointId: string } }>;

/** Replies 400/404 and returns false when the endpoint id is malformed or unknown. */
export function checkEndpoint(req: EndpointRequest, reply: FastifyReply, endpoints: EndpointLookup): boolean {
  const id = req.params.endpointId;
  if (endpoints.get(id)) return true;
  if (!PARTITION.test(id)) {
    sendRpcError(reply, 400, ErrorCode.InvalidRequest, 'Bad Request: endpoint id must match [A-Za-z0-9_-]+');
    return false;
  }
  if (!endpoints.get(id)) {
    sendRpcError(reply, 404, ErrorCode.InvalidRequest, `Not Found: no endpoint ${id}`);
    return false;
  }
  return true;
}

/** Decodes a POST body; replies 415 or 400 (-32700) and returns undefined when it cannot. */
export function readJsonBody(
  req: FastifyRequest,
  reply: FastifyReply,
  modern = false,
): { value: unknown } | undefined {
  const id = modern ? 'omit' : null;
  const type = req.headers['content-type'];
  if (type === undefined || !type.toLowerCase().startsWith('application/json')) {
    sendRpcError(
      reply,
      415,
      ErrorCode.ConnectionClosed,
      'Unsupported Media Type: Content-Type must be application/json',
      id,
    );
    return undefined;
  }
  const body = req.body;
  const decoded = typeof body === 'string' ? decode(body) : { ok: false as const };
  if (!decoded.ok) {
    sendRpcError(reply, 400, ErrorCode.ParseError, parseErrorResponse().error.message, id);
    return undefined;
  }
  return { value: decoded.value };
}

/**
 * True when the body calls for a JSON-RPC answer: a request, an invalid message or an empty batch.
 * A body of only well-formed notifications and responses is acknowledged with 202 instead.
 */
export function needsAnswer(value: unknown): boolean {
  if (!Array.isArray(value)) {
    const m = value as { method?: unknown; id?: unknown } | null;
    // The common case, a request, is decided without a full classification.
    if (typeof m?.method === 'string' && m.id !== undefined) return true;
    return !isAcknowledgeable(value);
  }
  return value.length === 0 || !value.every(isAcknowledgeable);
}

function isAcknowledgeable(message: unknown): boolean {
  const kind = classify(message).kind;
  return kind === 'notification' || kind === 'response';
}

export const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Who sent a request: the authenticated principal's id, or `anonymous` when the daemon runs open. */
export function principalOf(req: FastifyRequest): string {
  return (req as { principal?: { id: string } }).principal?.id ?? 'anonymous';
}

/** A session belongs to whoever opened it: anyone else gets the answer for an unknown session. */
export function samePrincipal(http: { session: { principal: string } }, req: FastifyRequest): boolean {
  return http.session.principal === principalOf(req);
}
