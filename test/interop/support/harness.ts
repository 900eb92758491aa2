/**
 * Connects the official SDK `Client` to mcpd over any SDK transport, with the client-side features the
 * interop tests exercise: a sampling handler (a fake model with a fixed answer), a form-elicitation handler
 * (a fake user who accepts), and collectors for log notifications, errors and the raw wire traffic.
 */
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type {
  CreateMessageRequest,
  CreateMessageResult,
  ElicitRequest,
  ElicitResult,
  LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { RecordingTransport } from './recording-transport.js';

/** Test fixture with tools that call ctx.closeStream() (SSE polling, SEP-1699). */
export const POLLING_CONFIG = fileURLToPath(new URL('../fixtures/polling/mcp.json', import.meta.url));

export const SAMPLING_ANSWER = 'Forty-two, says the interop test model';
export const ELICITED_CONTENT = { username: 'interop-user', email: 'interop@example.com' } as const;

export interface Harness {
  client: Client;
  wire: RecordingTransport;
  /** notifications/message params, in arrival order. */
  logs: LoggingMessageNotification['params'][];
  /** Errors the SDK reported through Client.onerror (transport hiccups, unknown progress tokens, …). */
  errors: Error[];
  samplingRequests: CreateMessageRequest['params'][];
  elicitRequests: ElicitRequest['params'][];
  /** What the fake user answers to the next elicitation; tests may replace it. */
  elicitReply: ElicitResult;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Declare sampling and (form) elicitation and handle them. */
  interactive?: boolean;
}

export async function connectHarness(transport: Transport, opts: ConnectOptions = {}): Promise<Harness> {
  const client = new Client(
    { name: 'mcpd-interop-tests', version: '1.0.0' },
    { capabilities: opts.interactive ? { sampling: {}, elicitation: {} } : {} },
  );
  const wire = new RecordingTransport(transport);
  const harness: Harness = {
    client,
    wire,
    logs: [],
    errors: [],
    samplingRequests: [],
    elicitRequests: [],
    elicitReply: { action: 'accept', content: { ...ELICITED_CONTENT } },
    close: async () => {
      await client.close();
    },
  };
  client.onerror = (err) => harness.errors.push(err);
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    harness.logs.push(n.params);
  });
  if (opts.interactive) {
    client.setRequestHandler(CreateMessageRequestSchema, (req): CreateMessageResult => {
      harness.samplingRequests.push(req.params);
      return {
        model: 'interop-test-model',
        role: 'assistant',
        content: { type: 'text', text: SAMPLING_ANSWER },
        stopReason: 'endTurn',
      };
    });
    client.setRequestHandler(ElicitRequestSchema, (req): ElicitResult => {
      harness.elicitRequests.push(req.params);
      return harness.elicitReply;
    });
  }
  await client.connect(wire);
  return harness;
}

/** Closes every harness, ignoring failures of ones already closed. */
export async function closeAll(harnesses: Array<Harness | undefined>): Promise<void> {
  await Promise.all(harnesses.map((h) => h?.close().catch(() => undefined)));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Text of the first text content block of a tool result. */
export function firstText(result: unknown): string {
  const content = (result as { content?: unknown } | null)?.content;
  for (const block of Array.isArray(content) ? (content as unknown[]) : []) {
    if (typeof block === 'object' && block !== null && (block as { type?: unknown }).type === 'text') {
      const text = (block as { text?: unknown }).text;
      if (typeof text === 'string') return text;
    }
  }
  throw new Error(`no text content in ${JSON.stringify(result)}`);
}
