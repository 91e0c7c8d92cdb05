/**
 * How a request field sent on several lines is read: as node's HTTP parser reads it into
 * `req.headers` (lib/_http_incoming.js `matchKnownFields`), so the CDN workers' own parser and
 * scanner (src/cdn/workers/) read a head exactly as node's server does with workers off.
 *
 * - `Cookie` lines are combined with "; " (RFC 6265 §5.4 has a user agent send one line; HTTP/2
 *   and proxies split it, and RFC 9113 §8.2.3 says to join the pieces with "; ").
 * - Fields that cannot be lists (RFC 9110 §5.3) keep their first line, as node does.
 * - Every other field is a comma list: lines are combined with ", " (RFC 9110 §5.3), e.g.
 *   `If-None-Match`, `Accept-Encoding`, `Cache-Control`, `Range`.
 */
export const FIRST_LINE_WINS: ReadonlySet<string> = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/**
 * The value of field `name` (lower case) once a further line `value` is read, `existing` being
 * what the lines before made (undefined for the first line).
 */
export function combineFieldLine(name: string, existing: string | undefined, value: string): string {
  if (existing === undefined) return value;
  if (FIRST_LINE_WINS.has(name)) return existing;
  return `${existing}${name === 'cookie' ? '; ' : ', '}${value}`;
}
