/**
 * Streamable HTTP transport (MCP 2025-03-26 … 2025-11-25) on `/{endpoint_id}/mcp`: POST carries client messages,
 * GET opens the standalone server stream (resumable with Last-Event-ID), DELETE ends a session.
 * A POST without `text/event-stream` in Accept and without a session is the older engine's plain-JSON call.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { type EndpointLookup, Engine } from '../engine/engine.js';
import { Session } from '../engine/session.js';
import { accepts, sendJson, sendRpcError } from '../http/replies.js';
import { SseWriter } from '../http/sse.js';
import { ErrorCode } from '../protocol/errors.js';
import { isModern } from '../protocol/modern.js';
import { atLeast, DEFAULT_HTTP_VERSION, isSupportedVersion } from '../protocol/versions.js';
import {
  checkEndpoint,
  principalOf,
  samePrincipal,
  type EndpointRequest,
  header,
  readJsonBody,
} from './http-common.js';
import type { HttpSession, HttpSessionStore } from './http-sessions.js';
import { serveModernPost } from './modern-http.js';
import { handlePlainJson } from './plain-json.js';
import type { StreamSettings } from './post-channel.js';
import { answerPost, INITIALIZE_WITH_SESSION } from './streamable-answer.js';

export interface StreamableHttpOptions extends StreamSettings {
  engine: Engine;
  endpoints: EndpointLookup;
  sessions: HttpSessionStore;
  stateless: boolean;
}

/** Standalone GET streams a session may hold open at once; a new one beyond ends the oldest. */
export const MAX_GET_STREAMS = 4;

/** 2026-07-28 has no GET stream and no sessions to delete. */
const modernNotAllowed = (reply: FastifyReply) =>
  reply
    .code(405)
    .header('allow', 'POST')
    .header('content-type', 'application/json')
    .send(
      JSON.stringify({
        jsonrpc: '2.0',
        error: { code: ErrorCode.ConnectionClosed, message: 'Method not allowed.' },
      }),
    );

const missingSession = (reply: FastifyReply) =>
  sendRpcError(reply, 400, ErrorCode.ConnectionClosed, 'Bad Request: Mcp-Session-Id header is required');
const unknownSession = (reply: FastifyReply) =>
  sendRpcError(
    reply,
    404,
    ErrorCode.ConnectionClosed,
    'Session not found: it expired or was terminated; initialize again',
  );

export function registerStreamableHttp(app: FastifyInstance, opts: StreamableHttpOptions): void {
  const { engine, endpoints, sessions } = opts;

  /** Finds the session a request names, replying 400/404 when it cannot. Sessions never cross endpoints. */
  const lookup = (req: EndpointRequest, reply: FastifyReply): HttpSession | undefined => {
    const id = header(req, 'mcp-session-id');
    if (id === undefined) {
      missingSession(reply);
      return undefined;
    }
    const http = sessions.get(id);
    if (!http || http.session.endpointId !== req.params.endpointId || !samePrincipal(http, req)) {
      unknownSession(reply);
      return undefined;
    }
    return http;
  };

  /** GET and DELETE exist only with sessions: not for 2026-07-28 requests, not on a stateless server. */
  const sessionRouteAllowed = (req: EndpointRequest, reply: FastifyReply): boolean => {
    if (!checkEndpoint(req, reply, endpoints)) return false;
    if (isModern(undefined, header(req, 'mcp-protocol-version'))) {
      modernNotAllowed(reply);
      return false;
    }
    if (opts.stateless) {
      sendRpcError(
        reply.header('allow', 'POST'),
        405,
        ErrorCode.ConnectionClosed,
        'Method Not Allowed: stateless server',
      );
      return false;
    }
    return true;
  };

  const versionOk = (req: EndpointRequest, reply: FastifyReply): boolean => {
    const v = header(req, 'mcp-protocol-version');
    if (v === undefined || isSupportedVersion(v)) return true;
    sendRpcError(
      reply,
      400,
      ErrorCode.ConnectionClosed,
      `Bad Request: unsupported MCP-Protocol-Version: ${v}`,
    );
    return false;
  };

  app.post('/:endpointId/mcp', async (req: EndpointRequest, reply) => {
    const headerVersion = header(req, 'mcp-protocol-version');
    // A 2026-07-28 request (by its header) is checked for its endpoint after its body is read, so that the
    // refusal can carry the request id (that era has no `id: null`).
    const modernByHeader = isModern(undefined, headerVersion);
    if (!modernByHeader && !checkEndpoint(req, reply, endpoints)) return reply;
    const body = readJsonBody(req, reply, modernByHeader);
    if (!body) return reply;
    if (isModern(body.value, headerVersion)) {
      const headers = {
        version: headerVersion,
        method: header(req, 'mcp-method'),
        name: header(req, 'mcp-name'),
        get: (name: string) => header(req, name),
      };
      reply.hijack();
      await serveModernPost(
        engine,
        req.params.endpointId,
        body.value,
        headers,
        reply.raw,
        opts,
        principalOf(req),
      );
      return reply;
    }
    const accept = accepts(req.headers.accept);
    const sessionId = header(req, 'mcp-session-id');
    // Streamable HTTP clients name text/event-stream explicitly; the older engine's clients send */* or nothing.
    const streamableClient = req.headers.accept?.includes('text/event-stream') === true;
    if (!streamableClient && sessionId === undefined && !opts.stateless) {
      return handlePlainJson(
        engine,
        req.params.endpointId,
        body.value,
        reply,
        header(req, 'mcp-protocol-version'),
      );
    }
    if (!accept.json || !accept.sse) {
      return sendRpcError(
        reply,
        406,
        ErrorCode.ConnectionClosed,
        'Not Acceptable: the client must accept both application/json and text/event-stream',
      );
    }
    if (!versionOk(req, reply)) return reply;
    const value = body.value;

    if (!opts.stateless && Engine.isInitialize(value)) {
      if (sessionId !== undefined) {
        return sendRpcError(reply, 400, ErrorCode.InvalidRequest, INITIALIZE_WITH_SESSION);
      }
      const http = sessions.create(req.params.endpointId);
      http.session.principal = principalOf(req);
      const response = await engine.handle(value, http.session, { send: () => {} });
      if (http.session.initialized) {
        sessions.add(http);
        return sendJson(reply, response ?? [], { 'mcp-session-id': http.session.id ?? '' });
      }
      return sendJson(reply, response ?? []);
    }

    let http: HttpSession | undefined;
    let session: Session;
    if (opts.stateless) {
      session = new Session(req.params.endpointId);
      session.principal = principalOf(req);
      session.initialized = !Engine.isInitialize(value);
      session.backchannel = false;
      session.protocolVersion = header(req, 'mcp-protocol-version') ?? DEFAULT_HTTP_VERSION;
    } else {
      http = lookup(req, reply);
      if (!http) return reply;
      session = http.session;
    }

    reply.hijack();
    await answerPost(engine, value, session, http, reply.raw, opts);
    return reply;
  });

  app.get('/:endpointId/mcp', async (req: EndpointRequest, reply) => {
    if (!sessionRouteAllowed(req, reply)) return reply;
    if (!accepts(req.headers.accept).sse) {
      return sendRpcError(
        reply,
        406,
        ErrorCode.ConnectionClosed,
        'Not Acceptable: the client must accept text/event-stream',
      );
    }
    if (!versionOk(req, reply)) return reply;
    const http = lookup(req, reply);
    if (!http) return reply;
    const lastEventId = header(req, 'last-event-id');
    const resumed = lastEventId === undefined ? undefined : http.streamLog.locate(lastEventId);
    if (resumed && resumed.log.id !== '0') {
      reply.hijack();
      const writer = new SseWriter(reply.raw, { 'mcp-session-id': http.session.id ?? '' }, opts.keepAliveMs);
      resumed.log.replay(resumed.seq, writer);
      if (resumed.log.done) writer.end();
      else resumed.log.writer = writer;
      return reply;
    }
    // Server messages go to the newest GET stream; older ones stay open (up to MAX_GET_STREAMS), so a client holding
    // two never has them end each other, and a reconnecting client is never locked out.
    reply.hijack();
    const writer = new SseWriter(reply.raw, { 'mcp-session-id': http.session.id ?? '' }, opts.keepAliveMs);
    const log = http.streamLog.standalone();
    if (resumed) log.replay(resumed.seq, writer, true);
    else if (atLeast(http.session.protocolVersion, '2025-11-25'))
      writer.prime(log.primeId(writer), opts.sseRetryMs);
    log.writer = writer;
    http.addStream(writer, MAX_GET_STREAMS);
    http.session.notifier = (m) => log.push(JSON.stringify(m));
    writer.onClose(() => {
      const newest = http.dropStream(writer);
      if (log.writer === writer) log.writer = newest;
    });
    return reply;
  });

  app.delete('/:endpointId/mcp', async (req: EndpointRequest, reply) => {
    if (!sessionRouteAllowed(req, reply)) return reply;
    if (!versionOk(req, reply)) return reply;
    const http = lookup(req, reply);
    if (!http) return reply;
    sessions.delete(http.session.id ?? '');
    return reply.code(200).send();
  });
}
