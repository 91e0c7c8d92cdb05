import { NotFoundError } from '../../domain/errors.js';
import { isPlausibleRef, type CommitInfo } from '../../vcs/browse.js';
import type { PageContext } from '../context.js';
import { parseDiff, type DiffLine, type FileDiff } from '../diff.js';
import { escapeHtml, html, trustedHtml, urlPath, type SafeHtml } from '../html.js';
import { shortDate, shortId, summaryOf } from '../layout.js';
import { labelBadges } from './log.js';
import { commitStatusesBox } from './commit-statuses.js';
import { repoPage, type RepoView } from './repo-shell.js';
import { renderedDiffKey } from '../rendered-diffs.js';
import { decodeBytes, queryString, searchParam } from '../../domain/byte-names.js';

/** Diff lines rendered on a commit page, all files together; the rest are listed with links. */
const MAX_DIFF_LINES = 3000;
/** A file with more diff lines than this is not rendered on the commit page: it gets a link to its own page. */
const BIG_FILE_LINES = 1000;
/** At most this many diff lines of one file are rendered, even on its own page (a 60,000-line file stays a few hundred KB). */
const MAX_FILE_LINES = 5000;
/** Longer lines (minified code) are cut here, marked with an ellipsis. */
const MAX_LINE_CHARS = 1000;
const OPEN_FILE_LINES = 400;

async function resolveCommit(view: RepoView, id: string): Promise<string> {
  const full = isPlausibleRef(id) ? await view.browser.resolve(id) : undefined;
  if (!full) throw new NotFoundError(`no commit ${JSON.stringify(id.slice(0, 80))} in this repository`);
  return full;
}

function fileName(f: FileDiff): string {
  return f.status === 'renamed' || f.status === 'copied' ? `${f.oldPath} → ${f.newPath}` : f.status === 'deleted' ? f.oldPath : f.newPath;
}

function pathOf(f: FileDiff): string {
  return f.status === 'deleted' ? f.oldPath : f.newPath;
}

/**
 * Where a rendered diff lives: the commit (or compared head) whose files it links to, its raw diff,
 * and the page (`?file=PATH`) that shows one file's diff; shared by the commit and compare pages.
 */
export interface DiffPlace {
  /** The commit id the new side of the diff is at. */
  readonly id: string;
  /** The whole diff as text. */
  readonly rawDiffUrl: string;
  /** The page without `?file=`, e.g. `/PATH/-/commit/ID`. */
  readonly pageUrl: string;
}

/** The commit page of one commit as a DiffPlace. */
function commitPlace(view: RepoView, id: string): DiffPlace {
  return { id, rawDiffUrl: `${view.base}/-/commit/${id}.diff`, pageUrl: `${view.base}/-/commit/${id}` };
}

/** The per-file diff page's URL: works without JavaScript, linked wherever a file's diff is not inline. */
function fileDiffUrl(place: DiffPlace, f: FileDiff): string {
  return `${place.pageUrl}?${queryString({ file: pathOf(f) })}`;
}

function cut(text: string): string {
  return text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)}…` : text;
}

function summary(view: RepoView, place: DiffPlace, f: FileDiff, inDetails = false): SafeHtml {
  const viewFile = f.status === 'deleted' ? '' : html` · <a href="${view.base}/-/files/${place.id}/${urlPath(f.newPath)}">View file</a>`;
  const inner = html`<span class="mono fname">${fileName(f)}</span> <span class="badge">${f.status}</span> <span class="stat-add">+${f.additions}</span> <span class="stat-del">−${f.deletions}</span>${viewFile}`;
  return inDetails ? html`<summary>${inner}</summary>` : html`<div class="fhead">${inner}</div>`;
}

/** One diff line as a table row; every text escaped (rows are built as strings: a page holds thousands). */
function diffRow(l: DiffLine): string {
  return l.kind === 'hunk'
    ? `<tr class="hunk"><td class="ln"></td><td class="ln"></td><td>${escapeHtml(cut(l.text))}</td></tr>`
    : `<tr class="${l.kind}"><td class="ln">${l.oldNo ?? ''}</td><td class="ln">${l.newNo ?? ''}</td><td class="code">${escapeHtml(cut(l.text))}</td></tr>`;
}

function diffTable(view: RepoView, place: DiffPlace, f: FileDiff, limit: number): SafeHtml {
  if (f.binary) return html`<p class="markdown muted">Binary file changed.</p>`;
  if (f.lineCount === 0) return html`<p class="markdown muted">No content changes.</p>`;
  const shown = f.lines.slice(0, limit);
  let rows = '';
  for (const l of shown) rows += diffRow(l);
  const more = f.lineCount - shown.length;
  return html`<div class="code-wrap"><table class="code diff"><tbody>${trustedHtml(rows)}</tbody></table></div>${
    more > 0 ? html`<p class="markdown muted" id="diff-cut">${more} more diff lines of this file not shown. <a href="${place.rawDiffUrl}">Raw diff</a>${f.status === 'deleted' ? '' : html` · <a href="${view.base}/-/raw/${place.id}/${urlPath(f.newPath)}">the file itself</a>`}.</p>` : ''
  }`;
}

function fileBlock(view: RepoView, place: DiffPlace, f: FileDiff, index: number): SafeHtml {
  return html`<details class="file" id="file-${index}"${f.lineCount <= OPEN_FILE_LINES ? html` open` : ''}>${summary(view, place, f, true)}${diffTable(view, place, f, MAX_FILE_LINES)}</details>`;
}

/** A file whose diff is not inline: named, with its stats and a link to load its diff on its own page. */
function deferredBlock(view: RepoView, place: DiffPlace, f: FileDiff, index: number, why: string): SafeHtml {
  return html`<div class="file deferred" id="file-${index}">${summary(view, place, f)}<p class="markdown muted">${why} <a class="load-diff" href="${fileDiffUrl(place, f)}">Load this file's diff</a>.</p></div>`;
}

/** Every changed file, named, each linking to its diff (inline anchor or its own page); open when short or when it is the only way to some diffs. */
function fileIndex(place: DiffPlace, files: readonly FileDiff[], inline: ReadonlySet<number>, open: boolean): SafeHtml {
  return html`<details class="file" id="changed-files"${files.length <= 30 || open ? html` open` : ''}><summary>${files.length} file${files.length === 1 ? '' : 's'} changed</summary><ul class="list">${files.map(
    (f, i) => html`<li><a class="grow mono${inline.has(i) ? '' : ' load-diff'}" href="${inline.has(i) ? `#file-${i}` : fileDiffUrl(place, f)}">${fileName(f)}</a><span class="small"><span class="stat-add">+${f.additions}</span> <span class="stat-del">−${f.deletions}</span></span></li>`,
  )}</ul></details>`;
}

function header(view: RepoView, commit: CommitInfo, diffUrl: string): SafeHtml {
  const [first, ...rest] = commit.message.replace(/\s+$/, '').split('\n');
  return html`<section class="box"><header><strong class="grow">${first ?? ''}</strong></header>
${rest.join('\n').trim() !== '' ? html`<pre class="message">${rest.join('\n').trim()}</pre>` : ''}
<dl class="meta"><dt>Commit</dt><dd class="mono">${commit.id}</dd><dt>Author</dt><dd>${commit.author}${commit.email ? html` <span class="muted">&lt;${commit.email}&gt;</span>` : ''}</dd><dt>Date</dt><dd>${shortDate(commit.date)}</dd>
<dt>Parents</dt><dd>${commit.parents.length === 0 ? html`<span class="muted">none (root)</span>` : commit.parents.map((p) => html`<a class="mono" href="${view.base}/-/commit/${p}">${shortId(p)}</a> `)}</dd>
${commit.labels.length > 0 ? html`<dt>Refs</dt><dd>${labelBadges(commit.labels)}</dd>` : ''}
<dt>Browse</dt><dd><a href="${view.base}/-/files/${commit.id}">Files at this commit</a> · <a href="${diffUrl}">Raw diff</a></dd></dl></section>`;
}

/**
 * One commit: message, metadata, parents, the list of every changed file, and the diffs. Files
 * over BIG_FILE_LINES diff lines, and every file once MAX_DIFF_LINES are spent, are named (in the file index) with a
 * link to their own page (`?file=PATH`), which renders at most MAX_FILE_LINES lines.
 * @throws NotFoundError for an unknown commit, or a `file` the commit does not touch
 */
export async function commitPage(ctx: PageContext, view: RepoView, ref: string): Promise<SafeHtml> {
  const id = await resolveCommit(view, ref);
  const diffUrl = `${view.base}/-/commit/${id}.diff`;
  const place = commitPlace(view, id);
  const only = searchParam(ctx.url.search, 'file');
  if (only !== null) {
    const [commit, raw] = await Promise.all([view.browser.commit(id), view.browser.diff(id)]);
    if (!commit) throw new NotFoundError(`no commit ${id}`);
    const files = parseDiff(decodeBytes(raw));
    const one = oneFileDiff(view, place, files, only, `commit ${shortId(id)}`);
    const back = html`<p><a href="${place.pageUrl}">← All ${files.length} changed file${files.length === 1 ? '' : 's'} of this commit</a></p>`;
    return repoPage(ctx, view, 'log', `${one.path} · ${summaryOf(commit.message) || shortId(id)}`, html`${header(view, commit, diffUrl)}${back}${one.body}`);
  }
  // The diff section depends on the commit id alone: rendered once, then kept (src/web/rendered-diffs.ts).
  const [commit, diffs] = await Promise.all([
    view.browser.commit(id),
    ctx.app.renderedDiffs.through(renderedDiffKey('commit', view.base, id), async () => renderDiff(view, place, parseDiff(decodeBytes(await view.browser.diff(id))))),
  ]);
  if (!commit) throw new NotFoundError(`no commit ${id}`);
  const body = html`${header(view, commit, diffUrl)}
${await commitStatusesBox(ctx, view, id)}
${diffs}`;
  return repoPage(ctx, view, 'log', summaryOf(commit.message) || shortId(id), body);
}

/**
 * One file's diff (its `?file=PATH` page), capped at MAX_FILE_LINES.
 * @throws NotFoundError when the diff does not touch `path`
 */
export function oneFileDiff(view: RepoView, place: DiffPlace, files: readonly FileDiff[], path: string, what: string): { path: string; body: SafeHtml } {
  const index = files.findIndex((f) => f.newPath === path || f.oldPath === path);
  const f = files[index];
  if (!f) throw new NotFoundError(`${what} does not change ${JSON.stringify(path.slice(0, 200))}`);
  return { path: pathOf(f), body: html`<div class="file" id="file-${index}">${summary(view, place, f)}${diffTable(view, place, f, MAX_FILE_LINES)}</div>` };
}

/**
 * The stats line, the index of every changed file (each linking to its diff: inline anchor or its
 * own page) and the diffs: files over BIG_FILE_LINES diff lines are named with a link to their own
 * page; once `budget` diff lines are rendered (default MAX_DIFF_LINES), the other files are only
 * in the index, with the count of them said below the diffs.
 */
export function renderDiff(view: RepoView, place: DiffPlace, files: readonly FileDiff[], budget = MAX_DIFF_LINES): SafeHtml {
  let left = budget;
  let notShown = 0;
  const inline = new Set<number>();
  const blocks = files.map((f, i) => {
    if (left <= 0) {
      notShown++;
      return '';
    }
    if (f.lineCount > BIG_FILE_LINES) return deferredBlock(view, place, f, i, `A large diff (${f.lineCount} lines) is not shown here.`);
    left -= f.lineCount;
    inline.add(i);
    return fileBlock(view, place, f, i);
  });
  const add = files.reduce((n, f) => n + f.additions, 0);
  const del = files.reduce((n, f) => n + f.deletions, 0);
  return html`<p class="muted">${files.length} file${files.length === 1 ? '' : 's'} changed, <span class="stat-add">${add} additions</span>, <span class="stat-del">${del} deletions</span></p>
${files.length > 1 ? fileIndex(place, files, inline, notShown > 0) : ''}
${blocks}
${notShown > 0 ? html`<p class="markdown muted" id="diff-rest">This diff changes a lot: ${notShown} more file${notShown === 1 ? ' is' : 's are'} not shown here. <a href="#changed-files">The list of changed files</a> links each to its own diff.</p>` : ''}`;
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
