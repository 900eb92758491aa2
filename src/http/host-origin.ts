/**
 * DNS-rebinding protection: the Host header must name an allowed host, and a browser's Origin header an allowed
 * origin. Bound to loopback, the defaults allow only loopback names. Rejections are 403 with a JSON-RPC error body.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isLoopback } from '../config/config.js';
import { ErrorCode } from '../protocol/errors.js';
import { sendRpcError } from './replies.js';

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

export interface HostOriginOptions {
  boundHost: string;
  allowedHosts: readonly string[];
  allowedOrigins: readonly string[];
}

function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1).toLowerCase();
  const colon = host.indexOf(':');
  return (colon === -1 ? host : host.slice(0, colon)).toLowerCase();
}

/** Why a request's Host or Origin is refused, or undefined when both are acceptable. */
export type HostOriginCheck = (host: string | undefined, origin: string | undefined) => string | undefined;

export function createHostOriginCheck(opts: HostOriginOptions): HostOriginCheck {
  const hosts = new Set(
    opts.allowedHosts.length > 0 ? opts.allowedHosts : isLoopback(opts.boundHost) ? LOOPBACK_HOSTS : [],
  );
  const origins = new Set(opts.allowedOrigins);
  const originAllowed = (origin: string): boolean => {
    if (origins.has(origin.toLowerCase())) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    const name = url.hostname.toLowerCase();
    if (origins.has(name)) return true;
    return origins.size === 0 && (LOOPBACK_HOSTS.includes(name) || hosts.has(name));
  };
  return (host, origin) => {
    if (hosts.size > 0 && (host === undefined || !hosts.has(hostnameOf(host)))) {
      return 'Forbidden: Host header not allowed';
    }
    if (origin !== undefined && !originAllowed(origin)) return 'Forbidden: Origin not allowed';
    return undefined;
  };
}

/** The check as a Fastify onRequest hook: refusals are 403 with a JSON-RPC error body. */
export function hostOriginGuard(check: HostOriginCheck) {
  return (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const refusal = check(req.headers.host, req.headers.origin);
    if (refusal) {
      sendRpcError(reply, 403, ErrorCode.ConnectionClosed, refusal);
      return;
    }
    done();
  };
}
