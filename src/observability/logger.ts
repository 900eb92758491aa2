/**
 * The logger port used everywhere, and a tiny JSON-lines logger for stdio mode.
 * The HTTP daemon uses pino (see ./pino.ts); stdio mode must answer its first message in a few milliseconds,
 * and importing pino alone costs ~30 ms here, so stdio logs through this minimal writer instead.
 */

export type LogFn = (objOrMsg: unknown, msg?: string) => void;

/** The subset of pino's API the code relies on. */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50, silent: 100 } as const;
export type LoggerLevel = keyof typeof LEVELS;

/** A JSON-lines logger writing pino-compatible records to a stream (stderr by default). */
export function createLineLogger(
  level: LoggerLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(line),
  bindings: Record<string, unknown> = {},
): Logger {
  const threshold = LEVELS[level];
  const make =
    (name: Exclude<LoggerLevel, 'silent'>): LogFn =>
    (objOrMsg, msg) => {
      const value = LEVELS[name];
      if (value < threshold) return;
      const record: Record<string, unknown> = { level: value, time: Date.now(), ...bindings };
      if (typeof objOrMsg === 'string') record['msg'] = objOrMsg;
      else {
        Object.assign(record, serializeFields(objOrMsg));
        if (msg !== undefined) record['msg'] = msg;
      }
      write(`${JSON.stringify(record)}\n`);
    };
  return {
    debug: make('debug'),
    info: make('info'),
    warn: make('warn'),
    error: make('error'),
    child: (extra) => createLineLogger(level, write, { ...bindings, ...extra }),
  };
}

function serializeFields(obj: unknown): Record<string, unknown> {
  if (obj instanceof Error) return { err: serializeError(obj) };
  if (typeof obj !== 'object' || obj === null) return { value: obj };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = v instanceof Error ? serializeError(v) : v;
  return out;
}

function serializeError(err: Error): Record<string, unknown> {
  return { type: err.name, message: err.message, stack: err.stack };
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = createLineLogger('silent');
