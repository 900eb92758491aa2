/**
 * Shared pieces of the registry end-to-end tests: the two storage stacks (SQLite + folder, DynamoDB + S3 on
 * dynalite and s3rver started here), a GraphQL client for the management API, and bundle folders built on disk.
 */
import { mkdtempSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll } from 'vitest';
import { packDirectory } from '../../src/bundles/archive.js';
import { startDynalite } from '../helpers/dynalite.js';
import { startS3rver } from '../helpers/s3rver.js';

export interface Stack {
  readonly name: string;
  /** Env for the daemon; starts what the stack needs. */
  start(): Promise<{ env: Record<string, string>; close(): Promise<void> }>;
}

export const STACKS: Stack[] = [
  { name: 'SQLite + folder', start: () => Promise.resolve({ env: {}, close: () => Promise.resolve() }) },
  {
    name: 'DynamoDB + S3 (dynalite + s3rver)',
    async start() {
      const [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
      // The AWS SDK reads credentials from the environment; the local servers accept any.
      process.env['AWS_ACCESS_KEY_ID'] = 'S3RVER';
      process.env['AWS_SECRET_ACCESS_KEY'] = 'S3RVER';
      return {
        env: {
          MCPD_STORE: 'dynamodb',
          DYNAMODB_ENDPOINT: dynamo.endpoint,
          FUNCT_BUCKET_NAME: `mcpd-e2e-${Date.now()}`,
          S3_ENDPOINT: s3.endpoint,
          AWS_REGION: 'us-east-1',
          INITIALIZE_TABLES: '1',
        },
        close: async () => {
          await Promise.all([dynamo.close(), s3.close()]);
        },
      };
    },
  },
];

export interface GraphqlReply {
  status: number;
  data: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export async function graphql(
  url: string,
  endpointId: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphqlReply> {
  const res = await fetch(`${url}/${endpointId}/mcp_core_graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Omit<GraphqlReply, 'status'>;
  return { status: res.status, ...body };
}

export const DEPLOY = /* GraphQL */ `
  mutation Deploy($zip: String!, $manifest: JSON) {
    deployBundle(zipBase64: $zip, manifest: $manifest, updatedBy: "e2e") {
      ok
      message
      packageName
      bundleVersion
      bundleSha256
      functions
      removed
    }
  }
`;

/** The bundle folders of the test file that imports this module, removed once its tests are done. */
const bundles = mkdtempSync(join(tmpdir(), 'mcpd-e2e-bundles-'));
afterAll(() => rm(bundles, { recursive: true, force: true }));

/** A bundle folder: `mcp.json` plus ES modules, written to a fresh temp dir. */
export async function bundleDir(files: Record<string, string | object>): Promise<string> {
  const dir = await mkdtemp(join(bundles, 'bundle-'));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

export async function zipOf(files: Record<string, string | object>): Promise<string> {
  return (await packDirectory(await bundleDir(files))).toString('base64');
}

/** The greeter bundle: `greet` answers `<greeting>, <name>`; version 2 adds `farewell`. */
/** `withWait` adds `wait({ms})`, which answers `waited on <greeting>` after ms. */
export function greeter(
  greeting: string,
  withFarewell = false,
  withWait = false,
): Record<string, string | object> {
  const tools: object[] = [
    {
      name: 'greet',
      description: 'Greets someone',
      inputSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    },
  ];
  const links: object[] = [
    { type: 'tool', name: 'greet', module_name: 'greeter', class_name: 'Greeter', function_name: 'greet' },
  ];
  if (withWait) {
    tools.push({ name: 'wait', inputSchema: { type: 'object', properties: { ms: { type: 'integer' } } } });
    links.push({
      type: 'tool',
      name: 'wait',
      module_name: 'greeter',
      class_name: 'Greeter',
      function_name: 'wait',
    });
  }
  if (withFarewell) {
    tools.push({ name: 'farewell', inputSchema: { type: 'object', properties: {} } });
    links.push({
      type: 'tool',
      name: 'farewell',
      module_name: 'greeter',
      class_name: 'Greeter',
      function_name: 'farewell',
    });
  }
  return {
    'mcp.json': {
      tools,
      module_links: links,
      modules: [
        {
          package_name: 'greeter_pkg',
          module_name: 'greeter',
          class_name: 'Greeter',
          setting: { punctuation: '!' },
        },
      ],
    },
    'greeter.js': `
      export class Greeter {
        constructor(logger, setting) { this.setting = setting; }
        greet({ name }) { return '${greeting}, ' + name + this.setting.punctuation; }
        farewell() { return 'Goodbye'; }
        async wait({ ms }) { await new Promise((r) => setTimeout(r, ms)); return 'waited on ${greeting}'; }
      }
    `,
  };
}

/** An official SDK client that declares sampling (every request answered "pong") and keeps the log data it gets. */
export function samplingClient(name: string): { client: Client; logs: unknown[] } {
  const client = new Client({ name, version: '1' }, { capabilities: { sampling: {} } });
  const logs: unknown[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params.data));
  client.setRequestHandler(CreateMessageRequestSchema, () => ({
    role: 'assistant',
    model: 'test',
    content: { type: 'text', text: 'pong' },
  }));
  return { client, logs };
}

export interface TasksReply {
  status: number;
  body: { result?: any; error?: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * A 2026-07-28 request to `{base}/default/mcp`, declaring the tasks extension (and elicitation) unless `declare` is
 * false; `name` goes in the Mcp-Name header.
 */
export function modernTasksRequest(
  base: string,
  method: string,
  params: Record<string, unknown>,
  opts: { declare?: boolean; name?: string | undefined } = {},
): Promise<TasksReply> {
  return fetch(`${base}/default/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...(opts.name === undefined ? {} : { 'mcp-name': opts.name }),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method,
      params: {
        ...params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'e2e', version: '1' },
          'io.modelcontextprotocol/clientCapabilities':
            opts.declare === false
              ? {}
              : { elicitation: {}, extensions: { 'io.modelcontextprotocol/tasks': {} } },
        },
      },
    }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as TasksReply['body'] }));
}
