/** pino-backed logger for the HTTP daemon: JSON lines on stderr, secrets redacted. */
import { pino } from 'pino';
import type { Logger, LoggerLevel } from './logger.js';

export function createPinoLogger(level: LoggerLevel): Logger {
  return pino(
    {
      level,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'] },
    },
    pino.destination(2),
  ) as unknown as Logger;
}
