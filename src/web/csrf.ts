import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AccessDeniedError } from '../domain/errors.js';
import { parseCookies } from '../http/session-subject.js';
import type { PageContext } from './context.js';

/** Before sign-in there is no session: the sign-in form double-submits this cookie's value. */
export const SIGNIN_COOKIE = 'ferry_signin';

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

const refused = (): never => {
  throw new AccessDeniedError('this form expired or came from another site: reload the page and try again');
};

/**
 * What can be checked of a form post before its body is read: where the browser says it comes
 * from, and that the poster holds a token to match (a session, or the sign-in cookie).
 * @throws AccessDeniedError FERRY_ACCESS_DENIED otherwise
 */
export function checkCsrfHead(ctx: PageContext): void {
  checkSameOrigin(ctx.req);
  if (expectedToken(ctx) === '') refused();
}

/** A form post: `checkCookieWrite` with the form's `csrf` field. */
export function checkCsrf(ctx: PageContext, form: URLSearchParams): void {
  checkCookieWrite(ctx.req, expectedToken(ctx), form.get('csrf') ?? '');
}

/**
 * The one rule for every state-changing request that a cookie authenticates — the web's forms
 * (and the sign-in form, with its pre-session cookie) and the REST API used with the session
 * cookie (token in `X-Ferry-CSRF`): the request comes from this site (`checkSameOrigin`) AND
 * carries the session's CSRF token. Requests authenticated by a token or HTTP Basic are not
 * cookie writes and are not checked here.
 * @throws AccessDeniedError FERRY_ACCESS_DENIED otherwise
 */
export function checkCookieWrite(req: IncomingMessage, expected: string, sent: string): void {
  checkSameOrigin(req);
  if (!same(sent, expected)) refused();
}

/**
 * Where a browser says a request comes from must be this site (OWASP's "verifying origin with
 * standard headers"): the `Origin` header when sent (RFC 6454 §7; every current browser sends it
 * on a POST, PUT, PATCH or DELETE), else the `Referer`. An opaque origin — `Origin: null`, sent
 * from sandboxed frames, `data:` pages, some redirects and privacy modes — is never this site's
 * (RFC 6454 §7.3, §6.2), nor is a value that is not an http(s) URL. A request with neither header
 * comes from no browser page (curl, a script holding the cookie and the token) and is judged by
 * its token alone. "This site" is the host the request was sent to (its `Host` header).
 * @throws AccessDeniedError FERRY_ACCESS_DENIED for another or an opaque origin
 */
export function checkSameOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    if (!fromThisHost(origin, req)) refused();
    return;
  }
  const referer = req.headers.referer;
  if (referer !== undefined && referer !== '' && !fromThisHost(referer, req)) refused();
}

function fromThisHost(value: string, req: IncomingMessage): boolean {
  if (value.trim() === '' || value.trim() === 'null') return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  const host = req.headers.host;
  return (url.protocol === 'http:' || url.protocol === 'https:') && typeof host === 'string' && host !== '' && url.host === host.toLowerCase();
}

function expectedToken(ctx: PageContext): string {
  return ctx.signedIn ? ctx.signedIn.session.csrf : (parseCookies(ctx.req).get(SIGNIN_COOKIE) ?? '');
}

export function newSigninToken(): string {
  return randomBytes(24).toString('base64url');
}
