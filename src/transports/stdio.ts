/**
 * stdio transport: newline-delimited JSON-RPC on a readable/writable pair. stdout carries only MCP messages.
 * One session for the life of the process; requests run concurrently, so a slow tool never blocks a ping.
 */
import type { Readable, Writable } from 'node:stream';
import type { Engine } from '../engine/engine.js';
import { Session } from '../engine/session.js';
import type { MessageSink } from '../engine/sink.js';
import { decode, type JsonRpcMessage, parseErrorResponse } from '../protocol/jsonrpc.js';

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
  const write = (m: JsonRpcMessage | JsonRpcMessage[]) => {
    if (!output.writable) return;
    output.write(`${JSON.stringify(m)}\n`);
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
      finish();
    }
  };

  const handleLine = (line: string) => {
    if (line.trim() === '') return;
    const decoded = decode(line);
    if (!decoded.ok) return write(parseErrorResponse());
    inflight += 1;
    engine
      .handle(decoded.value, session, sink)
      .then((res) => {
        if (res !== undefined) write(res);
      })
      .catch((err: unknown) => engine.logger.error({ err }, 'stdio message failed'))
      .finally(() => {
        inflight -= 1;
        maybeFinish();
      });
  };

  let buffer = '';
  input.setEncoding('utf8');
  input.on('data', (chunk: string) => {
    buffer += chunk;
    let nl = buffer.indexOf('\n');
    while (nl !== -1) {
      handleLine(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      nl = buffer.indexOf('\n');
    }
    if (buffer.length > maxLine) {
      buffer = '';
      write(parseErrorResponse(`Parse error: message longer than ${maxLine} bytes`));
    }
  });
  const onEnd = () => {
    if (ended) return;
    if (buffer.trim() !== '') handleLine(buffer);
    buffer = '';
    ended = true;
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
