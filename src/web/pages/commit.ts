import { NotFoundError } from '../../domain/errors.js';
import { isPlausibleRef } from '../../vcs/browse.js';
import type { PageContext } from '../context.js';
import { parseDiff, type FileDiff } from '../diff.js';
import { html, urlPath, type SafeHtml } from '../html.js';
import { shortDate, shortId, summaryOf } from '../layout.js';
import { labelBadges } from './log.js';
import { repoPage, type RepoView } from './repo-shell.js';

const MAX_DIFF_LINES = 3000;
const OPEN_FILE_LINES = 400;

async function resolveCommit(view: RepoView, id: string): Promise<string> {
  const full = isPlausibleRef(id) ? await view.browser.resolve(id) : undefined;
  if (!full) throw new NotFoundError(`no commit ${JSON.stringify(id.slice(0, 80))} in this repository`);
  return full;
}

function fileBlock(view: RepoView, id: string, f: FileDiff, index: number): SafeHtml {
  const name = f.status === 'renamed' || f.status === 'copied' ? `${f.oldPath} → ${f.newPath}` : f.status === 'deleted' ? f.oldPath : f.newPath;
  const rows = f.lines.map((l) =>
    l.kind === 'hunk'
      ? html`<tr class="hunk"><td class="ln"></td><td class="ln"></td><td>${l.text}</td></tr>`
      : html`<tr class="${l.kind}"><td class="ln">${l.oldNo ?? ''}</td><td class="ln">${l.newNo ?? ''}</td><td class="code">${l.text}</td></tr>`,
  );
  const body = f.binary
    ? html`<p class="markdown muted">Binary file changed.</p>`
    : f.lines.length === 0
      ? html`<p class="markdown muted">No content changes.</p>`
      : html`<div class="code-wrap"><table class="code diff"><tbody>${rows}</tbody></table></div>`;
  const view_ = f.status === 'deleted' ? '' : html` · <a href="${view.base}/-/files/${id}/${urlPath(f.newPath)}">View file</a>`;
  return html`<details class="file" id="file-${index}"${f.lines.length <= OPEN_FILE_LINES ? html` open` : ''}><summary><span class="mono">${name}</span> <span class="badge">${f.status}</span> <span class="stat-add">+${f.additions}</span> <span class="stat-del">−${f.deletions}</span>${view_}</summary>${body}</details>`;
}

/** One commit: message, metadata, parents, and its diff (big diffs truncated, with the raw diff linked). */
export async function commitPage(ctx: PageContext, view: RepoView, ref: string): Promise<SafeHtml> {
  const id = await resolveCommit(view, ref);
  const [commit, raw] = await Promise.all([view.browser.commit(id), view.browser.diff(id)]);
  if (!commit) throw new NotFoundError(`no commit ${id}`);
  const files = parseDiff(raw.toString('utf8'));
  let budget = MAX_DIFF_LINES;
  const blocks: SafeHtml[] = [];
  let truncated = 0;
  files.forEach((f, i) => {
    if (budget <= 0) {
      truncated++;
      return;
    }
    budget -= f.lines.length;
    blocks.push(fileBlock(view, id, f, i));
  });
  const add = files.reduce((n, f) => n + f.additions, 0);
  const del = files.reduce((n, f) => n + f.deletions, 0);
  const diffUrl = `${view.base}/-/commit/${id}.diff`;
  const [first, ...rest] = commit.message.replace(/\s+$/, '').split('\n');
  const body = html`<section class="box"><header><strong class="grow">${first ?? ''}</strong></header>
${rest.join('\n').trim() !== '' ? html`<pre class="message">${rest.join('\n').trim()}</pre>` : ''}
<dl class="meta"><dt>Commit</dt><dd class="mono">${commit.id}</dd><dt>Author</dt><dd>${commit.author}${commit.email ? html` <span class="muted">&lt;${commit.email}&gt;</span>` : ''}</dd><dt>Date</dt><dd>${shortDate(commit.date)}</dd>
<dt>Parents</dt><dd>${commit.parents.length === 0 ? html`<span class="muted">none (root)</span>` : commit.parents.map((p) => html`<a class="mono" href="${view.base}/-/commit/${p}">${shortId(p)}</a> `)}</dd>
${commit.labels.length > 0 ? html`<dt>Refs</dt><dd>${labelBadges(commit.labels)}</dd>` : ''}
<dt>Browse</dt><dd><a href="${view.base}/-/files/${id}">Files at this commit</a> · <a href="${diffUrl}">Raw diff</a></dd></dl></section>
<p class="muted">${files.length} file${files.length === 1 ? '' : 's'} changed, <span class="stat-add">${add} additions</span>, <span class="stat-del">${del} deletions</span></p>
${blocks}
${truncated > 0 ? html`<div class="notice">This diff is large: ${truncated} more file${truncated === 1 ? '' : 's'} not shown. <a href="${diffUrl}">See the whole raw diff</a>.</div>` : ''}`;
  return repoPage(ctx, view, 'log', summaryOf(commit.message) || shortId(id), body);
}

/** The commit's diff as plain text. */
export async function sendRawDiff(ctx: PageContext, view: RepoView, ref: string): Promise<void> {
  const id = await resolveCommit(view, ref);
  const raw = await view.browser.diff(id);
  ctx.res.writeHead(200, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': raw.length,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Cache-Control': 'public, max-age=31536000, immutable',
  });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : raw);
}
