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

export function hostOriginGuard(opts: HostOriginOptions) {
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
  return (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const host = req.headers.host;
    if (hosts.size > 0 && (host === undefined || !hosts.has(hostnameOf(host)))) {
      sendRpcError(reply, 403, ErrorCode.ConnectionClosed, 'Forbidden: Host header not allowed');
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin)) {
      sendRpcError(reply, 403, ErrorCode.ConnectionClosed, 'Forbidden: Origin not allowed');
      return;
    }
    done();
  };
}
