/**
 * Legacy HTTP+SSE transport (MCP 2024-11-05): `GET /{endpoint_id}/sse` opens the stream and names the POST URL in
 * its `endpoint` event; POSTs to that URL are acknowledged with 202 and answered as `message` events on the stream.
 * The older engine's `connected` event follows `endpoint`, so its clients keep working, as do its `heartbeat`
 * events when idle and its `mcp_activity` echo of session-less POSTs to `/{endpoint_id}/sse` (activity-feed.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EndpointLookup, Engine } from '../engine/engine.js';
import { sendRpcError } from '../http/replies.js';
import { SseWriter } from '../http/sse.js';
import { ErrorCode } from '../protocol/errors.js';
import type { JsonRpcMessage } from '../protocol/jsonrpc.js';
import {
  checkEndpoint,
  type EndpointRequest,
  principalOf,
  readJsonBody,
  samePrincipal,
} from './http-common.js';
import { endpointOf } from '../store/index.js';
import type { HttpSessionStore } from './http-sessions.js';
import { handlePlainJson } from './plain-json.js';
import { ActivityFeed } from './activity-feed.js';

export interface LegacySseOptions {
  engine: Engine;
  endpoints: EndpointLookup;
  sessions: HttpSessionStore;
  keepAliveMs: number;
  /** The older engine's per-user `mcp_activity` events on `GET /{endpoint_id}/sse`. */
  activity: ActivityFeed;
}

type MessageRequest = FastifyRequest<{ Params: { endpointId: string }; Querystring: { sessionId?: string } }>;

export function registerLegacySse(app: FastifyInstance, opts: LegacySseOptions): void {
  const { engine, endpoints, sessions } = opts;

  app.get('/:endpointId/sse', async (req: EndpointRequest, reply) => {
    if (!checkEndpoint(req, reply, endpoints)) return reply;
    const endpointId = req.params.endpointId;
    const http = sessions.create(endpointId);
    http.session.principal = principalOf(req);
    const id = http.session.id ?? '';
    http.session.protocolVersion = '2024-11-05';
    sessions.add(http);
    reply.hijack();
    const writer = new SseWriter(reply.raw, {}, opts.keepAliveMs, true);
    http.stream = writer;
    http.session.notifier = (m: JsonRpcMessage) => writer.event(JSON.stringify(m), undefined, 'message');
    // The path names the endpoint; a Part-ID travels as a header on the POSTs too.
    writer.event(`/${endpointOf(endpointId)}/messages?sessionId=${id}`, undefined, 'endpoint');
    writer.event(
      JSON.stringify({ client_id: id, timestamp: new Date().toISOString() }),
      undefined,
      'connected',
    );
    writer.onClose(() => sessions.delete(id));
    const lastEventId = req.headers['last-event-id'];
    opts.activity.subscribe(
      ActivityFeed.key(endpointId, principalOf(req)),
      writer,
      typeof lastEventId === 'string' ? lastEventId : undefined,
    );
    return reply;
  });

  const onMessage = async (req: MessageRequest, reply: FastifyReply) => {
    if (!checkEndpoint(req, reply, endpoints)) return reply;
    const sessionId = req.query.sessionId;
    const body = readJsonBody(req, reply);
    if (!body) return reply;
    if (sessionId === undefined) {
      // The older engine's call: answered in the body, and echoed to the caller's own activity streams.
      const endpointId = req.params.endpointId;
      const key = ActivityFeed.key(endpointId, principalOf(req));
      const echo = req.routeOptions.url?.endsWith('/sse') === true;
      return handlePlainJson(engine, endpointId, body.value, reply, undefined, (request, response) => {
        if (!echo) return;
        const method = (request as { method?: unknown } | null)?.method;
        opts.activity.publish(key, typeof method === 'string' ? method : 'batch', request, response ?? null);
      });
    }
    const http = sessions.get(sessionId);
    if (
      !http ||
      http.session.endpointId !== req.params.endpointId ||
      !http.stream?.isOpen ||
      !samePrincipal(http, req)
    ) {
      return sendRpcError(
        reply,
        404,
        ErrorCode.ConnectionClosed,
        'Session not found: open GET /{endpoint_id}/sse first',
      );
    }
    const session = http.session;
    const send = (m: JsonRpcMessage) => session.notifier?.(m);
    engine.handle(body.value, session, { send }).then(
      (res) => {
        if (res !== undefined) session.notifier?.(res as JsonRpcMessage);
      },
      (err: unknown) => engine.logger.error({ err }, 'legacy SSE message failed'),
    );
    return reply.code(202).header('content-type', 'text/plain').send('Accepted');
  };

  app.post('/:endpointId/messages', onMessage);
  app.post('/:endpointId/sse', onMessage);
}
