import { FerryError, InvalidInputError, NotFoundError, describeError } from '../../domain/errors.js';
import { parseRepoPath } from '../../domain/repo-path.js';
import { parseUserName } from '../../domain/user-name.js';
import { addUser, setAdmin } from '../../services/admins.js';
import { hashPassword } from '../../services/passwords.js';
import { removeConfirmed } from '../../services/repo-admin.js';
import { setPassword } from '../../services/user-passwords.js';
import { confirmPage, confirmUrl, isConfirmed } from '../confirm.js';
import type { PageContext } from '../context.js';
import { checkCsrf, checkCsrfHead } from '../csrf.js';
import { flashCookie, takeFlash } from '../flash.js';
import { html, urlPath, type SafeHtml } from '../html.js';
import { csrfField, layout, shortDate } from '../layout.js';
import { readForm, redirect, sendHtml } from '../respond.js';
import { deletePage } from './repo-settings.js';

async function adminPage(ctx: PageContext, error?: string, notice?: string): Promise<SafeHtml> {
  const [users, repos] = await Promise.all([ctx.app.stores.users.list(), ctx.app.stores.repos.list()]);
  const f = csrfField(ctx);
  return layout(ctx, {
    title: 'Admin',
    body: html`<h1>Admin</h1>${error ? html`<div class="error" role="alert">${error}</div>` : ''}${notice ? html`<div class="notice" role="status">${notice}</div>` : ''}
<section class="box"><header><strong>Users</strong><span class="spacer"></span><span class="muted small">${users.length}</span></header>
<ul class="list" id="users">${users.map(
      (u) => html`<li><span class="grow">${u.name} ${u.isAdmin ? html`<span class="badge phase">admin</span>` : ''}<br><span class="muted small">since ${shortDate(u.createdAt)}</span></span>
${u.isAdmin
          ? html`<a class="button danger" href="${confirmUrl('/-/admin/users/admin', { name: u.name, admin: '0' })}">Remove admin</a>`
          : html`<form class="inline" method="post" action="/-/admin/users/admin">${f}<input type="hidden" name="name" value="${u.name}"><input type="hidden" name="admin" value="1"><button type="submit">Make admin</button></form>`}
<details class="row-form"><summary>Reset password</summary><form class="stack" method="post" action="/-/admin/users/password">${f}<input type="hidden" name="name" value="${u.name}"><label for="pw-${u.id}">New password for ${u.name}</label><input id="pw-${u.id}" type="password" name="password" autocomplete="new-password" minlength="8" required><span class="muted small">Signs ${u.name} out of every browser.</span><div><button type="submit">Set password</button></div></form></details></li>`,
    )}</ul>
<form class="stack markdown" method="post" action="/-/admin/users">${f}<label for="new-user">New user</label><input id="new-user" type="text" name="name" required pattern="[A-Za-z0-9][A-Za-z0-9_.\\-]*">
<label for="new-password">Password (optional, at least 8 characters)</label><input id="new-password" type="password" name="password" autocomplete="new-password">
<label><input type="checkbox" name="admin" value="1"> Admin</label><div><button class="primary" type="submit">Create user</button></div></form></section>
<section class="box"><header><strong>Repositories</strong><span class="spacer"></span><span class="muted small">${repos.length}</span></header>
<ul class="list" id="repos">${repos.map(
      (r) => html`<li><a class="grow" href="/${urlPath(r.path)}">${r.path}</a><span class="badge">${r.kind}</span>${r.isPublic ? html`<span class="badge public">public</span>` : html`<span class="badge">private</span>`}
<form class="inline" method="post" action="/-/admin/repos/visibility">${f}<input type="hidden" name="path" value="${r.path}"><input type="hidden" name="public" value="${r.isPublic ? '0' : '1'}"><button type="submit">${r.isPublic ? 'Make private' : 'Make public'}</button></form>
<a class="button" href="/${urlPath(r.path)}/-/settings">Settings</a><a class="button danger" href="${confirmUrl('/-/admin/repos/delete', { path: r.path })}">Delete</a>
<details class="row-form"><summary>Rename</summary><form class="stack" method="post" action="/-/admin/repos/rename">${f}<input type="hidden" name="path" value="${r.path}"><label for="mv-${r.id}">New path for ${r.path}</label><input id="mv-${r.id}" type="text" name="to" value="${r.path}" required autocomplete="off" spellcheck="false"><div><button type="submit">Rename</button></div></form></details></li>`,
    )}</ul>
<form class="stack markdown" method="post" action="/-/admin/repos">${f}<label for="new-repo">New repository path</label><input id="new-repo" type="text" name="path" required placeholder="team/app">
<label for="kind">Kind</label><select id="kind" name="kind"><option value="hg">Mercurial</option><option value="git">Git</option></select>
<label><input type="checkbox" name="public" value="1"> Public</label><div><button class="primary" type="submit">Create repository</button></div></form></section>`,
  });
}

/** The confirmation page of "Remove admin" (GET `/-/admin/users/admin?name=N&admin=0`). */
async function confirmRemoveAdmin(ctx: PageContext): Promise<void> {
  const name = parseUserName(ctx.url.searchParams.get('name') ?? '');
  const user = await ctx.app.stores.users.byName(name);
  if (!user?.isAdmin || ctx.url.searchParams.get('admin') !== '0') return redirect(ctx.res, '/-/admin');
  const self = ctx.signedIn?.subject.user.name === name;
  sendHtml(ctx.req, ctx.res, 200, confirmPage(ctx, {
    title: `Remove admin rights from ${name}?`,
    question: self ? html`You are removing your own admin rights: you will no longer see this admin page.` : html`${name} will no longer manage users and repositories.`,
    action: '/-/admin/users/admin',
    fields: { name, admin: '0' },
    button: 'Remove admin',
    cancel: '/-/admin',
  }), { 'Cache-Control': 'no-store' });
}

/**
 * `/-/admin`: users (create, admin rights, reset a password) and repositories (create, visibility,
 * rename, delete with the path typed). Only admins; everyone else gets a plain 404. Every POST
 * answers 303 (to the page, with what happened in a flash: src/web/flash.ts), so a reload never posts again; removing
 * admin rights goes through a confirmation page first.
 */
export async function admin(ctx: PageContext, action: string): Promise<void> {
  const { req, res } = ctx;
  if (!ctx.signedIn?.subject.user.isAdmin) throw new NotFoundError('no such page');
  const reading = req.method === 'GET' || req.method === 'HEAD';
  if (action === '' && reading) {
    // What the last POST said comes from the server (a flash), never from the query string.
    const { flash, clear } = takeFlash(ctx);
    return sendHtml(req, res, 200, await adminPage(ctx, flash?.kind === 'error' ? flash.text : undefined, flash?.kind === 'done' ? flash.text : undefined), { 'Cache-Control': 'no-store', ...clear });
  }
  if (action === 'users/admin' && reading) return confirmRemoveAdmin(ctx);
  if (action === 'repos/delete' && reading) {
    const repo = await ctx.app.stores.repos.byPath(parseRepoPath(ctx.url.searchParams.get('path') ?? ''));
    if (!repo) return redirect(res, '/-/admin');
    const { flash, clear } = takeFlash(ctx);
    return sendHtml(req, res, 200, deletePage(ctx, repo, flash?.kind === 'error' ? flash.text : undefined, '/-/admin/repos/delete', '/-/admin'), { 'Cache-Control': 'no-store', ...clear });
  }
  if (req.method !== 'POST') throw new NotFoundError('no such page');
  checkCsrfHead(ctx);
  const form = await readForm(req);
  checkCsrf(ctx, form);
  const { stores, repositories } = ctx.app;
  try {
    switch (action) {
      case 'users': {
        const name = parseUserName((form.get('name') ?? '').trim());
        const password = form.get('password') ?? '';
        const hash = password === '' ? null : await hashPassword(password);
        const user = await addUser(stores, name, { admin: form.get('admin') === '1' });
        if (hash) await stores.users.setPasswordHash(user.id, hash);
        return redirect(res, '/-/admin', flashed(ctx, 'done', `Created user ${name}.`));
      }
      case 'users/admin': {
        const name = parseUserName(form.get('name') ?? '');
        const on = form.get('admin') === '1';
        if (!on && !isConfirmed(form)) return redirect(res, confirmUrl('/-/admin/users/admin', { name, admin: '0' }));
        await setAdmin(stores.users, name, on);
        // Who just gave up their own rights may no longer see /-/admin: send them home, not to a 404.
        if (!on && name === ctx.signedIn.subject.user.name) return redirect(res, '/');
        return redirect(res, '/-/admin', flashed(ctx, 'done', `${name} is ${on ? 'now an admin' : 'no longer an admin'}.`));
      }
      case 'repos': {
        const path = parseRepoPath((form.get('path') ?? '').trim());
        const kind = form.get('kind') === 'git' ? 'git' : 'hg';
        await repositories.create(path, kind, { isPublic: form.get('public') === '1' });
        return redirect(res, `/${urlPath(path)}`);
      }
      case 'repos/visibility': {
        const path = parseRepoPath(form.get('path') ?? '');
        await repositories.setPublic(path, form.get('public') === '1');
        return redirect(res, '/-/admin', flashed(ctx, 'done', `${path} is now ${form.get('public') === '1' ? 'public' : 'private'}.`));
      }
      case 'users/password': {
        const user = await stores.users.byName(parseUserName(form.get('name') ?? ''));
        if (!user) throw new FerryError('FERRY_USER_NOT_FOUND', 'no such user');
        // One path with `ferry user passwd`: the user's web sessions end (the admin's own too, but this one).
        await setPassword(stores, user, form.get('password') ?? '', ctx.signedIn.idHash);
        return redirect(res, '/-/admin', flashed(ctx, 'done', `New password set for ${user.name}; their sessions are signed out.`));
      }
      case 'repos/rename': {
        const from = parseRepoPath(form.get('path') ?? '');
        const moved = await repositories.move(from, parseRepoPath((form.get('to') ?? '').trim()));
        return redirect(res, '/-/admin', flashed(ctx, 'done', `Renamed ${from} to ${moved.path}; the old path redirects until a repository is created there.`));
      }
      case 'repos/delete': {
        const repo = await stores.repos.byPath(parseRepoPath(form.get('path') ?? ''));
        if (!repo) throw new FerryError('FERRY_REPO_NOT_FOUND', 'no such repository');
        if (!isConfirmed(form)) return redirect(res, confirmUrl('/-/admin/repos/delete', { path: repo.path }));
        try {
          await removeConfirmed(repositories, repo, form.get('confirm_path') ?? '');
        } catch (err) {
          if (!(err instanceof InvalidInputError)) throw err;
          return redirect(res, confirmUrl('/-/admin/repos/delete', { path: repo.path }), flashed(ctx, 'error', describeError(err)));
        }
        return redirect(res, '/-/admin', flashed(ctx, 'done', `Deleted ${repo.path}.`));
      }
      default:
        throw new NotFoundError('no such page');
    }
  } catch (err) {
    if (!(err instanceof FerryError) || (err instanceof NotFoundError && err.code === 'FERRY_NOT_FOUND')) throw err;
    return redirect(res, '/-/admin', flashed(ctx, 'error', describeError(err)));
  }
}

/** The `Set-Cookie` header of a POST's redirect that tells the next page what happened. */
function flashed(ctx: PageContext, kind: 'done' | 'error', text: string): Record<string, string> {
  return { 'Set-Cookie': flashCookie(ctx, { kind, text }) };
}
