// Runs the official MCP conformance suite against `mcpd serve --config examples/conformance/mcp.json`.
// Usage: node scripts/conformance.mjs [--requirements 2025-11-25] [extra conformance args]
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startDaemon } from './start-daemon.mjs';

const args = process.argv.slice(2);
if (!args.includes('--requirements') && !args.includes('--scenario'))
  args.push('--requirements', '2025-11-25');
const suite = fileURLToPath(
  new URL('../node_modules/@modelcontextprotocol/conformance/dist/index.js', import.meta.url),
);
const shim = fileURLToPath(new URL('./node20/register.mjs', import.meta.url));
const config = fileURLToPath(new URL('../examples/conformance/mcp.json', import.meta.url));

const daemon = await startDaemon(['--config', config]);
const code = await new Promise((resolve) => {
  const run = spawn(
    process.execPath,
    [
      '--import',
      shim,
      suite,
      'server',
      '--url',
      `${daemon.url}/default/mcp`,
      '-o',
      'results/conformance',
      ...args,
    ],
    { stdio: 'inherit' },
  );
  run.once('exit', (c) => resolve(c ?? 1));
});
daemon.stop();
process.exit(code);
