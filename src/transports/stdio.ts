/**
 * stdio transport: newline-delimited JSON-RPC on a readable/writable pair. stdout carries only MCP messages.
 * One session for the life of the process; requests run concurrently, so a slow tool never blocks a ping.
 * Output produced in one turn of the event loop is written with one call: pipelined clients get their answers
 * in a few large writes instead of one system call per message.
 */
import type { Readable, Writable } from 'node:stream';
import type { Engine } from '../engine/engine.js';
import { Session } from '../engine/session.js';
import type { MessageSink } from '../engine/sink.js';
import { Cancellation } from '../engine/cancellation.js';
import { dispatchModern } from '../engine/modern-dispatch.js';
import {
  classify,
  decode,
  errorResponse,
  type JsonRpcMessage,
  type JsonRpcRequest,
  parseErrorResponse,
} from '../protocol/jsonrpc.js';
import { isModern } from '../protocol/modern.js';
import { checkModernRequest } from '../protocol/modern-ladder.js';

export interface StdioOptions {
  engine: Engine;
  endpointId: string;
  input: Readable;
  output: Writable;
  /** Largest accepted line in bytes. */
  maxLineBytes?: number;
}

export interface StdioConnection {
  /** Resolves when the input ends and in-flight requests have been answered. */
  readonly done: Promise<void>;
  close(): void;
}

export function serveStdio(opts: StdioOptions): StdioConnection {
  const { engine, input, output } = opts;
  const maxLine = opts.maxLineBytes ?? 4 * 1024 * 1024;
  const session = new Session(opts.endpointId);
  let pendingOut = '';
  let flushScheduled = false;
  const flush = () => {
    flushScheduled = false;
    if (pendingOut === '' || !output.writable) return;
    const chunk = pendingOut;
    pendingOut = '';
    output.write(chunk);
  };
  const write = (m: JsonRpcMessage | JsonRpcMessage[]) => {
    pendingOut += `${JSON.stringify(m)}\n`;
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };
  const sink: MessageSink = { send: write };
  session.notifier = write;
  engine.hub.add(session);
  let inflight = 0;
  let ended = false;
  let finish!: () => void;
  const done = new Promise<void>((r) => {
    finish = r;
  });
  const maybeFinish = () => {
    if (ended && inflight === 0) {
      engine.hub.remove(session);
      session.close();
      flush();
      finish();
    }
  };
  const settle = () => {
    inflight -= 1;
    maybeFinish();
  };
  const answer = (res: unknown) => {
    if (res !== undefined) write(res as JsonRpcMessage);
    settle();
  };
  const fail = (err: unknown) => {
    engine.logger.error({ err }, 'stdio message failed');
    settle();
  };

  /** A 2026-07-28 request: stateless, but cancellable with notifications/cancelled like any other. */
  const serveModern = async (request: JsonRpcRequest): Promise<unknown> => {
    const checked = checkModernRequest(request, undefined);
    if (!checked.ok) {
      const { code, message, data } = checked.failure;
      return errorResponse(request.id, code, message, data);
    }
    const cancel = new Cancellation();
    session.track(request.id, cancel);
    try {
      const outcome = await dispatchModern(engine, request, checked.envelope, opts.endpointId, sink, cancel);
      return outcome.response;
    } finally {
      session.untrack(request.id);
    }
  };

  const handleLine = (line: string) => {
    if (line.trim() === '') return;
    const decoded = decode(line);
    if (!decoded.ok) return write(parseErrorResponse());
    inflight += 1;
    const value = decoded.value;
    const c = isModern(value, undefined) ? classify(value) : undefined;
    if (c?.kind === 'request') {
      serveModern(c.message).then(answer, fail);
      return;
    }
    engine.handle(value, session, sink).then(answer, fail);
  };

  let buffer = '';
  let overflow = false;
  input.setEncoding('utf8');
  input.on('data', (chunk: string) => {
    let start = 0;
    let nl = chunk.indexOf('\n');
    while (nl !== -1) {
      const piece = chunk.slice(start, nl);
      if (overflow) overflow = false;
      else handleLine(buffer === '' ? piece : buffer + piece);
      buffer = '';
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    if (start < chunk.length && !overflow) buffer += chunk.slice(start);
    if (buffer.length > maxLine) {
      buffer = '';
      overflow = true;
      write(parseErrorResponse(`Parse error: message longer than ${maxLine} bytes`));
    }
  });
  const onEnd = () => {
    if (ended) return;
    if (buffer.trim() !== '' && !overflow) handleLine(buffer);
    buffer = '';
    ended = true;
    // The client is gone: open listen streams end with their final result rather than holding the exit.
    engine.endSubscriptions();
    maybeFinish();
  };
  input.on('end', onEnd);
  input.on('close', onEnd);
  return {
    done,
    close() {
      input.pause();
      onEnd();
    },
  };
}
