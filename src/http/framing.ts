import type { IncomingMessage } from 'node:http';

/** `scheme://authority/…`: the absolute form of a request target (RFC 9112 §3.2.2). */
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * Checks a request's framing as RFC 9112 asks of a server, and makes an absolute-form target
 * (`GET http://host/cdn/… HTTP/1.1`) origin-form: `req.url` becomes its path and query, and
 * `Host` its authority (§3.2.2: the target's host wins over any Host field). Returns the reason to
 * answer 400, or undefined when the request may go on:
 * - a second `Host` field line (§3.2: "a server MUST respond with a 400 … to any HTTP/1.1 request
 *   message … that contains more than one Host header field line");
 * - an absolute-form target that is not an http(s) URL.
 */
export function checkFraming(req: IncomingMessage): string | undefined {
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if ((req.rawHeaders[i] as string).toLowerCase() === 'host') hosts++;
  }
  if (hosts > 1) return 'a request may carry one Host header only (RFC 9112 section 3.2)';
  const target = req.url ?? '/';
  if (!ABSOLUTE_FORM.test(target)) return undefined;
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return 'malformed absolute request target';
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.host === '' || url.username !== '' || url.password !== '') {
    return 'an absolute request target must be an http or https URL without credentials';
  }
  req.url = `${url.pathname}${url.search}`;
  req.headers.host = url.host;
  return undefined;
}
