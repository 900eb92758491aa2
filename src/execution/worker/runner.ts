/**
 * Where bundle code runs, for the pool: a worker thread (`worker` level) or a child process under Node's permission
 * model (`process` level). Both speak the same messages (protocol.ts) to the same worker code (worker-main.ts);
 * the pool sees one interface.
 *
 * The `process` level starts `node --permission` (Node 20: `--experimental-permission`) with read access to the
 * endpoint's bundle folder only and write access to its own temp folder only; no child processes, no worker
 * threads, no native addons; an environment with nothing of the daemon's (no secrets); and its own heap limit.
 * Node's permission model does not restrict the network: with MCPD_PROCESS_NETWORK=none the runner starts in a
 * network namespace of its own, with no network at all.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { FromWorker } from './protocol.js';
import { workerMain } from './worker-main.js';

const SOURCE = `(${workerMain.toString()})()`;

export type RunnerExit = { readonly code: number | null; readonly outOfMemory: boolean };

export interface Runner {
  /** The JSON text of one message, or of several sent together (an array is that many messages). */
  postMessage(json: string): void;
  onMessage(listener: (message: FromWorker | FromWorker[]) => void): void;
  /** The runner failed (a thread's uncaught error, or its heap limit). */
  onError(listener: (err: Error, outOfMemory: boolean) => void): void;
  /** The runner is gone, by itself or by `terminate`. */
  onExit(listener: (exit: RunnerExit) => void): void;
  terminate(): Promise<void>;
  readonly stdout: Readable;
  readonly stderr: Readable;
}

export interface RunnerLimits {
  /** Old-generation heap, MB. */
  readonly memoryMb: number;
}

/** What a `process`-level runner may touch. */
export interface Sandbox {
  /** Folders it may read (its endpoint's bundles). */
  readonly read: readonly string[];
  /** The one folder it may write (created by the caller). */
  readonly write: string;
  /** `none`: the runner starts in a network namespace of its own, with no interface up (no network at all). */
  readonly network: 'host' | 'none';
}

export function threadRunner(limits: RunnerLimits): Runner {
  const worker = new Worker(SOURCE, {
    eval: true,
    resourceLimits: { maxOldGenerationSizeMb: limits.memoryMb, maxYoungGenerationSizeMb: 16 },
    // Bundle output never reaches the daemon's stdout (the stdio transport's channel): it goes to the log.
    stdout: true,
    stderr: true,
    // Nothing of the daemon's environment (tokens, keys) is visible to tenant code.
    env: {},
  });
  worker.unref();
  return {
    postMessage: (m) => worker.postMessage(m),
    onMessage: (l) => worker.on('message', l),
    onError: (l) =>
      worker.on('error', (err) => l(err, (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY')),
    onExit: (l) => worker.on('exit', (code) => l({ code, outOfMemory: false })),
    terminate: async () => {
      await worker.terminate();
    },
    stdout: worker.stdout,
    stderr: worker.stderr,
  };
}

const PERMISSION_FLAG = process.allowedNodeEnvironmentFlags.has('--permission')
  ? '--permission'
  : '--experimental-permission';

/**
 * util-linux `setpriv --pdeathsig KILL` (Linux): the kernel kills the runner when the daemon dies, even by SIGKILL
 * and even while the runner's code spins (an idle runner also ends on its IPC channel's disconnect, but a busy one
 * never reads it).
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/**
 * util-linux `unshare --net --map-current-user`: a new user namespace (so no privilege is needed) holding a new network
 * namespace, whose only interface, loopback, is down. The IPC channel to the daemon is an inherited socket pair, so
 * it keeps working. Checked at start (`checkNoNetwork`) when MCPD_PROCESS_NETWORK=none.
 */
export const UNSHARE = ['/usr/bin/unshare', '/bin/unshare'].find((p) => existsSync(p));
// --map-current-user, not --map-root-user: tool code keeps the daemon's uid inside, without root's capabilities.
const NO_NETWORK = ['--net', '--map-current-user', '--'];

/** Why runners cannot be started without network here, or undefined when they can. */
export function noNetworkUnavailable(): string | undefined {
  if (!UNSHARE) return 'util-linux unshare is not installed';
  const r = spawnSync(UNSHARE, [...NO_NETWORK, process.execPath, '-e', ''], {
    stdio: 'pipe',
    timeout: 10_000,
  });
  if (r.status === 0) return undefined;
  const why = r.error?.message ?? r.stderr.toString('utf8').trim().split('\n')[0];
  return `unshare --net --map-current-user failed (${why || `status ${String(r.status)}`}); user namespaces may be disabled`;
}

export function processRunner(limits: RunnerLimits, sandbox: Sandbox): Runner {
  const node = [
    process.execPath,
    PERMISSION_FLAG,
    ...sandbox.read.map((dir) => `--allow-fs-read=${dir}/`),
    `--allow-fs-write=${sandbox.write}/`,
    `--max-old-space-size=${limits.memoryMb}`,
    '--disable-warning=ExperimentalWarning',
    '-e',
    SOURCE,
  ];
  const confined = SETPRIV ? [SETPRIV, '--pdeathsig', 'KILL', '--', ...node] : node;
  if (sandbox.network === 'none' && !UNSHARE)
    throw new Error('MCPD_PROCESS_NETWORK=none needs util-linux unshare');
  const [command, ...args] = sandbox.network === 'none' ? [UNSHARE!, ...NO_NETWORK, ...confined] : confined;
  const child = spawn(command as string, args, {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
    env: { TMPDIR: sandbox.write, HOME: sandbox.write },
    cwd: sandbox.write,
  });
  // Like an unref'd worker thread, a runner never keeps the daemon alive by itself.
  child.unref();
  child.channel?.unref();
  const stdout = child.stdout as Readable & { unref?: () => void };
  const stderr = child.stderr as Readable & { unref?: () => void };
  stdout.unref?.();
  stderr.unref?.();
  let outOfMemory = false;
  stderr.on('data', (chunk: Buffer) => {
    if (chunk.includes('heap out of memory')) outOfMemory = true;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    postMessage: (m) => {
      // Serialized synchronously (a value that cannot be cloned throws here); a closed channel shows up as 'exit'.
      child.send(m, () => undefined);
    },
    onMessage: (l) => child.on('message', (m) => l(m as FromWorker | FromWorker[])),
    onError: (l) => child.on('error', (err) => l(err, false)),
    onExit: (l) =>
      child.on('exit', (code, signal) =>
        l({ code: code ?? (signal ? 128 : null), outOfMemory: outOfMemory || signal === 'SIGABRT' }),
      ),
    terminate: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stdout,
    stderr,
  };
}
