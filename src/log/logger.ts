import { pino, type Logger } from 'pino';
import { currentLogContext } from './context.js';

export type { Logger };

/**
 * Structured logs: one JSON object per line on stderr (stdout stays free for a CLI's own output).
 * Every line written while a request or an SSH connection is handled carries its `reqId`
 * (src/log/context.ts), also lines of loggers made before the request started.
 */
export function createLogger(level: string): Logger {
  // A child logger made for one connection (SSH) already carries its reqId: no second one.
  const mixin = (_fields: object, _level: number, logger: Logger) => ('reqId' in logger.bindings() ? {} : { ...currentLogContext() });
  return pino({ level, base: { app: 'ferry' }, mixin }, pino.destination(2));
}
