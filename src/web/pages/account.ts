import { FerryError, InvalidInputError, describeError, isFerryError } from '../../domain/errors.js';
import { parsePublicKeys } from '../../domain/public-key.js';
import { hashSessionId, parseCookies, SESSION_COOKIE, sessionCookie, startSession } from '../../http/session-subject.js';
import { issueToken, isExpired } from '../../services/tokens.js';
import { setPassword } from '../../services/user-passwords.js';
import { confirmPage, confirmUrl, isConfirmed } from '../confirm.js';
import type { PageContext } from '../context.js';
import type { User } from '../../store/types.js';
import { checkCsrf, checkCsrfHead, newSigninToken, SIGNIN_COOKIE } from '../csrf.js';
import { flashCookie, takeFlash } from '../flash.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField, layout, shortDate } from '../layout.js';
import { readForm, redirect, sendHtml } from '../respond.js';
import { sameOriginPath } from '../same-origin.js';

function secure(ctx: PageContext): boolean {
  return ctx.baseUrl.startsWith('https:');
}

/** Only paths of this site: never an open redirect to another one. */
function safeNext(ctx: PageContext, next: string | null): string {
  return sameOriginPath(next, ctx.baseUrl);
}

function signinForm(ctx: PageContext, token: string, next: string, error?: string, name = ''): SafeHtml {
  return layout(ctx, {
    title: 'Sign in',
    body: html`<h1>Sign in</h1>${error ? html`<div class="error" role="alert">${error}</div>` : ''}
<form class="stack" method="post" action="/-/signin">
<input type="hidden" name="csrf" value="${token}"><input type="hidden" name="next" value="${next}">
<label for="name">User name</label><input id="name" type="text" name="name" value="${name}" autocomplete="username" required autofocus>
<label for="password">Password</label><input id="password" type="password" name="password" autocomplete="current-password" required>
<div><button class="primary" type="submit">Sign in</button></div>
</form>
<p class="muted small">No password yet? An admin sets one with <code>ferry user passwd NAME</code>.</p>`,
  });
}

export async function signin(ctx: PageContext): Promise<void> {
  const { req, res } = ctx;
  if (req.method === 'GET' || req.method === 'HEAD') {
    const next = safeNext(ctx, ctx.url.searchParams.get('next'));
    if (ctx.signedIn) return redirect(res, next);
    const token = parseCookies(req).get(SIGNIN_COOKIE) ?? newSigninToken();
    const cookie = `${SIGNIN_COOKIE}=${token}; Path=/-/signin; HttpOnly; SameSite=Strict${secure(ctx) ? '; Secure' : ''}`;
    return sendHtml(req, res, 200, signinForm(ctx, token, next), { 'Set-Cookie': cookie, 'Cache-Control': 'no-store' });
  }
  checkCsrfHead(ctx);
  const form = await readForm(req);
  checkCsrf(ctx, form);
  const next = safeNext(ctx, form.get('next'));
  const name = form.get('name') ?? '';
  const again = (message: string, status: number): void =>
    sendHtml(req, res, status, signinForm(ctx, form.get('csrf') ?? '', next, message, name), { 'Cache-Control': 'no-store' });
  let user: User | undefined;
  try {
    user = await ctx.app.httpAuth.signIn(name, form.get('password') ?? '', ctx.app.httpAuth.clients.of(req));
  } catch (err) {
    if (isFerryError(err) && err.code === 'FERRY_RATE_LIMITED') return again(describeError(err), 429);
    throw err;
  }
  if (!user) return again('Wrong user name or password.', 401);
  const id = await startSession(ctx.app.stores, user.id);
  redirect(res, next, { 'Set-Cookie': [sessionCookie(id, secure(ctx)), `${SIGNIN_COOKIE}=; Path=/-/signin; Max-Age=0`] });
}

export async function signout(ctx: PageContext): Promise<void> {
  if (ctx.signedIn) {
    checkCsrfHead(ctx);
    checkCsrf(ctx, await readForm(ctx.req));
    await ctx.app.stores.sessions.remove(ctx.signedIn.idHash);
  }
  const id = parseCookies(ctx.req).get(SESSION_COOKIE);
  if (id) await ctx.app.stores.sessions.remove(hashSessionId(id));
  redirect(ctx.res, '/', { 'Set-Cookie': sessionCookie('', secure(ctx), 0) });
}

async function settingsPage(ctx: PageContext, notice?: SafeHtml, error?: string): Promise<SafeHtml> {
  const user = ctx.signedIn?.subject.user;
  if (!user) throw new FerryError('FERRY_AUTH_REQUIRED', 'sign in first');
  const [keys, tokens] = await Promise.all([ctx.app.stores.keys.listForUser(user.id), ctx.app.stores.tokens.listForUser(user.id)]);
  return layout(ctx, {
    title: 'Settings',
    body: html`<h1>Settings for ${user.name}</h1>${notice ? html`<div class="notice" role="status">${notice}</div>` : ''}${error ? html`<div class="error" role="alert">${error}</div>` : ''}
<section class="box"><header><strong>SSH keys</strong></header>
<ul class="list" id="keys">${keys.length === 0 ? html`<li class="muted">No keys yet.</li>` : keys.map(
      (k) => html`<li><span class="grow"><span class="mono">${k.fingerprint}</span> <span class="badge">${k.type}</span> ${k.comment}<br><span class="muted small">added ${shortDate(k.createdAt)}${k.lastUsedAt ? ` · last used ${shortDate(k.lastUsedAt)}` : ''}</span></span>
<a class="button danger" href="${confirmUrl('/-/settings/keys/remove', { fingerprint: k.fingerprint })}">Remove</a></li>`,
    )}</ul>
<form class="stack markdown" method="post" action="/-/settings/keys">${csrfField(ctx)}<label for="key">Add a public key (the contents of a .pub file)</label><textarea id="key" name="key" required placeholder="ssh-ed25519 AAAA… you@laptop"></textarea><div><button class="primary" type="submit">Add key</button></div></form></section>
<section class="box"><header><strong>Access tokens</strong><span class="muted small">for HTTP clones and pushes (any user name, the token as password)</span></header>
<ul class="list" id="tokens">${tokens.length === 0 ? html`<li class="muted">No tokens yet.</li>` : tokens.map(
      (t) => html`<li><span class="grow">${t.label || html`<span class="muted">unnamed</span>`} ${t.readOnly ? html`<span class="badge">read-only</span>` : html`<span class="badge">read-write</span>`}<br><span class="muted small">created ${shortDate(t.createdAt)} · ${tokenExpiry(t.expiresAt)}${t.lastUsedAt ? ` · last used ${shortDate(t.lastUsedAt)}` : ''}</span></span>
<a class="button danger" href="${confirmUrl('/-/settings/tokens/remove', { id: String(t.id) })}">Revoke</a></li>`,
    )}</ul>
<form class="stack markdown" method="post" action="/-/settings/tokens">${csrfField(ctx)}<label for="label">New token label</label><input id="label" type="text" name="label" maxlength="100" placeholder="laptop">
<label for="expires">Expires</label><select id="expires" name="expires"><option value="7">in 7 days</option><option value="30">in 30 days</option><option value="90" selected>in 90 days</option><option value="365">in a year</option><option value="never">never</option></select>
<label><input type="checkbox" name="read_only" value="1"> Read-only</label><div><button class="primary" type="submit">Create token</button></div></form></section>
<section class="box" id="password"><header><strong>Password</strong><span class="muted small">for these pages and for hg/git over HTTP</span></header>
<form class="stack markdown" method="post" action="/-/settings/password">${csrfField(ctx)}<label for="current-password">Current password</label><input id="current-password" type="password" name="current" autocomplete="current-password" required>
<label for="new-password">New password (at least 8 characters)</label><input id="new-password" type="password" name="password" autocomplete="new-password" minlength="8" required>
<label for="repeat-password">New password again</label><input id="repeat-password" type="password" name="repeat" autocomplete="new-password" minlength="8" required>
<p class="muted small">Your other browsers are signed out when the password changes; tokens and SSH keys keep working.</p><div><button class="primary" type="submit">Change password</button></div></form></section>`,
  });
}

/** `expires 2025-03-01 12:00 UTC`, `expired …` or `never expires`. */
function tokenExpiry(expiresAt: string | null): SafeHtml {
  if (expiresAt === null) return html`<span class="token-expiry">never expires</span>`;
  return isExpired({ expiresAt })
    ? html`<span class="token-expiry expired">expired ${shortDate(expiresAt)} UTC</span>`
    : html`<span class="token-expiry">expires ${shortDate(expiresAt)} UTC</span>`;
}

/** The web form's expiry choice: whole days from now, or never. */
function expiryOf(choice: string | null): number | undefined {
  if (choice === 'never') return undefined;
  const days = Number(choice ?? '90');
  if (![7, 30, 90, 365].includes(days)) throw new InvalidInputError('choose when the token expires from the list');
  return days * 86_400_000;
}

/** The `Set-Cookie` header of a POST's redirect that tells the next page what happened (src/web/flash.ts). */
function flashed(ctx: PageContext, kind: 'done' | 'error', text: string): Record<string, string> {
  return { 'Set-Cookie': flashCookie(ctx, { kind, text }) };
}

/** GET of a destructive action's URL: its confirmation page (or back to settings when it names nothing). */
async function confirmRemoval(ctx: PageContext, action: string, userId: number): Promise<void> {
  const q = ctx.url.searchParams;
  if (action === 'keys/remove') {
    const key = (await ctx.app.stores.keys.listForUser(userId)).find((k) => k.fingerprint === q.get('fingerprint'));
    if (!key) return redirect(ctx.res, '/-/settings');
    return sendHtml(ctx.req, ctx.res, 200, confirmPage(ctx, {
      title: 'Remove this SSH key?',
      question: html`<span class="mono">${key.fingerprint}</span> ${key.comment}: pushes and clones with this key stop working.`,
      action: '/-/settings/keys/remove', fields: { fingerprint: key.fingerprint }, button: 'Remove key', cancel: '/-/settings',
    }), { 'Cache-Control': 'no-store' });
  }
  const token = (await ctx.app.stores.tokens.listForUser(userId)).find((t) => String(t.id) === q.get('id'));
  if (!token) return redirect(ctx.res, '/-/settings');
  return sendHtml(ctx.req, ctx.res, 200, confirmPage(ctx, {
    title: 'Revoke this token?',
    question: html`${token.label || 'The unnamed token'} (created ${shortDate(token.createdAt)}): clients using it are refused from now on.`,
    action: '/-/settings/tokens/remove', fields: { id: String(token.id) }, button: 'Revoke token', cancel: '/-/settings',
  }), { 'Cache-Control': 'no-store' });
}

/**
 * `/-/settings` and its forms: add/remove SSH keys, create/revoke tokens (with an expiry), change
 * the password (the current one required; the user's other sessions end). Every POST answers 303,
 * so a reload never posts again; removals go through a confirmation page first. A new token is
 * shown once, on the page the 303 leads to (carried by the signed one-minute flash cookie).
 */
export async function settings(ctx: PageContext, action: string): Promise<void> {
  const { req, res } = ctx;
  const user = ctx.signedIn?.subject.user;
  if (!user) return redirect(res, `/-/signin?next=${encodeURIComponent('/-/settings')}`);
  const reading = req.method === 'GET' || req.method === 'HEAD';
  if (action === '' && reading) {
    // What the last POST said comes from the server (a flash), never from the query string.
    const { flash, clear } = takeFlash(ctx);
    const headers = { 'Cache-Control': 'no-store', ...clear };
    if (flash?.kind === 'token' && /^[A-Za-z0-9_.-]+$/.test(flash.text)) {
      const notice = html`New token (shown only now, copy it): <code id="new-token">${flash.text}</code> <button type="button" data-copy="new-token" hidden>Copy</button>`;
      return sendHtml(req, res, 200, await settingsPage(ctx, notice), headers);
    }
    const notice = flash?.kind === 'done' ? html`${flash.text}` : undefined;
    return sendHtml(req, res, 200, await settingsPage(ctx, notice, flash?.kind === 'error' ? flash.text : undefined), headers);
  }
  if ((action === 'keys/remove' || action === 'tokens/remove') && reading) return confirmRemoval(ctx, action, user.id);
  if (req.method !== 'POST') return sendHtml(req, res, 405, await settingsPage(ctx, undefined, 'Use the forms on this page.'));
  checkCsrfHead(ctx);
  const form = await readForm(req);
  checkCsrf(ctx, form);
  try {
    switch (action) {
      case 'keys': {
        for (const key of parsePublicKeys(form.get('key') ?? '')) await ctx.app.stores.keys.addUserKey(user.id, key);
        return redirect(res, '/-/settings', flashed(ctx, 'done', 'Key added.'));
      }
      case 'keys/remove': {
        const fingerprint = form.get('fingerprint') ?? '';
        if (!isConfirmed(form)) return redirect(res, confirmUrl('/-/settings/keys/remove', { fingerprint }));
        await ctx.app.stores.keys.removeUserKey(user.id, fingerprint);
        return redirect(res, '/-/settings', flashed(ctx, 'done', 'Key removed.'));
      }
      case 'tokens': {
        const expiresInMs = expiryOf(form.get('expires'));
        const { token } = await issueToken(ctx.app.stores.tokens, user.id, {
          readOnly: form.get('read_only') === '1',
          label: (form.get('label') ?? '').slice(0, 100),
          ...(expiresInMs !== undefined ? { expiresInMs } : {}),
        });
        return redirect(res, '/-/settings', { 'Set-Cookie': flashCookie(ctx, { kind: 'token', text: token }) });
      }
      case 'tokens/remove': {
        const id = form.get('id') ?? '';
        if (!isConfirmed(form)) return redirect(res, confirmUrl('/-/settings/tokens/remove', { id }));
        await ctx.app.stores.tokens.remove(user.id, Number.parseInt(id, 10));
        return redirect(res, '/-/settings', flashed(ctx, 'done', 'Token revoked.'));
      }
      case 'password': {
        const next = form.get('password') ?? '';
        if (next !== (form.get('repeat') ?? '')) throw new InvalidInputError('the two new passwords differ: type the same one twice');
        // Checked as a sign-in is, under the same failed-attempt limit: an open session is not enough.
        const ok = await ctx.app.httpAuth.signIn(user.name, form.get('current') ?? '', ctx.app.httpAuth.clients.of(req));
        if (!ok || ok.id !== user.id) throw new InvalidInputError('the current password is not right: type the one you sign in with');
        await setPassword(ctx.app.stores, user, next, ctx.signedIn?.idHash);
        return redirect(res, '/-/settings', flashed(ctx, 'done', 'Password changed; your other sessions are signed out.'));
      }
      default:
        return sendHtml(req, res, 404, await settingsPage(ctx, undefined, 'No such action.'));
    }
  } catch (err) {
    if (!(err instanceof FerryError)) throw err;
    return redirect(res, '/-/settings', flashed(ctx, 'error', describeError(err)));
  }
}
