/**
 * The hot path of Streamable HTTP, served before Fastify routing: a POST to `/{endpoint_id}/mcp` on a live
 * session whose headers are all in order, or a 2026-07-28 POST (stateless, no session). It applies the same checks and the same answer (answerPost) as the
 * Fastify route; it only skips Fastify's per-request machinery, which is most of the cost of a small tools/call.
 * Anything else (initialize, a missing or unknown session, odd headers, chunked or oversized bodies, credentials
 * the guard has not just allowed) is declined before the body is read and goes through the Fastify route, which owns
 * every error answer.
 */
import type { VerifiedCredentials } from '../auth/verified-credentials.js';
import { partitionFor } from '../registry/endpoints.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Engine, type EndpointLookup } from '../engine/engine.js';
import type { HostOriginCheck } from '../http/host-origin.js';
import { accepts, writeRpcError } from '../http/replies.js';
import { ErrorCode } from '../protocol/errors.js';
import { decode, parseErrorResponse } from '../protocol/jsonrpc.js';
import { isSupportedModernVersion } from '../protocol/modern.js';
import { isSupportedVersion } from '../protocol/versions.js';
import { serveModernPost } from './modern-http.js';
import type { HttpSessionStore } from './http-sessions.js';
import type { StreamSettings } from './post-channel.js';
import { answerPost, INITIALIZE_WITH_SESSION } from './streamable-answer.js';

export interface FastPathOptions extends StreamSettings {
  engine: Engine;
  endpoints: EndpointLookup;
  sessions: HttpSessionStore;
  hostOrigin: HostOriginCheck;
  bodyLimitBytes: number;
  /**
   * Set when requests need credentials: only a request whose Authorization header the guard allowed on this endpoint
   * moments ago is taken (its principal must also own the session); every other one takes the guarded route.
   */
  verified?: VerifiedCredentials;
}

const MCP_PATH = /^\/([A-Za-z0-9_-]{1,128})\/mcp$/;

const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** Returns a request listener that answers the requests it takes and returns false for all others. */
export function streamableFastPath(
  opts: FastPathOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { engine, endpoints, sessions } = opts;
  return (req, res) => {
    if (req.method !== 'POST') return false;
    const match = MCP_PATH.exec(req.url ?? '');
    const h = req.headers;
    // Browser requests (CORS headers) take the Fastify route.
    if (!match || h.origin !== undefined) return false;
    const endpointId =
      h['part-id'] === undefined ? (match[1] ?? '') : partitionFor(match[1] ?? '', h['part-id']);
    if (endpointId === undefined) return false;
    const version = header(h['mcp-protocol-version']);
    // A 2026-07-28 request (by its header) needs no session; its era is confirmed from the body below.
    const modern = version !== undefined && isSupportedModernVersion(version);
    const sid = h['mcp-session-id'];
    const http = !modern && typeof sid === 'string' ? sessions.get(sid) : undefined;
    if (!modern && (!http || http.session.endpointId !== endpointId)) return false;
    let principal = 'anonymous';
    if (opts.verified) {
      const verified = opts.verified.lookup(match[1] ?? '', h.authorization);
      if (!verified || (http && http.session.principal !== verified.id)) return false;
      principal = verified.id;
    }
    if (!endpoints.get(endpointId)) return false;
    const length = Number(h['content-length']);
    if (!(length > 0 && length <= opts.bodyLimitBytes)) return false;
    if (!h['content-type']?.startsWith('application/json')) return false;
    const accept = accepts(h.accept);
    if (!accept.json || !accept.sse) return false;
    if (!modern && version !== undefined && !isSupportedVersion(version)) return false;
    if (opts.hostOrigin(h.host, h.origin) !== undefined) return false;

    const fail = (err: unknown) => {
      engine.logger.error({ err }, 'request failed');
      if (!res.headersSent) res.writeHead(500).end();
      else res.end();
    };
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const text =
        chunks.length === 1 ? (chunks[0] ?? Buffer.alloc(0)).toString() : Buffer.concat(chunks).toString();
      const decoded = decode(text);
      if (!decoded.ok) {
        writeRpcError(res, 400, ErrorCode.ParseError, parseErrorResponse().error.message, modern);
        return;
      }
      if (modern || !http) {
        const headers = {
          version,
          method: header(h['mcp-method']),
          name: header(h['mcp-name']),
          get: (name: string) => header(h[name]),
        };
        // A header-only claim without a body claim is still this era (and refused by the ladder).
        serveModernPost(engine, endpointId, decoded.value, headers, res, opts, principal).catch(fail);
        return;
      }
      if (Engine.isInitialize(decoded.value)) {
        writeRpcError(res, 400, ErrorCode.InvalidRequest, INITIALIZE_WITH_SESSION);
        return;
      }
      answerPost(engine, decoded.value, http.session, http, res, opts).catch(fail);
    });
    return true;
  };
}
