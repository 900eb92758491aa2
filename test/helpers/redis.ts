/**
 * A real Redis for the bus tests: a `redis-server` (Debian package `redis-server`, installed by .ci/run) started on
 * a free loopback port for the test file, which a test may stop and start again on the same port; or, when the
 * binary is missing, the server at REDIS_URL (outage tests then skip). With neither, the suites skip with that
 * reason, except under CI (CI=true), where they fail: CI never skips them silently.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';

export interface RunningRedis {
  readonly url: string;
  /** Stops and starts the server on the same port (no-ops for a server at REDIS_URL). */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Whether a redis-server binary can be started here (the outage tests need one they can stop). */
export function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why the Redis suites cannot run here, or undefined when they can. */
export function redisUnavailable(): string | undefined {
  if (hasRedisServer() || process.env['REDIS_URL']) return undefined;
  const reason = 'no redis-server on PATH and no REDIS_URL (apt-get install redis-server)';
  if (process.env['CI']) throw new Error(`The Redis suites must run in CI: ${reason}`);
  return reason;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startRedis(): Promise<RunningRedis> {
  if (!hasRedisServer()) {
    const url = process.env['REDIS_URL'];
    if (!url) throw new Error(redisUnavailable() ?? 'no Redis');
    const nothing = () => Promise.resolve();
    return { url, stop: nothing, start: nothing, close: nothing };
  }
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const c = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child = c;
      let out = '';
      c.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('Ready to accept connections')) resolve();
      });
      c.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out.slice(-500)}`)));
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return resolve();
      c.removeAllListeners('exit');
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  await start();
  return { url: `redis://127.0.0.1:${port}`, stop, start, close: stop };
}
