import type { ServerResponse } from 'node:http';
import { FerryError, type ErrorCode } from '../domain/errors.js';
import { writeReply, type Reply } from './reply.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  FERRY_USAGE: 400,
  FERRY_INVALID_INPUT: 400,
  FERRY_INVALID_REPO_PATH: 400,
  FERRY_INVALID_KEY: 400,
  FERRY_UNSAFE_URL: 400,
  FERRY_AUTH_REQUIRED: 401,
  FERRY_ACCESS_DENIED: 403,
  FERRY_MIRROR_READ_ONLY: 403,
  FERRY_REPO_NOT_FOUND: 404,
  FERRY_USER_NOT_FOUND: 404,
  FERRY_KEY_NOT_FOUND: 404,
  FERRY_TOKEN_NOT_FOUND: 404,
  FERRY_NOT_FOUND: 404,
  FERRY_USER_EXISTS: 409,
  FERRY_LAST_ADMIN: 409,
  FERRY_KEY_EXISTS: 409,
  FERRY_REPO_EXISTS: 409,
  FERRY_TOO_LARGE: 413,
  FERRY_RATE_LIMITED: 429,
  FERRY_SHUTTING_DOWN: 503,
};

/** The one place an error becomes an HTTP status. */
export function statusOf(err: unknown): number {
  return err instanceof FerryError ? (STATUS[err.code] ?? 500) : 500;
}

export interface ErrorReplyOptions {
  readonly json?: boolean;
  readonly headers?: Record<string, string>;
  /** Also as the reason phrase: Mercurial prints only that. */
  readonly reason?: boolean;
}

/** Plain-text error for VCS clients and curl; JSON where the client asked for it. */
export function sendError(res: ServerResponse, err: unknown, options: ErrorReplyOptions = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  writeReply(res, errorReply(err, options));
}

/** The answer `sendError` sends, for writers other than node's ServerResponse. */
export function errorReply(err: unknown, options: ErrorReplyOptions = {}): Reply {
  const status = statusOf(err);
  const message = status === 500 ? 'internal error; the server log has details' : (err as Error).message;
  const code = err instanceof FerryError ? err.code : 'FERRY_INTERNAL';
  const body = options.json ? `${JSON.stringify({ error: { code, message } })}\n` : `${message}\n`;
  const headers = {
    'Content-Type': options.json ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'X-Content-Type-Options': 'nosniff',
    ...(options.headers ?? {}),
  };
  return options.reason ? { status, reason: reasonPhrase(message), headers, body } : { status, headers, body };
}

/** A message as an HTTP reason phrase: printable ASCII on one line. */
function reasonPhrase(message: string): string {
  return message.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}
