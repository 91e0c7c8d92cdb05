import { setTimeout as sleep } from 'node:timers/promises';
import { isGrantLevel } from '../../domain/access-level.js';
import { parseDuration, formatDuration } from '../../domain/duration.js';
import { FerryError, InvalidInputError, NotFoundError, describeError } from '../../domain/errors.js';
import { grantCovers, parseRepoPath, type RepoPath } from '../../domain/repo-path.js';
import { parseUserName } from '../../domain/user-name.js';
import { mirrorStatus } from '../../mirrors/status.js';
import { moveForSubject, removeConfirmed } from '../../services/repo-admin.js';
import { addDeployKeys, normaliseFingerprint } from '../../services/ssh-keys.js';
import type { Repo } from '../../store/types.js';
import { confirmPage, confirmUrl, isConfirmed } from '../confirm.js';
import type { PageContext } from '../context.js';
import { checkCsrf, checkCsrfHead } from '../csrf.js';
import { flashCookie, takeFlash } from '../flash.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField, layout, shortDate } from '../layout.js';
import { readForm, redirect, sendHtml } from '../respond.js';
import { hookConfirmation, hooksSection, performHookAction } from './repo-settings-hooks.js';
import { repoBase, repoHeader } from './repo-shell.js';

/** How long "Sync now" waits for the sync before answering that it goes on in the background. */
const SYNC_WAIT_MS = 15_000;

const settingsUrl = (repo: Pick<Repo, 'path'>, action = ''): string => `${repoBase(repo.path)}/-/settings${action === '' ? '' : `/${action}`}`;

/**
 * `/PATH/-/settings` and its forms, for the repo's admins (and site admins): visibility, hg
 * phases, grants, deploy keys, the mirror, webhooks (repo-settings-hooks.ts), rename and delete. Who may is decided again on every
 * request (a page left open by someone who lost admin rights cannot post): a repo the visitor may
 * not see is a 404, one they may only read or write a 403 (AccessPolicy.authorize). Every POST
 * checks the session's CSRF token and answers 303, so a reload never posts again; removals go
 * through a confirmation page, and deleting the repo asks for its path to be typed.
 * @param action what follows `/-/settings/` (empty for the page itself)
 */
export async function repoSettings(ctx: PageContext, path: RepoPath, action: string): Promise<void> {
  const { req, res } = ctx;
  const { repo } = await ctx.app.policy.authorize(ctx.subject, path, 'admin');
  const reading = req.method === 'GET' || req.method === 'HEAD';
  if (reading) {
    if (action === '') {
      // What the last POST said comes from the server (a flash), never from the query string.
      const { flash, clear } = takeFlash(ctx);
      const done = flash?.kind === 'done' ? flash.text : undefined;
      const error = flash?.kind === 'error' ? flash.text : undefined;
      return sendHtml(req, res, 200, await settingsPage(ctx, repo, done, error), { 'Cache-Control': 'no-store', ...clear });
    }
    if (await hookConfirmation(ctx, repo, action, (a) => settingsUrl(repo, a))) return;
    return confirmation(ctx, repo, action);
  }
  if (req.method !== 'POST') throw new NotFoundError('no such page');
  checkCsrfHead(ctx);
  const form = await readForm(req);
  checkCsrf(ctx, form);
  const back = (done: string): void => redirect(res, settingsUrl(repo), { 'Set-Cookie': flashCookie(ctx, { kind: 'done', text: done }) });
  try {
    if (await performHookAction(ctx, repo, action, form, (a) => settingsUrl(repo, a), back)) return;
    return await perform(ctx, repo, action, form, back);
  } catch (err) {
    if (!(err instanceof FerryError) || err.code === 'FERRY_NOT_FOUND') throw err;
    return redirect(res, settingsUrl(repo), { 'Set-Cookie': flashCookie(ctx, { kind: 'error', text: describeError(err) }) });
  }
}

async function perform(ctx: PageContext, repo: Repo, action: string, form: URLSearchParams, back: (done: string) => void): Promise<void> {
  const { app, res } = ctx;
  switch (action) {
    case 'visibility': {
      const made = await app.repositories.setPublic(repo.path, form.get('public') === '1');
      return back(`${made.path} is now ${made.isPublic ? 'public' : 'private'}.`);
    }
    case 'phases': {
      const publishing = form.get('publishing') === '1';
      await app.hgPhases.set(repo.path, publishing);
      return back(publishing ? 'Now publishing: pushed changesets become public.' : 'Now non-publishing: pushed drafts stay draft.');
    }
    case 'grants': {
      const name = parseUserName((form.get('user') ?? '').trim());
      const level = form.get('level') ?? '';
      if (!isGrantLevel(level)) throw new InvalidInputError('choose read, write or admin');
      const user = await app.stores.users.byName(name);
      if (!user) throw new FerryError('FERRY_USER_NOT_FOUND', `no user named ${name}: an admin adds users on the admin page or with ferry user add`);
      await app.stores.grants.set(user.id, repo.path, level);
      return back(`${user.name} may now ${level === 'read' ? 'read' : level === 'write' ? 'read and write' : 'administer'} ${repo.path}.`);
    }
    case 'grants/remove': {
      const name = parseUserName(form.get('user') ?? '');
      if (!isConfirmed(form)) return redirect(res, confirmUrl(settingsUrl(repo, 'grants/remove'), { user: name }));
      const user = await app.stores.users.byName(name);
      if (!user || !(await app.stores.grants.remove(user.id, repo.path))) throw new FerryError('FERRY_INVALID_INPUT', `${name} has no grant on ${repo.path}`);
      // Who took away their own admin grant may no longer see this page: send them to the repo.
      if ((await app.policy.levelOn(ctx.subject, repo)) !== 'admin') return redirect(res, repoBase(repo.path));
      return back(`Removed ${user.name}'s access.`);
    }
    case 'deploy-keys': {
      const added = await addDeployKeys(app.stores.keys, repo, form.get('key') ?? '', form.get('write') === '1');
      return back(`Added ${added.length === 1 ? 'a deploy key' : `${added.length} deploy keys`}.`);
    }
    case 'deploy-keys/remove': {
      const fingerprint = normaliseFingerprint(form.get('fingerprint') ?? '');
      if (!isConfirmed(form)) return redirect(res, confirmUrl(settingsUrl(repo, 'deploy-keys/remove'), { fingerprint }));
      await app.stores.keys.removeDeployKey(repo.id, fingerprint);
      return back('Deploy key removed.');
    }
    case 'mirror/schedule': {
      const mirror = await app.mirrors.reschedule(repo.path, parseDuration((form.get('every') ?? '').trim()));
      return back(`Syncs every ${formatDuration(mirror.intervalMs)}.`);
    }
    case 'mirror/sync': {
      if (!(await app.mirrors.isMirror(repo))) throw new FerryError('FERRY_INVALID_INPUT', `${repo.path} is not a mirror`);
      const sync = app.mirrors.sync(repo.path);
      sync.catch(() => undefined);
      let waited: string | undefined;
      try {
        waited = await Promise.race([sync.then((o) => o.summary), delay(SYNC_WAIT_MS)]);
      } catch {
        // The reason is recorded as the mirror's last error, shown below without credentials.
        throw new FerryError('FERRY_IMPORT_FAILED', 'The sync was refused or failed: the Mirror section says why.');
      }
      if (waited === undefined) return back('The sync goes on in the background: reload this page to see how it ended.');
      return back(`Synced: ${waited}.`);
    }
    case 'mirror/remove': {
      if (!isConfirmed(form)) return redirect(res, confirmUrl(settingsUrl(repo, 'mirror/remove'), {}));
      await app.mirrors.remove(repo.path);
      return back(`${repo.path} is no longer a mirror; it accepts pushes again.`);
    }
    case 'rename': {
      const to = parseRepoPath((form.get('path') ?? '').trim());
      const moved = await moveForSubject(app, ctx.subject, repo, to);
      return redirect(res, settingsUrl(moved), { 'Set-Cookie': flashCookie(ctx, { kind: 'done', text: `Renamed to ${moved.path}; ${repo.path} redirects here until a repository is created there.` }) });
    }
    case 'delete': {
      if (!isConfirmed(form)) return redirect(res, settingsUrl(repo, 'delete'));
      try {
        await removeConfirmed(app.repositories, repo, form.get('confirm_path') ?? '');
      } catch (err) {
        if (!(err instanceof InvalidInputError)) throw err;
        return redirect(res, settingsUrl(repo, 'delete'), { 'Set-Cookie': flashCookie(ctx, { kind: 'error', text: describeError(err) }) });
      }
      return redirect(res, '/');
    }
    default:
      throw new NotFoundError('no such page');
  }
}

function delay(ms: number): Promise<undefined> {
  return sleep(ms, undefined, { ref: false });
}

/** GET of a form's URL: its confirmation page, or back to the settings page when it names nothing. */
async function confirmation(ctx: PageContext, repo: Repo, action: string): Promise<void> {
  const q = ctx.url.searchParams;
  const show = (body: SafeHtml): void => sendHtml(ctx.req, ctx.res, 200, body, { 'Cache-Control': 'no-store' });
  const cancel = settingsUrl(repo);
  switch (action) {
    case 'grants/remove': {
      const name = q.get('user') ?? '';
      const grant = (await ctx.app.stores.grants.list()).find((g) => g.repoId === repo.id && g.user === name);
      if (!grant) return redirect(ctx.res, cancel);
      const self = ctx.signedIn?.subject.user.id === grant.userId;
      return show(confirmPage(ctx, {
        title: `Remove ${grant.user}'s access?`,
        question: self
          ? html`You are removing your own <strong>${grant.level}</strong> grant on ${repo.path}: unless another grant covers you, you will no longer see these settings.`
          : html`${grant.user} loses the <strong>${grant.level}</strong> grant on ${repo.path} on their next request, over SSH, HTTP and the web.`,
        action: settingsUrl(repo, 'grants/remove'), fields: { user: grant.user }, button: 'Remove access', cancel,
      }));
    }
    case 'deploy-keys/remove': {
      const key = (await ctx.app.stores.keys.listForRepo(repo.id)).find((k) => k.fingerprint === q.get('fingerprint'));
      if (!key) return redirect(ctx.res, cancel);
      return show(confirmPage(ctx, {
        title: 'Remove this deploy key?',
        question: html`<span class="mono">${key.fingerprint}</span> ${key.comment}: clones${key.owner.kind === 'deploy' && key.owner.write ? ' and pushes' : ''} with this key stop working.`,
        action: settingsUrl(repo, 'deploy-keys/remove'), fields: { fingerprint: key.fingerprint }, button: 'Remove key', cancel,
      }));
    }
    case 'mirror/remove': {
      if (!(await ctx.app.mirrors.isMirror(repo))) return redirect(ctx.res, cancel);
      return show(confirmPage(ctx, {
        title: 'Stop mirroring?',
        question: html`${repo.path} stops syncing from its source and becomes an ordinary repository that accepts pushes. Its history stays.`,
        action: settingsUrl(repo, 'mirror/remove'), fields: {}, button: 'Stop mirroring', cancel,
      }));
    }
    case 'delete': {
      const { flash, clear } = takeFlash(ctx);
      return sendHtml(ctx.req, ctx.res, 200, deletePage(ctx, repo, flash?.kind === 'error' ? flash.text : undefined), { 'Cache-Control': 'no-store', ...clear });
    }
    default:
      throw new NotFoundError('no such page');
  }
}

/** Deleting asks for the repo's path to be typed (as Gitea does); it works without JavaScript. */
export function deletePage(ctx: PageContext, repo: Repo, error?: string, action = settingsUrl(repo, 'delete'), cancel = settingsUrl(repo)): SafeHtml {
  return layout(ctx, {
    title: `Delete ${repo.path}?`,
    body: html`<section class="box confirm" id="confirm"><header><strong>Delete ${repo.path}?</strong></header><form class="stack markdown" method="post" action="${action}">${csrfField(ctx)}<input type="hidden" name="confirmed" value="1"><input type="hidden" name="path" value="${repo.path}">
${error ? html`<div class="error" role="alert">${error}</div>` : ''}<p>This deletes the ${repo.kind === 'hg' ? 'Mercurial' : 'Git'} repository <strong>${repo.path}</strong> with its history, grants, deploy keys, mirror and settings. It cannot be undone.</p>
<label for="confirm-path">Type <span class="mono">${repo.path}</span> to confirm</label><input id="confirm-path" type="text" name="confirm_path" required autocomplete="off" spellcheck="false">
<div class="actions"><button class="danger-solid" type="submit">Delete this repository</button><a href="${cancel}">Cancel</a></div></form></section>`,
  });
}

async function settingsPage(ctx: PageContext, repo: Repo, done?: string, error?: string): Promise<SafeHtml> {
  const { app } = ctx;
  const [grants, keys, mirror, publishing] = await Promise.all([
    app.stores.grants.list(),
    app.stores.keys.listForRepo(repo.id),
    app.stores.mirrors.byRepoId(repo.id),
    app.hgPhases.publishing(repo),
  ]);
  const f = csrfField(ctx);
  const direct = grants.filter((g) => g.repoId === repo.id);
  const groups = grants.filter((g) => g.repoId === null && grantCovers(g.target, repo.path));
  const sections: SafeHtml[] = [];
  sections.push(html`<section class="box" id="general"><header><strong>General</strong></header><div class="markdown settings-rows">
<div class="setting"><div><strong>Visibility</strong><br><span class="muted small">${repo.isPublic ? 'Public: anyone may read and clone it, also without signing in.' : 'Private: only those with access see it.'}</span></div>
<form method="post" action="${settingsUrl(repo, 'visibility')}">${f}<input type="hidden" name="public" value="${repo.isPublic ? '0' : '1'}"><button type="submit" id="toggle-visibility">${repo.isPublic ? 'Make private' : 'Make public'}</button></form></div>
${repo.kind === 'hg'
    ? html`<div class="setting"><div><strong>Phases</strong> <span class="badge phase" id="phases-state">${publishing ? 'publishing' : 'non-publishing'}</span><br><span class="muted small">${publishing ? 'Pushed changesets become public, as with a plain hg server.' : 'Pushed drafts stay draft, so evolve users can share and rewrite work in progress.'}</span></div>
<form method="post" action="${settingsUrl(repo, 'phases')}">${f}<input type="hidden" name="publishing" value="${publishing ? '0' : '1'}"><button type="submit" id="toggle-phases">${publishing ? 'Make non-publishing' : 'Make publishing'}</button></form></div>`
    : ''}
</div></section>`);
  sections.push(html`<section class="box" id="access"><header><strong>Access</strong><span class="muted small">who may read, write or administer ${repo.path}</span></header>
<ul class="list" id="grants">${direct.length === 0 ? html`<li class="muted">No one has a grant on this repository alone.</li>` : direct.map(
    (g) => html`<li><span class="grow">${g.user} <span class="badge">${g.level}</span></span><a class="button danger" href="${confirmUrl(settingsUrl(repo, 'grants/remove'), { user: g.user })}">Remove</a></li>`,
  )}${groups.map((g) => html`<li class="muted"><span class="grow">${g.user} <span class="badge">${g.level}</span> <span class="small">through the group ${g.target} (an admin changes it with ferry grant)</span></span></li>`)}</ul>
<form class="stack markdown" method="post" action="${settingsUrl(repo, 'grants')}">${f}<label for="grant-user">Give a user access</label><input id="grant-user" type="text" name="user" required placeholder="user name" autocomplete="off">
<label for="grant-level">Level</label><select id="grant-level" name="level"><option value="read">read</option><option value="write">write</option><option value="admin">admin</option></select>
<div><button class="primary" type="submit">Grant access</button></div></form></section>`);
  sections.push(html`<section class="box" id="deploy-keys"><header><strong>Deploy keys</strong><span class="muted small">SSH keys that reach this repository only</span></header>
<ul class="list" id="deploy-key-list">${keys.length === 0 ? html`<li class="muted">No deploy keys.</li>` : keys.map(
    (k) => html`<li><span class="grow"><span class="mono">${k.fingerprint}</span> ${k.owner.kind === 'deploy' && k.owner.write ? html`<span class="badge">read-write</span>` : html`<span class="badge">read-only</span>`} ${k.comment}<br><span class="muted small">added ${shortDate(k.createdAt)}${k.lastUsedAt ? ` · last used ${shortDate(k.lastUsedAt)}` : ' · never used'}</span></span>
<a class="button danger" href="${confirmUrl(settingsUrl(repo, 'deploy-keys/remove'), { fingerprint: k.fingerprint })}">Remove</a></li>`,
  )}</ul>
<form class="stack markdown" method="post" action="${settingsUrl(repo, 'deploy-keys')}">${f}<label for="deploy-key">Add a deploy key (the contents of a .pub file)</label><textarea id="deploy-key" name="key" required placeholder="ssh-ed25519 AAAA… ci@build"></textarea>
<label><input type="checkbox" name="write" value="1"> Allow pushes with this key</label><div><button class="primary" type="submit">Add deploy key</button></div></form></section>`);
  if (mirror) {
    const s = mirrorStatus(mirror);
    sections.push(html`<section class="box" id="mirror"><header><strong>Mirror</strong><span class="muted small">read-only; changes only by syncing from its source</span></header>
<dl class="meta mirror-meta"><dt>Source</dt><dd class="mono" id="mirror-source">${s.source}</dd><dt>Syncs every</dt><dd>${formatDuration(s.intervalMs)}${s.allowForce ? ' (follows force-pushes and strips)' : ''}</dd>
<dt>Last sync</dt><dd id="mirror-last-sync">${s.lastAttemptAt ? `${shortDate(s.lastAttemptAt)} UTC` : 'never'}${s.lastAttemptAt ? (s.lastError === null ? ' (worked)' : ' (failed)') : ''}</dd>
<dt>Last success</dt><dd>${s.lastSuccessAt ? `${shortDate(s.lastSuccessAt)} UTC` : 'never'}</dd>
${s.lastError !== null ? html`<dt>Last error</dt><dd class="error-text" id="mirror-error">${s.lastError}${s.failures > 1 ? ` (${s.failures} failures in a row)` : ''}</dd>` : ''}
<dt>Next sync</dt><dd id="mirror-next">${shortDate(s.nextRunAt)} UTC</dd></dl>
<div class="markdown mirror-actions"><form method="post" action="${settingsUrl(repo, 'mirror/sync')}">${f}<button class="primary" type="submit" id="sync-now">Sync now</button></form>
<form class="row" method="post" action="${settingsUrl(repo, 'mirror/schedule')}">${f}<label for="mirror-every">Sync every</label><input id="mirror-every" type="text" name="every" value="${formatDuration(s.intervalMs)}" size="8" required aria-describedby="every-help"><span class="muted small" id="every-help">like 30m, 1h or 1d</span><button type="submit">Save</button></form>
<a class="button danger" href="${settingsUrl(repo, 'mirror/remove')}">Stop mirroring</a></div>
<p class="muted small markdown">The source and its credentials are changed with <code>ferry mirror add ${repo.path} URL</code> on the server.</p></section>`);
  }
  sections.push(await hooksSection(ctx, repo, (a) => settingsUrl(repo, a), f));
  sections.push(html`<section class="box" id="rename"><header><strong>Rename</strong></header>
<form class="stack markdown" method="post" action="${settingsUrl(repo, 'rename')}">${f}<label for="new-path">New path</label><input id="new-path" type="text" name="path" required value="${repo.path}" autocomplete="off" spellcheck="false">
<p class="muted small">${mirror ? 'Grants, deploy keys and the mirror' : 'Grants and deploy keys'} move along; the old path redirects web pages and hg/git clients until a repository is created there.</p><div><button type="submit">Rename</button></div></form></section>`);
  sections.push(html`<section class="box danger-zone" id="delete"><header><strong>Delete</strong></header><div class="markdown"><p>Deleting removes the repository and its history for good.</p><a class="button danger" href="${settingsUrl(repo, 'delete')}" id="delete-link">Delete this repository…</a></div></section>`);
  return layout(ctx, {
    title: `Settings · ${repo.path}`,
    body: html`${repoHeader({ repo, level: 'admin', base: repoBase(repo.path) }, 'settings')}${error ? html`<div class="error" role="alert">${error}</div>` : ''}${done ? html`<div class="notice" role="status">${done}</div>` : ''}
<div class="settings">${sections}</div>`,
  });
}
