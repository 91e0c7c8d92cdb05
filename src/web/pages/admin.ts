import { FerryError, NotFoundError, describeError } from '../../domain/errors.js';
import { parseRepoPath } from '../../domain/repo-path.js';
import { parseUserName } from '../../domain/user-name.js';
import { hashPassword } from '../../services/passwords.js';
import type { PageContext } from '../context.js';
import { checkCsrf, checkCsrfHead } from '../csrf.js';
import { html, urlPath, type SafeHtml } from '../html.js';
import { csrfField, layout, shortDate } from '../layout.js';
import { readForm, redirect, sendHtml } from '../respond.js';

async function adminPage(ctx: PageContext, error?: string, notice?: string): Promise<SafeHtml> {
  const [users, repos] = await Promise.all([ctx.app.stores.users.list(), ctx.app.stores.repos.list()]);
  const f = csrfField(ctx);
  return layout(ctx, {
    title: 'Admin',
    body: html`<h1>Admin</h1>${error ? html`<div class="error" role="alert">${error}</div>` : ''}${notice ? html`<div class="notice" role="status">${notice}</div>` : ''}
<section class="box"><header><strong>Users</strong><span class="spacer"></span><span class="muted small">${users.length}</span></header>
<ul class="list" id="users">${users.map(
      (u) => html`<li><span class="grow">${u.name} ${u.isAdmin ? html`<span class="badge phase">admin</span>` : ''}<br><span class="muted small">since ${shortDate(u.createdAt)}</span></span>
<form class="inline" method="post" action="/-/admin/users/admin">${f}<input type="hidden" name="name" value="${u.name}"><input type="hidden" name="admin" value="${u.isAdmin ? '0' : '1'}"><button type="submit">${u.isAdmin ? 'Remove admin' : 'Make admin'}</button></form></li>`,
    )}</ul>
<form class="stack markdown" method="post" action="/-/admin/users">${f}<label for="new-user">New user</label><input id="new-user" type="text" name="name" required pattern="[A-Za-z0-9][A-Za-z0-9_.\\-]*">
<label for="new-password">Password (optional, at least 8 characters)</label><input id="new-password" type="password" name="password" autocomplete="new-password">
<label><input type="checkbox" name="admin" value="1"> Admin</label><div><button class="primary" type="submit">Create user</button></div></form></section>
<section class="box"><header><strong>Repositories</strong><span class="spacer"></span><span class="muted small">${repos.length}</span></header>
<ul class="list" id="repos">${repos.map(
      (r) => html`<li><a class="grow" href="/${urlPath(r.path)}">${r.path}</a><span class="badge">${r.kind}</span>${r.isPublic ? html`<span class="badge public">public</span>` : html`<span class="badge">private</span>`}
<form class="inline" method="post" action="/-/admin/repos/visibility">${f}<input type="hidden" name="path" value="${r.path}"><input type="hidden" name="public" value="${r.isPublic ? '0' : '1'}"><button type="submit">${r.isPublic ? 'Make private' : 'Make public'}</button></form></li>`,
    )}</ul>
<form class="stack markdown" method="post" action="/-/admin/repos">${f}<label for="new-repo">New repository path</label><input id="new-repo" type="text" name="path" required placeholder="team/app">
<label for="kind">Kind</label><select id="kind" name="kind"><option value="hg">Mercurial</option><option value="git">Git</option></select>
<label><input type="checkbox" name="public" value="1"> Public</label><div><button class="primary" type="submit">Create repository</button></div></form></section>`,
  });
}

/** `/-/admin`: users and repositories. Only admins; everyone else gets a plain 404. */
export async function admin(ctx: PageContext, action: string): Promise<void> {
  const { req, res } = ctx;
  if (!ctx.signedIn?.subject.user.isAdmin) throw new NotFoundError('no such page');
  if (action === '' && (req.method === 'GET' || req.method === 'HEAD')) return sendHtml(req, res, 200, await adminPage(ctx, undefined, ctx.url.searchParams.get('done') ?? undefined));
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
        const user = await stores.users.create(name, { admin: form.get('admin') === '1' });
        if (hash) await stores.users.setPasswordHash(user.id, hash);
        return redirect(res, `/-/admin?done=${encodeURIComponent(`Created user ${name}.`)}`);
      }
      case 'users/admin': {
        const name = parseUserName(form.get('name') ?? '');
        await stores.users.setAdmin(name, form.get('admin') === '1');
        return redirect(res, `/-/admin?done=${encodeURIComponent(`${name} is ${form.get('admin') === '1' ? 'now an admin' : 'no longer an admin'}.`)}`);
      }
      case 'repos': {
        const path = parseRepoPath((form.get('path') ?? '').trim());
        const kind = form.get('kind') === 'git' ? 'git' : 'hg';
        await repositories.create(path, kind, { isPublic: form.get('public') === '1' });
        return redirect(res, `/${urlPath(path)}`);
      }
      case 'repos/visibility': {
        const path = parseRepoPath(form.get('path') ?? '');
        await stores.repos.setPublic(path, form.get('public') === '1');
        return redirect(res, `/-/admin?done=${encodeURIComponent(`${path} is now ${form.get('public') === '1' ? 'public' : 'private'}.`)}`);
      }
      default:
        throw new NotFoundError('no such page');
    }
  } catch (err) {
    if (!(err instanceof FerryError) || err instanceof NotFoundError) throw err;
    return sendHtml(req, res, 400, await adminPage(ctx, describeError(err)));
  }
}
