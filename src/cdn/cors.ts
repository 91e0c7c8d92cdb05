import type { Reply, RequestHead } from '../http/reply.js';

/**
 * Response headers a cross-origin script may read besides the CORS-safelisted ones (Fetch
 * standard, "CORS-safelisted response-header name"): everything the CDN sends that a page could
 * want, as jsDelivr exposes all of its headers.
 */
const EXPOSED = 'Accept-Ranges, Age, Content-Encoding, Content-Length, Content-Range, Date, ETag, Location, Vary, WWW-Authenticate, X-Ferry-Commit';

/**
 * What makes an answer readable from any origin (no credentials: `*`). Every CDN answer that is
 * not the content of a private repo carries it — errors included, so a page's `fetch()` sees the
 * 404 instead of a CORS failure (the answers for a private and a missing repo are the same, so
 * this tells a script nothing it could not learn anyway).
 */
export const CORS_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': EXPOSED,
});

/** The headers a preflight may ask for: a comma-separated list of field names (RFC 9110 §5.1 tokens). */
const FIELD_NAMES = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:\s*,\s*[!#$%&'*+\-.^_`|~0-9A-Za-z]+)*$/;
const DEFAULT_ALLOWED = 'Range, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, If-Range, Cache-Control, Authorization';

/**
 * The answer to a CORS preflight (`OPTIONS` with `Access-Control-Request-Method`) for any CDN URL:
 * GET and HEAD from any origin, with whatever request headers the page asked for (the CDN ignores
 * the ones it does not use, as jsDelivr allows them all).
 */
export function preflightReply(req: RequestHead): Reply {
  const asked = req.headers['access-control-request-headers'];
  const allowed = typeof asked === 'string' && FIELD_NAMES.test(asked.trim()) ? asked.trim() : DEFAULT_ALLOWED;
  return {
    status: 204,
    headers: {
      ...CORS_HEADERS,
      'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
      'Access-Control-Allow-Headers': allowed,
      'Access-Control-Max-Age': '86400',
      Vary: 'Access-Control-Request-Headers',
      'Content-Length': 0,
    },
  };
}

/** `reply` with the CORS headers added (an answer of a public repo, or an error). */
export function withCors(reply: Reply): Reply {
  return { ...reply, headers: { ...reply.headers, ...CORS_HEADERS } };
}
