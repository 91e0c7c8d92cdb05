import { NotFoundError } from '../../domain/errors.js';
import type { CommitInfo, RefLabel } from '../../vcs/browse.js';
import type { PageContext } from '../context.js';
import { branchColour, branchOfCommits, graphCell, layoutGraph } from '../graph.js';
import { html, type SafeHtml } from '../html.js';
import { shortDate, shortId, summaryOf } from '../layout.js';
import { repoPage, type RepoView } from './repo-shell.js';
import { queryString, searchParam } from '../../domain/byte-names.js';

export const LOG_PAGE_SIZE = 50;

export function labelBadges(labels: readonly RefLabel[], options: { hideBranch?: string } = {}): SafeHtml {
  return html`${labels
    .filter((l) => !(l.kind === 'branch' && l.name === options.hideBranch))
    .map((l) => html`<span class="badge ${l.kind}" title="${l.kind}">${l.name}</span> `)}`;
}

/**
 * Commits as log rows with their graph: lanes coloured by branch (an hg changeset's named branch,
 * for git the branch that reaches it along first parents), changesets that close an hg branch
 * drawn hollow and marked "closed".
 */
export function commitRows(view: RepoView, commits: readonly CommitInfo[], fallbackBranch: string): SafeHtml {
  const rows = layoutGraph(commits);
  const width = Math.min(12, Math.max(1, ...rows.map((r) => r.width)));
  const defaultBranch = view.repo.kind === 'hg' ? 'default' : undefined;
  const branchOf = branchOfCommits(commits, view.repo.kind, fallbackBranch);
  const colourOf = (id: string): number | undefined => {
    const b = branchOf.get(id);
    return b === undefined ? undefined : branchColour(b);
  };
  return html`${commits.map((c, i) => {
    const row = rows[i];
    const closed = c.closesBranch === true;
    return html`<li${closed ? html` class="closes"` : ''}>${row ? graphCell(row, width, { closed, colourOf }) : ''}<div class="entry"><div><a href="${view.base}/-/commit/${c.id}">${summaryOf(c.message)}</a></div><div class="meta">${closed ? html`<span class="badge state" title="this changeset closes its branch">closed</span> ` : ''}${labelBadges(c.labels, { hideBranch: defaultBranch })}${c.author} · ${shortDate(c.date)}${c.parents.length > 1 ? ' · merge' : ''}</div></div><a class="id mono" href="${view.base}/-/commit/${c.id}">${shortId(c.id)}</a></li>`;
  })}`;
}

/** The page number of `?page=` (1 when absent or malformed). */
export function pageNumber(url: URL): number {
  return Math.max(1, Math.min(100_000, Number.parseInt(url.searchParams.get('page') ?? '1', 10) || 1));
}

/** Newer/older links that keep the other query parameters. */
export function pager(url: URL, page: number, hasNext: boolean): SafeHtml {
  const q = (p: number): string => {
    // The raw query as sent (its names' bytes kept, src/domain/byte-names.ts), with another page.
    const params = url.search.replace(/^\?/, '').split('&').filter((pair) => pair !== '' && !/^page(=|$)/.test(pair));
    return `?${[...params, `page=${p}`].join('&')}`;
  };
  return html`<nav class="pager"><span>${page > 1 ? html`<a href="${q(page - 1)}" rel="prev">← Newer</a>` : ''}</span><span class="muted">Page ${page}</span><span>${hasNext ? html`<a href="${q(page + 1)}" rel="next">Older →</a>` : ''}</span></nav>`;
}

/** The feed's `<link rel="alternate">` for a repo's or a branch's commits. */
export function feedLink(view: RepoView, branch: string | undefined): SafeHtml {
  const href = `${view.base}/-/atom${branch ? `?${queryString({ branch })}` : ''}`;
  return html`<link rel="alternate" type="application/atom+xml" title="${view.repo.path}${branch ? ` (${branch})` : ''} commits" href="${href}">`;
}

/**
 * The commit log with its branch/merge graph drawn as SVG, newest first, paginated; `?ref=` (or
 * `?branch=`) limits it to one branch, chosen with a form that works without JavaScript.
 */
export async function logPage(ctx: PageContext, view: RepoView): Promise<SafeHtml> {
  const page = pageNumber(ctx.url);
  const refParam = (searchParam(ctx.url.search, 'ref') ?? searchParam(ctx.url.search, 'branch') ?? '') || undefined;
  const [commits, branches, defaultBranch] = await Promise.all([
    view.browser.log({ ref: refParam, offset: (page - 1) * LOG_PAGE_SIZE, limit: LOG_PAGE_SIZE + 1 }),
    view.browser.branches(),
    view.browser.defaultBranch(),
  ]);
  const hasNext = commits.length > LOG_PAGE_SIZE;
  const shown = commits.slice(0, LOG_PAGE_SIZE);
  // Past the last page there is nothing to show: a 404, as for any URL that names nothing.
  if (page > 1 && shown.length === 0) throw new NotFoundError(`the log has no page ${page}: it ends before that`);
  if (refParam !== undefined && shown.length === 0 && (await view.browser.resolve(refParam)) === undefined) {
    throw new NotFoundError(`no branch, tag or commit named ${JSON.stringify(refParam.slice(0, 80))} in this repository`);
  }
  const feedBranch = refParam !== undefined && branches.some((b) => b.name === refParam) ? refParam : undefined;
  const options = [...branches].sort((a, b) => Number(a.closed ?? false) - Number(b.closed ?? false) || a.name.localeCompare(b.name));
  const filter = html`<form class="log-filter" method="get" action="${view.base}/-/log"><label for="log-branch">Branch</label> <select id="log-branch" name="ref"><option value="">All branches</option>${options.map(
    (b) => html`<option value="${b.name}"${b.name === refParam ? html` selected` : ''}>${b.name}${b.closed ? ' (closed)' : ''}</option>`,
  )}${refParam !== undefined && !branches.some((b) => b.name === refParam) ? html`<option value="${refParam}" selected>${refParam}</option>` : ''}</select> <button type="submit">Show</button></form>`;
  const title = refParam ? html`Log of <span class="badge branch">${refParam}</span>` : html`Log of all branches`;
  const feed = html`<a class="small" href="${view.base}/-/atom${feedBranch ? `?${queryString({ branch: feedBranch })}` : ''}" id="atom-link">Atom feed</a>`;
  const body = html`<section class="box"><header><span>${title}</span><span class="spacer"></span>${filter}${feed}</header>${
    shown.length === 0 ? html`<p class="markdown muted">No commits${refParam ? ` on ${refParam}` : ''}.</p>` : html`<ul class="log" id="log">${commitRows(view, shown, refParam ?? defaultBranch ?? 'default')}</ul>`
  }</section>${shown.length > 0 ? pager(ctx.url, page, hasNext) : ''}`;
  return repoPage(ctx, view, 'log', 'Log', body, feedLink(view, feedBranch));
}
