import { NotFoundError } from '../../domain/errors.js';
import { isPlausibleRef } from '../../vcs/browse.js';
import type { PageContext } from '../context.js';
import { parseDiff } from '../diff.js';
import { html, urlPath, type SafeHtml } from '../html.js';
import { shortId } from '../layout.js';
import { oneFileDiff, renderDiff, type DiffPlace } from './commit.js';
import { resolveOrThrow } from './files.js';
import { commitRows } from './log.js';
import { repoPage, type RepoView } from './repo-shell.js';
import { renderedDiffKey } from '../rendered-diffs.js';
import { decodeBytes, queryString, searchParam } from '../../domain/byte-names.js';

/** Commits listed on a compare page; more are counted, not shown. */
const MAX_COMMITS = 250;
/** Diff lines rendered inline on a compare page (it lists commits too); every other file links to its own diff. */
const MAX_DIFF_LINES = 1500;

/** `/PATH/-/compare/BASE...HEAD` (each a branch, tag or commit id). */
export function compareUrl(view: RepoView, base: string, head: string): string {
  return `${view.base}/-/compare/${urlPath(base)}...${urlPath(head)}`;
}

/**
 * Splits `BASE...HEAD` (a ref never holds `..`, so the first `...` divides them).
 * @throws NotFoundError when there is no `...` or a side is not a plausible ref
 */
function splitRange(range: string): { base: string; head: string } {
  const at = range.indexOf('...');
  if (at < 0) throw new NotFoundError('a comparison is /-/compare/BASE...HEAD, e.g. /-/compare/v1.0...main');
  const base = range.slice(0, at);
  const head = range.slice(at + 3);
  for (const ref of [base, head]) if (!isPlausibleRef(ref)) throw new NotFoundError(`no branch, tag or commit named ${JSON.stringify(ref.slice(0, 80))}`);
  return { base, head };
}

function pickForm(view: RepoView, base: string, head: string): SafeHtml {
  return html`<form class="compare-form" method="get" action="${view.base}/-/compare"><label>Base <input name="base" value="${base}" required size="16"></label> <span aria-hidden="true">…</span> <label>Head <input name="head" value="${head}" required size="16"></label> <button type="submit">Compare</button></form>`;
}

/**
 * Compare two revisions: the commits on HEAD that BASE lacks (newest first, with the graph) and the
 * combined diff from their common ancestor to HEAD, MAX_DIFF_LINES of it inline, each file capped
 * as on the commit page and every file named with a link to its own diff;
 * `?file=PATH` shows one file's diff. `/-/compare` alone (or `?base=&head=`) offers a form.
 */
export async function comparePage(ctx: PageContext, view: RepoView, range: string): Promise<SafeHtml | string> {
  if (range === '') {
    const base = searchParam(ctx.url.search, 'base');
    const head = searchParam(ctx.url.search, 'head');
    if (base && head) return compareUrl(view, base, head);
    const branch = (await view.browser.defaultBranch()) ?? '';
    return repoPage(ctx, view, 'log', 'Compare', html`<section class="box"><header><strong>Compare two revisions</strong></header><div class="markdown"><p>Pick two branches, tags or commit ids: the commits on the head that the base lacks, and the diff between them.</p>${pickForm(view, branch, branch)}</div></section>`);
  }
  const { base, head } = splitRange(range);
  const [baseId, headId] = await Promise.all([resolveOrThrow(view.browser, base), resolveOrThrow(view.browser, head)]);
  const pageUrl = compareUrl(view, base, head);
  const place: DiffPlace = { id: headId, rawDiffUrl: `${pageUrl}.diff`, pageUrl };
  const title = html`<header><strong>Comparing <span class="badge branch">${base}</span> … <span class="badge branch">${head}</span></strong><span class="spacer"></span><span class="small"><a class="mono" href="${view.base}/-/commit/${baseId}">${shortId(baseId)}</a> … <a class="mono" href="${view.base}/-/commit/${headId}">${shortId(headId)}</a> · <a href="${place.rawDiffUrl}">Raw diff</a> · <a href="${compareUrl(view, head, base)}">Swap</a></span></header>`;
  const only = searchParam(ctx.url.search, 'file');
  if (only !== null) {
    const files = parseDiff(decodeBytes(await view.browser.compareDiff(baseId, headId)));
    const one = oneFileDiff(view, place, files, only, `${base}...${head}`);
    return repoPage(ctx, view, 'log', `${one.path} · ${base}...${head}`, html`<section class="box">${title}</section><p><a href="${pageUrl}">← All ${files.length} changed files</a></p>${one.body}`);
  }
  // The diff section names the refs in its links (`?file=`, the raw diff), so its key holds the
  // page URL besides the ids; the ids alone decide what it says.
  const diffKey = renderedDiffKey('compare', view.base, baseId, headId, pageUrl);
  const [commits, diffs] = await Promise.all([
    view.browser.between(baseId, headId, { offset: 0, limit: MAX_COMMITS + 1 }),
    ctx.app.renderedDiffs.through(diffKey, async () => {
      const files = parseDiff(decodeBytes(await view.browser.compareDiff(baseId, headId)));
      return files.length === 0 ? html`<p class="muted">No changes.</p>` : renderDiff(view, place, files, MAX_DIFF_LINES);
    }),
  ]);
  const shown = commits.slice(0, MAX_COMMITS);
  const list =
    shown.length === 0
      ? html`<p class="markdown muted" id="no-commits">${head} has no commits that ${base} lacks.</p>`
      : html`<ul class="log" id="log">${commitRows(view, shown, head)}</ul>${commits.length > MAX_COMMITS ? html`<p class="markdown muted">Only the newest ${MAX_COMMITS} commits are listed; <a href="${view.base}/-/log?${queryString({ ref: head })}">the log</a> has the rest.</p>` : ''}`;
  const body = html`<section class="box" id="compare">${title}<div class="markdown">${pickForm(view, base, head)}</div></section>
<section class="box"><header><strong>${commits.length > MAX_COMMITS ? `More than ${MAX_COMMITS}` : shown.length} commit${shown.length === 1 ? '' : 's'}</strong></header>${list}</section>
${diffs}`;
  return repoPage(ctx, view, 'log', `${base}...${head}`, body);
}

/** The combined diff of `BASE...HEAD` as plain text. */
export async function sendCompareDiff(ctx: PageContext, view: RepoView, range: string): Promise<void> {
  const { base, head } = splitRange(range);
  const [baseId, headId] = await Promise.all([resolveOrThrow(view.browser, base), resolveOrThrow(view.browser, head)]);
  const raw = await view.browser.compareDiff(baseId, headId);
  ctx.res.writeHead(200, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': raw.length,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Cache-Control': 'no-cache',
  });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : raw);
}
