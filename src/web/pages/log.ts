import { NotFoundError } from '../../domain/errors.js';
import type { CommitInfo, RefLabel } from '../../vcs/browse.js';
import type { PageContext } from '../context.js';
import { graphCell, layoutGraph } from '../graph.js';
import { html, type SafeHtml } from '../html.js';
import { shortDate, shortId, summaryOf } from '../layout.js';
import { repoPage, type RepoView } from './repo-shell.js';

export const LOG_PAGE_SIZE = 50;

export function labelBadges(labels: readonly RefLabel[], options: { hideBranch?: string } = {}): SafeHtml {
  return html`${labels
    .filter((l) => !(l.kind === 'branch' && l.name === options.hideBranch))
    .map((l) => html`<span class="badge ${l.kind}" title="${l.kind}">${l.name}</span> `)}`;
}

/** The commit log with its branch/merge graph drawn as SVG, newest first, paginated. */
export async function logPage(ctx: PageContext, view: RepoView): Promise<SafeHtml> {
  const page = Math.max(1, Math.min(100_000, Number.parseInt(ctx.url.searchParams.get('page') ?? '1', 10) || 1));
  const refParam = ctx.url.searchParams.get('ref') ?? undefined;
  const commits: CommitInfo[] = await view.browser.log({ ref: refParam, offset: (page - 1) * LOG_PAGE_SIZE, limit: LOG_PAGE_SIZE + 1 });
  const hasNext = commits.length > LOG_PAGE_SIZE;
  const shown = commits.slice(0, LOG_PAGE_SIZE);
  // Past the last page there is nothing to show: a 404, as for any URL that names nothing.
  if (page > 1 && shown.length === 0) throw new NotFoundError(`the log has no page ${page}: it ends before that`);
  const rows = layoutGraph(shown);
  const width = Math.min(12, Math.max(1, ...rows.map((r) => r.width)));
  const defaultBranch = view.repo.kind === 'hg' ? 'default' : undefined;
  const items = shown.map((c, i) => {
    const row = rows[i];
    return html`<li>${row ? graphCell(row, width) : ''}<div class="entry"><div><a href="${view.base}/-/commit/${c.id}">${summaryOf(c.message)}</a></div><div class="meta">${labelBadges(c.labels, { hideBranch: defaultBranch })}${c.author} · ${shortDate(c.date)}${c.parents.length > 1 ? ' · merge' : ''}</div></div><a class="id mono" href="${view.base}/-/commit/${c.id}">${shortId(c.id)}</a></li>`;
  });
  const q = (p: number): string => `?${new URLSearchParams({ ...(refParam ? { ref: refParam } : {}), page: String(p) }).toString()}`;
  const pager = html`<nav class="pager"><span>${page > 1 ? html`<a href="${q(page - 1)}" rel="prev">← Newer</a>` : ''}</span><span class="muted">Page ${page}</span><span>${hasNext ? html`<a href="${q(page + 1)}" rel="next">Older →</a>` : ''}</span></nav>`;
  const title = refParam ? html`Log of <span class="badge branch">${refParam}</span>` : html`Log of all branches`;
  const body = shown.length === 0 ? html`<p class="muted">No commits${refParam ? ` on ${refParam}` : ''}.</p>` : html`<section class="box"><header>${title}</header><ul class="log" id="log">${items}</ul></section>${pager}`;
  return repoPage(ctx, view, 'log', 'Log', body);
}
