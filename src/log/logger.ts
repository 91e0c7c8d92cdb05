import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured logs on stderr (stdout stays free for a CLI's own output). */
export function createLogger(level: string): Logger {
  return pino({ level, base: { app: 'ferry' } }, pino.destination(2));
}
