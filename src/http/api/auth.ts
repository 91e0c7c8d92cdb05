import type { MiddlewareHandler } from 'hono';
import type { Subject } from '../../access/subject.js';
import { FerryError } from '../../domain/errors.js';
import type { App } from '../../main.js';
import { checkCookieWrite, type CookieWriteWording } from '../../web/csrf.js';
import { requestCredentials } from '../request-subject.js';
import { readOnlyToken } from '../../access/policy.js';
import type { ApiEnv } from './env.js';

/** The header a browser script sends the session's CSRF token in, for writes with the cookie. */
export const CSRF_HEADER = 'x-ferry-csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const USE_A_TOKEN = 'or authenticate with a token (`Authorization: token T`, ferry token add USER) instead of the cookie';

/** The API's words for a refused cookie write: about headers and tokens, not forms and reloading. */
export const API_COOKIE_WRITE_WORDING: CookieWriteWording = {
  foreign: (from, site) => `an API write with the session cookie was sent from ${from}, not from this site (${site}): send it from Ferry's own pages, ${USE_A_TOKEN}`,
  token: `an API write with the session cookie needs the session's CSRF token in the X-Ferry-CSRF header (the csrf value of any form on Ferry's pages), ${USE_A_TOKEN}`,
};

/**
 * Authenticates every API request, the way Gitea's API takes credentials:
 * `Authorization: token T` or `Bearer T` (a Ferry token), HTTP Basic (a token or a password,
 * through the same limiter as every HTTP route), or else the web session cookie. No credentials
 * is anonymous; wrong credentials are 401 FERRY_AUTH_REQUIRED, never anonymous. A write with the
 * session cookie must come from this site and carry the session's CSRF token in `X-Ferry-CSRF`
 * (`checkCookieWrite`, the one rule the web's forms follow too).
 * What the subject may do is decided per request by the access policy, not here.
 */
export function apiAuth(app: App): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const req = c.env.incoming;
    const { subject, signedIn } = await requestCredentials(app.httpAuth, app.stores, req);
    const viaSession = signedIn !== undefined;
    if (signedIn && !SAFE_METHODS.has(c.req.method)) {
      const sent = req.headers[CSRF_HEADER];
      checkCookieWrite(req, app.config, signedIn.session.csrf, typeof sent === 'string' ? sent : '', API_COOKIE_WRITE_WORDING);
    }
    c.set('subject', subject);
    c.set('viaSession', viaSession);
    await next();
  };
}

/** The signed-in user, or 401 for anonymous and deploy keys (endpoints about "the user"). */
export function requireUser(subject: Subject): Subject & { kind: 'user' } {
  if (subject.kind !== 'user') throw new FerryError('FERRY_AUTH_REQUIRED', 'sign in: send a token as `Authorization: token T` (ferry token add USER)');
  return subject;
}

/** A read-only token may not change anything (403), whatever the user's own rights. */
export function requireWriter(subject: Subject): Subject & { kind: 'user' } {
  const user = requireUser(subject);
  if (user.readOnly) throw readOnlyToken(user.user.name, 'change anything');
  return user;
}
