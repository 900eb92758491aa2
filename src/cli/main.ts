#!/usr/bin/env node
/**
 * The `mcpd` command. Keeps its own imports minimal: `mcpd stdio` must answer its first message fast,
 * so the HTTP stack is imported only by `mcpd serve`.
 */
import { parseArgs } from 'node:util';
import { type Flags, loadConfig, type Mode } from '../config/config.js';
import { ConfigError } from '../config/errors.js';
import { VERSION } from '../version.js';

const USAGE = `Usage:
  mcpd serve [--host H] [--port P] [--config FILE] [--data-dir DIR]   HTTP daemon (Streamable HTTP, legacy SSE)
  mcpd stdio [--config FILE]                                           serve endpoint "default" on stdin/stdout
  mcpd stdio --endpoint ID [--part P]                  serve an endpoint deployed to the store on stdin/stdout
  mcpd init                                 create what the configured store/blob store lacks (tables, bucket)
  mcpd bundle deploy DIR --endpoint ID [--part P] [--url URL]          pack a bundle folder and deploy it
  mcpd key create --endpoint ID --role caller|editor|admin [--label L] an API key (printed once)
  mcpd key revoke KEY_ID
  mcpd user add NAME --role admin|ENDPOINT:ROLE [--role …]            a local user (password: MCPD_PASSWORD or stdin)
  mcpd user passwd NAME | mcpd user remove NAME | mcpd user list
  mcpd [FILE.json]                          MCP_TRANSPORT=stdio|sse picks the mode (default: serve)
  mcpd --version | --help`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string', short: 'p' },
      config: { type: 'string', short: 'c' },
      'data-dir': { type: 'string' },
      endpoint: { type: 'string', short: 'e' },
      part: { type: 'string' },
      url: { type: 'string' },
      'updated-by': { type: 'string' },
      role: { type: 'string', multiple: true },
      label: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`mcpd ${VERSION}\n`);
    return 0;
  }
  const [first, ...rest] = positionals;
  let command = first;
  const flags: Flags = {
    host: values.host,
    port: values.port,
    config: values.config,
    'data-dir': values['data-dir'],
  };
  if (command?.endsWith('.json')) {
    flags.config ??= command;
    command = undefined;
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (command === 'init') {
    const { runInit } = await import('./init.js');
    return runInit(loadConfig('serve', flags), out);
  }
  if (command === 'bundle') {
    const [sub, dir, ...extra] = rest;
    if (sub !== 'deploy' || !dir || extra.length > 0 || !values.endpoint) {
      throw new ConfigError(`Usage: mcpd bundle deploy DIR --endpoint ID [--part P] [--url URL]`);
    }
    const { runBundleDeploy } = await import('./bundle.js');
    return runBundleDeploy(
      loadConfig('serve', flags),
      {
        dir,
        endpoint: values.endpoint,
        part: values.part,
        url: values.url ?? process.env['MCPD_URL'],
        updatedBy: values['updated-by'],
      },
      out,
    );
  }
  if (command === 'key') {
    const { runKey } = await import('./keys.js');
    const [action, arg] = rest;
    return runKey(
      loadConfig('serve', flags),
      action,
      arg,
      {
        endpoint: values.endpoint,
        role: values.role?.length === 1 ? values.role[0] : undefined,
        label: values.label,
      },
      out,
    );
  }
  if (command === 'user') {
    const { runUser, readPasswordFromEnvOrStdin } = await import('./users.js');
    const [action, name, ...extra] = rest;
    if (extra.length > 0) throw new ConfigError(`Unexpected arguments: ${extra.join(' ')}`);
    return runUser(loadConfig('serve', flags), action, name, values.role ?? [], {
      out,
      readPassword: readPasswordFromEnvOrStdin,
    });
  }
  if (rest.length > 0) throw new ConfigError(`Unexpected arguments: ${rest.join(' ')}\n${USAGE}`);
  const mode = pickMode(command);
  const config = loadConfig(mode, flags);
  if (mode === 'stdio') {
    const { runStdio } = await import('./stdio.js');
    return runStdio(config, { endpoint: values.endpoint, part: values.part });
  }
  const { runServe } = await import('./serve.js');
  return runServe(config);
}

function pickMode(command: string | undefined): Mode {
  if (command === 'serve' || command === 'stdio') return command;
  if (command !== undefined) throw new ConfigError(`Unknown command: ${command}\n${USAGE}`);
  const transport = (process.env['MCP_TRANSPORT'] ?? 'sse').toLowerCase();
  if (transport === 'stdio') return 'stdio';
  if (transport === 'sse' || transport === 'http') return 'serve';
  throw new ConfigError(`MCP_TRANSPORT must be sse or stdio, got "${transport}"`);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      process.stderr.write(`mcpd: ${(err as Error).message}\n`);
      process.exitCode = 2;
      return;
    }
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('MCPD_')) {
      // The daemon's own named errors (a hostile bundle, an unreachable store) need no stack trace.
      process.stderr.write(`mcpd: ${(err as Error).message} (${code})\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`mcpd: unexpected failure: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
