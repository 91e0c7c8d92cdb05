import { pino, type Logger } from 'pino';
import { currentLogContext } from './context.js';

export type { Logger };

/**
 * Structured logs: one JSON object per line on stderr (stdout stays free for a CLI's own output).
 * Every line written while a request or an SSH connection is handled carries its `reqId`
 * (src/log/context.ts), also lines of loggers made before the request started.
 */
export function createLogger(level: string): Logger {
  return pino({ level, base: { app: 'ferry' }, mixin: () => ({ ...currentLogContext() }) }, pino.destination(2));
}
