import { ANONYMOUS, type Subject } from '../access/subject.js';
import type { Stores } from '../store/types.js';
import type { HttpAuthenticator } from './authenticate.js';
import type { RequestHead } from './reply.js';
import { sessionOf, type SignedIn } from './session-subject.js';

/** Who sent a request to a route that browsers use too, and whether by the session cookie. */
export interface RequestCredentials {
  readonly subject: Subject;
  /** Set only when the session cookie decided (the request carried no `Authorization` header). */
  readonly signedIn: SignedIn | undefined;
}

/**
 * The subject of a request to a route browsers also use (web pages and their raw, archive,
 * blame, history, atom and compare views; the CDN's file URLs; the REST API): an `Authorization` header decides when
 * there is one (HTTP Basic with a password or token, `token T`, `Bearer T`: `HttpAuthenticator`,
 * the same as hg, git, LFS and the CDN take), else the web session cookie, else anonymous.
 * Writes authenticated by the cookie are checked against CSRF by the caller (`checkCookieWrite`).
 * @throws FerryError FERRY_AUTH_REQUIRED / FERRY_RATE_LIMITED from `HttpAuthenticator.subjectOf`
 */
export async function requestCredentials(auth: HttpAuthenticator, stores: Pick<Stores, 'sessions' | 'users'>, req: RequestHead): Promise<RequestCredentials> {
  const header = req.headers.authorization;
  if (header !== undefined && header !== '') return { subject: await auth.subjectOf(req), signedIn: undefined };
  const signedIn = await sessionOf(req, stores);
  return { subject: signedIn?.subject ?? ANONYMOUS, signedIn };
}
