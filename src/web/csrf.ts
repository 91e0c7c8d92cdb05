import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AccessDeniedError } from '../domain/errors.js';
import { parseCookies } from '../http/session-subject.js';
import type { Config } from '../config/load.js';
import { describeOrigin, isSiteOrigin, siteOrigins } from '../http/site-origin.js';
import type { PageContext } from './context.js';

/** Before sign-in there is no session: the sign-in form double-submits this cookie's value. */
export const SIGNIN_COOKIE = 'ferry_signin';

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/**
 * What a refused cookie write says, in the words of the surface that refused it (a web form, the
 * REST API): where it came from and what to do.
 */
export interface CookieWriteWording {
  /** The request came from another origin (`from`, as `describeOrigin` names it) than this site (`site`). */
  readonly foreign: (from: string, site: string) => string;
  /** The CSRF token is missing or does not match the session's. */
  readonly token: string;
}

/** The web forms' wording (sign-in, settings, account, admin pages). */
export const FORM_WORDING: CookieWriteWording = {
  foreign: (from, site) => `this form was sent from ${from}, not from this site (${site}): open the page at ${site} and send the form again`,
  token: 'this form expired or came from another site: reload the page and try again',
};

/**
 * What can be checked of a form post before its body is read: where the browser says it comes
 * from, and that the poster holds a token to match (a session, or the sign-in cookie).
 * @throws AccessDeniedError FERRY_ACCESS_DENIED otherwise
 */
export function checkCsrfHead(ctx: PageContext): void {
  checkSameOrigin(ctx.req, ctx.app.config, FORM_WORDING);
  if (expectedToken(ctx) === '') throw new AccessDeniedError(FORM_WORDING.token);
}

/** A form post: `checkCookieWrite` with the form's `csrf` field. */
export function checkCsrf(ctx: PageContext, form: URLSearchParams): void {
  checkCookieWrite(ctx.req, ctx.app.config, expectedToken(ctx), form.get('csrf') ?? '', FORM_WORDING);
}

/**
 * The one rule for every state-changing request that a cookie authenticates — the web's forms
 * (and the sign-in form, with its pre-session cookie) and the REST API used with the session
 * cookie (token in `X-Ferry-CSRF`): the request comes from this site (`checkSameOrigin`) AND
 * carries the session's CSRF token. Requests authenticated by a token or HTTP Basic are not
 * cookie writes and are not checked here. `wording`: how the refusal reads (FORM_WORDING, or the
 * API's).
 * @throws AccessDeniedError FERRY_ACCESS_DENIED otherwise
 */
export function checkCookieWrite(req: IncomingMessage, config: Pick<Config, 'http'>, expected: string, sent: string, wording: CookieWriteWording): void {
  checkSameOrigin(req, config, wording);
  if (!same(sent, expected)) throw new AccessDeniedError(wording.token);
}

/**
 * Where a browser says a request comes from must be this site (OWASP's "verifying origin with
 * standard headers"): the `Origin` header when sent (RFC 6454 §7; every current browser sends it
 * on a POST, PUT, PATCH or DELETE), else the `Referer`. "This site" is an origin — scheme, host
 * and port (RFC 6454 §4) — of `siteOrigins`: `https://host:8080` is not a site served over plain
 * http at host:8080. An opaque origin — `Origin: null`, sent from sandboxed frames, `data:`
 * pages, some redirects and privacy modes — is never this site's (RFC 6454 §7.3, §6.2), nor is a
 * value that is not an http(s) URL. A request with neither header comes from no browser page
 * (curl, a script holding the cookie and the token) and is judged by its token alone.
 * @throws AccessDeniedError FERRY_ACCESS_DENIED for another or an opaque origin, worded by `wording`
 */
export function checkSameOrigin(req: IncomingMessage, config: Pick<Config, 'http'>, wording: CookieWriteWording): void {
  const origin = req.headers.origin;
  const claimed = origin !== undefined ? origin : req.headers.referer !== undefined && req.headers.referer !== '' ? req.headers.referer : undefined;
  if (claimed === undefined || isSiteOrigin(claimed, config, req)) return;
  const site = siteOrigins(config, req)[0] ?? 'this site';
  throw new AccessDeniedError(wording.foreign(describeOrigin(claimed), site));
}

function expectedToken(ctx: PageContext): string {
  return ctx.signedIn ? ctx.signedIn.session.csrf : (parseCookies(ctx.req).get(SIGNIN_COOKIE) ?? '');
}

export function newSigninToken(): string {
  return randomBytes(24).toString('base64url');
}
