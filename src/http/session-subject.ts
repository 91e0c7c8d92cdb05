import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ANONYMOUS, type Subject } from '../access/subject.js';
import type { WebSession } from '../store/sessions.js';
import type { Stores } from '../store/types.js';

export const SESSION_COOKIE = 'ferry_session';
export const SESSION_DAYS = 30;

export interface SignedIn {
  readonly subject: Subject & { kind: 'user' };
  readonly session: WebSession;
  readonly idHash: string;
}

/** Cookie header → name/value pairs (first occurrence wins). */
export function parseCookies(req: Pick<IncomingMessage, 'headers'>): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

export function hashSessionId(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

/**
 * The web's session cookie as a Subject: a signed-in user (full rights of that user; the policy
 * decides what they reach) or anonymous. A missing, unknown or expired cookie is anonymous.
 */
export async function sessionOf(req: Pick<IncomingMessage, 'headers'>, stores: Pick<Stores, 'sessions' | 'users'>): Promise<SignedIn | undefined> {
  const id = parseCookies(req).get(SESSION_COOKIE);
  if (!id || !/^[A-Za-z0-9_-]{32,64}$/.test(id)) return undefined;
  const idHash = hashSessionId(id);
  const session = await stores.sessions.byHash(idHash, new Date());
  if (!session) return undefined;
  const user = await stores.users.byId(session.userId);
  if (!user) return undefined;
  return { subject: { kind: 'user', user, readOnly: false }, session, idHash };
}

export async function sessionSubject(req: Pick<IncomingMessage, 'headers'>, stores: Pick<Stores, 'sessions' | 'users'>): Promise<Subject> {
  return (await sessionOf(req, stores))?.subject ?? ANONYMOUS;
}

/** Starts a session; returns the cookie value (shown to the browser only). */
export async function startSession(stores: Pick<Stores, 'sessions'>, userId: number): Promise<string> {
  const id = randomBytes(32).toString('base64url');
  const csrf = randomBytes(24).toString('base64url');
  await stores.sessions.removeExpired(new Date());
  await stores.sessions.create(hashSessionId(id), userId, csrf, new Date(Date.now() + SESSION_DAYS * 86_400_000));
  return id;
}

/** The Set-Cookie header value: HttpOnly, SameSite=Lax, Secure when the site is https. */
export function sessionCookie(value: string, secure: boolean, maxAgeSeconds = SESSION_DAYS * 86_400): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}
