import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** What every log line written on behalf of one request (or one SSH connection) carries. */
export interface LogContext {
  readonly reqId: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** The context of the request being handled here, if any (the logger's mixin reads it). */
export function currentLogContext(): LogContext | undefined {
  return storage.getStore();
}

/** Runs `fn` (and everything it starts) as part of the request `reqId`. */
export function withLogContext<T>(context: LogContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** A client's `X-Request-Id` we keep: 1–128 of `[A-Za-z0-9._:-]` (anything else could forge log fields). */
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id for a request: the client's (or a proxy's) `X-Request-Id` when it is a plain
 * token, else a new UUID; `prefix` marks ids Ferry made for other transports (`ssh-…`).
 */
export function requestIdFrom(header: string | readonly string[] | undefined, prefix = ''): string {
  const given = Array.isArray(header) ? header[0] : header;
  return typeof given === 'string' && CLIENT_ID.test(given) ? given : `${prefix}${randomUUID()}`;
}
