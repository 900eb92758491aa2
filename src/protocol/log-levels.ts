/** MCP logging levels (RFC 5424 severities) in increasing severity. */
export const LOG_LEVELS = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const rank = new Map<string, number>(LOG_LEVELS.map((l, i) => [l, i]));

export const isLogLevel = (v: unknown): v is LogLevel => typeof v === 'string' && rank.has(v);

/** True when a message at `level` passes a session's threshold (no threshold: everything passes). */
export function passes(level: LogLevel, threshold: LogLevel | 'off' | undefined): boolean {
  if (threshold === 'off') return false;
  return threshold === undefined || (rank.get(level) ?? 0) >= (rank.get(threshold) ?? 0);
}
