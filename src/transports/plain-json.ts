/**
 * The older engine's plain-JSON calls (`POST /{endpoint_id}/mcp` and `POST /{endpoint_id}/sse` without a session):
 * one JSON-RPC message in, its response in the HTTP body, no session and no stream.
 */
import type { FastifyReply } from 'fastify';
import { Engine } from '../engine/engine.js';
import { Session } from '../engine/session.js';
import { sendJson } from '../http/replies.js';
import { isSupportedVersion } from '../protocol/versions.js';
import { principalOf } from './http-common.js';

export async function handlePlainJson(
  engine: Engine,
  endpointId: string,
  value: unknown,
  reply: FastifyReply,
  version: string | undefined,
  /** Told of every message and its answer (`undefined` for a notification). */
  onAnswer?: (request: unknown, response: unknown) => void,
): Promise<FastifyReply> {
  const session = new Session(endpointId);
  session.principal = principalOf(reply.request);
  session.initialized = !Engine.isInitialize(value);
  session.backchannel = false;
  session.protocolVersion = version !== undefined && isSupportedVersion(version) ? version : '2024-11-05';
  const response = await engine.handle(value, session, { send: () => {} });
  onAnswer?.(value, response);
  if (response === undefined) return reply.code(202).send();
  return sendJson(reply, response);
}
