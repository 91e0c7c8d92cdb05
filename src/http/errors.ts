import type { ServerResponse } from 'node:http';
import { FerryError, RepoMovedError, type ErrorCode } from '../domain/errors.js';
import { writeReply, type Reply } from './reply.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  /** 301 for GET/HEAD, 308 for other methods: `statusOf` decides by the request's method. */
  FERRY_REPO_MOVED: 301,
  FERRY_USAGE: 400,
  FERRY_INVALID_INPUT: 400,
  FERRY_INVALID_REPO_PATH: 400,
  FERRY_INVALID_KEY: 400,
  FERRY_UNSAFE_URL: 400,
  FERRY_UNSAFE_HOOK_URL: 422,
  FERRY_HOOK_NOT_FOUND: 404,
  FERRY_AUTH_REQUIRED: 401,
  FERRY_ACCESS_DENIED: 403,
  FERRY_MIRROR_READ_ONLY: 403,
  FERRY_REPO_NOT_FOUND: 404,
  FERRY_USER_NOT_FOUND: 404,
  FERRY_KEY_NOT_FOUND: 404,
  FERRY_TOKEN_NOT_FOUND: 404,
  FERRY_NOT_FOUND: 404,
  FERRY_USER_EXISTS: 409,
  FERRY_NAMESPACE_TAKEN: 409,
  FERRY_LAST_ADMIN: 409,
  FERRY_KEY_EXISTS: 409,
  FERRY_REPO_EXISTS: 409,
  FERRY_TOO_LARGE: 413,
  /** Not 413, which is about request bodies: a refused file is forbidden, as jsDelivr answers. */
  FERRY_FILE_TOO_LARGE: 403,
  FERRY_RATE_LIMITED: 429,
  FERRY_SHUTTING_DOWN: 503,
  FERRY_LOCK_TIMEOUT: 503,
  FERRY_DISK_FULL: 507,
};

/**
 * The one place an error becomes an HTTP status. `method` is the request's method: a moved repo
 * answers 301 to GET and HEAD but 308 to any other method, since clients (curl -L, browsers, fetch)
 * re-send a POST as a GET after 301 (RFC 9110 §15.4.2) and 308 keeps method and body (§15.4.9).
 */
export function statusOf(err: unknown, method?: string): number {
  if (err instanceof RepoMovedError) return movedStatus(method);
  return err instanceof FerryError ? (STATUS[err.code] ?? 500) : 500;
}

/**
 * The redirect status for a moved repo: 301 for GET and HEAD (and an unknown method), 308
 * Permanent Redirect for every other method so the write is re-sent, method and body unchanged,
 * to the new path (RFC 9110 §15.4.9) instead of turning into a GET and being lost.
 */
export function movedStatus(method: string | undefined): 301 | 308 {
  return method === undefined || method === 'GET' || method === 'HEAD' ? 301 : 308;
}

export interface ErrorReplyOptions {
  readonly json?: boolean;
  readonly headers?: Record<string, string>;
  /** Also as the reason phrase: Mercurial prints only that. */
  readonly reason?: boolean;
  /** The request's URL: a moved repo's answer points at the same URL under the new path. */
  readonly url?: URL;
  /** The request's method: a moved repo answers 301 to GET/HEAD, 308 to others (`statusOf`). */
  readonly method?: string;
}

/**
 * Where a request for a moved repo goes: the same URL with the old path (matched without regard
 * to case) replaced by the new one, e.g. `/team/old/info/refs?service=…` → `/team/new/info/refs?…`.
 * A path-absolute Location (RFC 9110 §10.2.2), which hg, git and browsers resolve. The CDN's
 * `/cdn/OLD@REF/FILE` goes to `/cdn/NEW@REF/FILE`, the REST API's `/api/v1/repos/{owner}/{repo}/…`
 * to the new owner and name (Gitea's redirect of a renamed repo); the query string is kept.
 */
export function movedLocation(err: RepoMovedError, url: URL): string {
  const from = String(err.data.from);
  const to = String(err.data.to);
  const api = API_REPO_URL.exec(url.pathname);
  if (api) {
    // `/api/v1/repos/{owner}/{repo}/…`: owner and name of the new path, Gitea's split.
    const named = `${safeDecode(api[1] as string)}/${safeDecode(api[2] as string)}`;
    if (named.toLowerCase() === from.toLowerCase() && to.includes('/')) {
      const slash = to.lastIndexOf('/');
      return `/api/v1/repos/${encodeURIComponent(to.slice(0, slash))}/${encodeURIComponent(to.slice(slash + 1))}${api[3] ?? ''}${url.search}`;
    }
  }
  // `/cdn/OLD@REF/FILE` and `/cdn/OLD/FILE` as `/OLD/…`: only the repo's part changes.
  const prefix = url.pathname.startsWith('/cdn/') ? '/cdn' : '';
  const path = url.pathname.slice(prefix.length);
  const rest = path.toLowerCase().startsWith(`/${from}`.toLowerCase()) ? path.slice(from.length + 1) : '';
  return `${prefix}/${to}${rest}${url.search}`;
}

/** A REST API URL naming a repo: owner (slashes URL-encoded), name, and the rest of the path. */
const API_REPO_URL = /^\/api\/v1\/repos\/([^/]+)\/([^/]+)(\/.*)?$/;

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Where the REST API's OpenAPI document is served (the `url` of its error bodies). */
export const OPENAPI_PATH = '/api/v1/openapi.json';

/**
 * The JSON error body of the REST API (and of every JSON error Ferry sends): `{"error":{"code",
 * "message"}}` with the FERRY_* code of docs/errors.md, and beside it the two fields of Gitea's
 * APIError — `message`, and `url`, where the API is documented (its OpenAPI document, made
 * absolute against `requestUrl` when given) — so clients written for Gitea print the message.
 */
export function apiErrorBody(code: string, message: string, requestUrl?: string): { error: { code: string; message: string }; message: string; url: string } {
  let url = OPENAPI_PATH;
  try {
    if (requestUrl !== undefined) url = new URL(OPENAPI_PATH, requestUrl).href;
  } catch {
    /* an unparsable request URL: the path alone */
  }
  return { error: { code, message }, message, url };
}

/** Plain-text error for VCS clients and curl; JSON where the client asked for it. */
export function sendError(res: ServerResponse, err: unknown, options: ErrorReplyOptions = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  writeReply(res, errorReply(err, { ...options, method: options.method ?? res.req?.method }));
}

/** The answer `sendError` sends, for writers other than node's ServerResponse. */
export function errorReply(err: unknown, options: ErrorReplyOptions = {}): Reply {
  const status = statusOf(err, options.method);
  const message = status === 500 ? 'internal error; the server log has details' : (err as Error).message;
  const code = err instanceof FerryError ? err.code : 'FERRY_INTERNAL';
  const body = options.json ? `${JSON.stringify(apiErrorBody(code, message))}\n` : `${message}\n`;
  const headers = {
    ...(err instanceof RepoMovedError && options.url ? { Location: movedLocation(err, options.url), 'Cache-Control': 'no-store' } : {}),
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
