/**
 * A small HTTP proxy (node:http, real sockets) between an SDK client and the daemon. It records every request
 * and the SSE event ids it forwards, and can cut one POST's SSE response right after it forwarded the first
 * progress event, the way a dropped connection would: both the client side and the daemon side are destroyed.
 */
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  url: string;
  /** Last-Event-ID header the client sent, if any. */
  lastEventId: string | undefined;
  /** Request body (POST). */
  body: string;
  status?: number;
  contentType?: string | undefined;
  /** SSE events forwarded to the client, in order (priming events have data ''). */
  events: Array<{ id: string | undefined; data: string; retry: number | undefined }>;
  /** True when the proxy cut this response on purpose. */
  cut: boolean;
  /** True once the response to the client ended (completely or cut). */
  ended: boolean;
}

export interface SseProxy {
  /** Base URL of the proxy, e.g. http://127.0.0.1:41234 */
  url: string;
  requests: ProxiedRequest[];
  close(): Promise<void>;
}

export interface SseProxyOptions {
  /** Cut the SSE response of the first POST whose body this accepts, after its first progress event. */
  cutFirst?: (body: string) => boolean;
  /**
   * Awaited between forwarding that progress event and cutting, while the daemon's later events are held
   * back: lets the test cut only once the client has processed the event (an SSE parser may drop events
   * still queued when the connection errors). Defaults to waiting until the bytes are flushed.
   */
  cutAfter?: () => Promise<void>;
  /** Awaited before a request is forwarded (lets a test hold a request back). */
  beforeForward?: (req: ProxiedRequest) => Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseEvent(block: string): { id: string | undefined; data: string; retry: number | undefined } {
  let id: string | undefined;
  let retry: number | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('id:')) id = line.slice(3).trim();
    else if (line.startsWith('retry:')) retry = Number(line.slice(6).trim());
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  return { id, data: data.join('\n'), retry };
}

export async function startSseProxy(target: string, opts: SseProxyOptions = {}): Promise<SseProxy> {
  const targetUrl = new URL(target);
  const agent = new Agent({ keepAlive: false });
  const requests: ProxiedRequest[] = [];
  let cutDone = false;

  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const lastEventId = req.headers['last-event-id'];
    const record: ProxiedRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      lastEventId: Array.isArray(lastEventId) ? lastEventId[0] : lastEventId,
      body,
      events: [],
      cut: false,
      ended: false,
    };
    requests.push(record);
    await opts.beforeForward?.(record);
    const cutThis = !cutDone && record.method === 'POST' && opts.cutFirst?.(body) === true;
    if (cutThis) cutDone = true;

    const headers: OutgoingHttpHeaders = { ...req.headers, host: targetUrl.host };
    delete headers['content-length'];
    const upstream = httpRequest(new URL(record.url, targetUrl), { method: record.method, headers, agent });
    res.on('close', () => {
      record.ended = true;
      upstream.destroy();
    });
    upstream.on('error', () => res.destroy());
    upstream.on('response', (up) => {
      record.status = up.statusCode ?? 0;
      record.contentType = up.headers['content-type'];
      const outHeaders: OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(up.headers))
        if (!HOP_BY_HOP.has(k) && v !== undefined) outHeaders[k] = v;
      res.writeHead(record.status, outHeaders);
      res.flushHeaders();
      const isSse = record.contentType?.startsWith('text/event-stream') === true;
      if (!isSse) {
        up.pipe(res);
        return;
      }
      let buffer = '';
      up.setEncoding('utf8');
      up.on('data', (chunk: string) => {
        if (record.cut) return;
        buffer += chunk;
        let sep = buffer.indexOf('\n\n');
        while (sep !== -1) {
          const block = buffer.slice(0, sep);
          buffer = buffer.slice(sep + 2);
          const flushed = new Promise<void>((resolve) => res.write(`${block}\n\n`, () => resolve()));
          if (!block.startsWith(':')) {
            const event = parseEvent(block);
            record.events.push(event);
            if (cutThis && event.data.includes('"notifications/progress"')) {
              // Hold everything after this event back, then drop the connection on both sides, mid-response.
              record.cut = true;
              up.pause();
              const ready = opts.cutAfter ? flushed.then(opts.cutAfter) : flushed;
              void ready.finally(() => {
                up.destroy();
                upstream.destroy();
                res.destroy();
              });
              return;
            }
          }
          sep = buffer.indexOf('\n\n');
        }
      });
      up.on('end', () => {
        if (!record.cut) res.end(buffer);
      });
      up.on('error', () => res.destroy());
    });
    upstream.end(body.length > 0 ? body : undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
