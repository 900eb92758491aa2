/**
 * Moves a thread of this process between Linux's normal and idle scheduling classes (`SCHED_OTHER`, `SCHED_IDLE`),
 * through util-linux's `chrt`: Node has no binding for sched_setscheduler, and a thread id works as a pid for it.
 *
 * A thread in the idle class runs only on a core nothing else wants. That suits work done behind the answers (the
 * SQLite call-record writer): it no longer takes turns with the thread serving requests, and a core that runs only
 * it counts as free when the kernel places a waking thread. Leaving the idle class needs a right that an unprivileged
 * process may lack (`CAP_SYS_NICE`, or an `RLIMIT_NICE` that allows it), and a thread that cannot leave it could
 * starve on a busy machine: `idleClassReversible()` checks, once per process, that a thread of ours can come back.
 */
import { execFile } from 'node:child_process';

export type SchedulingClass = 'idle' | 'normal';

const run = (args: string[]): Promise<boolean> =>
  new Promise((resolve) => {
    execFile('chrt', args, { timeout: 5000 }, (err) => resolve(!err));
  });

let reversible: Promise<boolean> | undefined;

/** True when `chrt` exists and a process of ours started in the idle class can move itself back to normal. */
export function idleClassReversible(): Promise<boolean> {
  if (process.platform !== 'linux') return Promise.resolve(false);
  reversible ??= run(['--idle', '0', 'chrt', '--other', '0', 'true']);
  return reversible;
}

/** Puts thread `tid` of this process in `cls`; false when that was refused (or `chrt` is missing). */
export function setSchedulingClass(tid: number, cls: SchedulingClass): Promise<boolean> {
  return run([cls === 'idle' ? '--idle' : '--other', '--pid', '0', String(tid)]);
}

/** The scheduling policy of thread `tid` of this process, from /proc (field 41: 0 normal, 5 idle). */
export async function schedulingClassOf(tid: number): Promise<SchedulingClass | number> {
  const { readFile } = await import('node:fs/promises');
  const stat = await readFile(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
  const policy = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]);
  return policy === 5 ? 'idle' : policy === 0 ? 'normal' : policy;
}
