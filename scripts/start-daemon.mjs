// Starts `mcpd serve` on a free port and resolves with its base URL once it listens (used by scripts and bench).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

export function startDaemon(args = [], env = {}) {
  const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0', ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', AUTH_PROVIDER: 'none', ...env },
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk) => {
      buffer += chunk;
      const m = /"url":"(http:\/\/[^"]+)"/.exec(buffer);
      if (m) {
        child.stderr.off('data', onData);
        child.stderr.on('data', (c) => process.env.MCPD_VERBOSE && process.stderr.write(c));
        resolve({ url: m[1], child, stop: () => child.kill('SIGTERM') });
      }
    };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`mcpd exited with ${code} before listening:\n${buffer}`)));
  });
}
