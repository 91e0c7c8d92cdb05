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
 * What can be checked of a form post before its body is read: the browser's Origin, and that the
 * poster holds a token to match (a session, or the sign-in cookie).
 */
export function checkCsrfHead(ctx: PageContext): void {
  checkOrigin(ctx.req);
  const expected = ctx.signedIn ? ctx.signedIn.session.csrf : (parseCookies(ctx.req).get(SIGNIN_COOKIE) ?? '');
  if (expected === '') refused();
}

/** A form post must come from our own pages: same origin when the browser says, and the right token. */
export function checkCsrf(ctx: PageContext, form: URLSearchParams): void {
  checkOrigin(ctx.req);
  const sent = form.get('csrf') ?? '';
  const expected = ctx.signedIn ? ctx.signedIn.session.csrf : (parseCookies(ctx.req).get(SIGNIN_COOKIE) ?? '');
  if (!same(sent, expected)) refused();
}

/**
 * The same rule for a write made with the session cookie outside a form (the REST API): same
 * origin when the browser says, and the session's CSRF token sent back (`X-Ferry-CSRF` header).
 * @throws AccessDeniedError FERRY_ACCESS_DENIED otherwise.
 */
export function checkCsrfToken(req: IncomingMessage, expected: string, sent: string): void {
  checkOrigin(req);
  if (!same(sent, expected)) refused();
}

function checkOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let host = '';
    try {
      host = new URL(origin).host;
    } catch {
      refused();
    }
    if (host !== req.headers.host) refused();
  }
}

export function newSigninToken(): string {
  return randomBytes(24).toString('base64url');
}
