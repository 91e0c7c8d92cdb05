import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseCookies } from '../http/session-subject.js';
import type { PageContext } from './context.js';

/**
 * What a form's POST reports on the page its 303 leads to: `done` (it worked), `error` (why it did
 * not), or `token` (a new token's value, shown once).
 */
export interface Flash {
  readonly kind: 'done' | 'error' | 'token';
  readonly text: string;
}

/** The cookie a flash travels in across one redirect (the POST → 303 → GET pattern). */
export const FLASH_COOKIE = 'ferry_flash';
/** A flash not shown within this many seconds is dropped. */
const FLASH_SECONDS = 60;
const MAX_TEXT = 1000;

/**
 * Server-side flash messages: the text a page shows after a form's POST comes from the server,
 * never from the URL (a `?error=` link could otherwise put a phisher's words in Ferry's own alert
 * box). The POST's redirect sets a short-lived cookie (HttpOnly, SameSite=Strict, one minute)
 * whose value is signed with HMAC-SHA256 under the session's CSRF secret, so only this server can
 * write one and only for this session; the next page that shows flashes shows it once and clears
 * it. Returns the `Set-Cookie` header value. Needs a signed-in session (every settings page does).
 */
export function flashCookie(ctx: PageContext, flash: Flash): string {
  const body = Buffer.from(JSON.stringify({ k: flash.kind, t: flash.text.slice(0, MAX_TEXT) })).toString('base64url');
  return cookie(ctx, `${body}.${sign(ctx, body)}`, FLASH_SECONDS);
}

/**
 * The flash the last POST left for this session, if any, with the `Set-Cookie` value that clears
 * it (send it with the page, so the message shows once). A cookie that is malformed, signed for
 * another session or forged is ignored (and cleared).
 */
export function takeFlash(ctx: PageContext): { flash: Flash | undefined; clear: Record<string, string> } {
  const raw = parseCookies(ctx.req).get(FLASH_COOKIE);
  if (raw === undefined) return { flash: undefined, clear: {} };
  const clear = { 'Set-Cookie': cookie(ctx, '', 0) };
  const dot = raw.indexOf('.');
  if (dot < 0 || !ctx.signedIn) return { flash: undefined, clear };
  const body = raw.slice(0, dot);
  const expected = Buffer.from(sign(ctx, body));
  const given = Buffer.from(raw.slice(dot + 1));
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { flash: undefined, clear };
  try {
    const parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { k?: unknown; t?: unknown };
    if ((parsed.k === 'done' || parsed.k === 'error' || parsed.k === 'token') && typeof parsed.t === 'string') return { flash: { kind: parsed.k, text: parsed.t }, clear };
  } catch {
    // not ours: dropped below
  }
  return { flash: undefined, clear };
}

function sign(ctx: PageContext, body: string): string {
  return createHmac('sha256', `ferry-flash\0${ctx.signedIn?.session.csrf ?? ''}`).update(body).digest('base64url');
}

function cookie(ctx: PageContext, value: string, maxAge: number): string {
  const secure = ctx.baseUrl.startsWith('https:');
  return `${FLASH_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}
