import type { RefInfo } from '../../vcs/browse.js';
import { HgBrowser } from '../../vcs/hg/browse.js';
import type { PageContext } from '../context.js';
import { html, urlPath, type SafeHtml } from '../html.js';
import { shortDate, shortId } from '../layout.js';
import { archiveUrl } from './archive.js';
import { compareUrl } from './compare.js';
import { repoPage, type RepoView } from './repo-shell.js';
import { encodeUrlSegment } from '../../domain/byte-names.js';

/** `.tar.gz` and `.zip` download links for a ref. */
export function downloadLinks(view: RepoView, ref: string): SafeHtml {
  return html`<span class="downloads"><a href="${archiveUrl(view, ref, 'tar.gz')}" download>.tar.gz</a> <a href="${archiveUrl(view, ref, 'zip')}" download>.zip</a></span>`;
}

function refList(view: RepoView, refs: readonly RefInfo[], kind: 'branch' | 'tag' | 'bookmark' | 'topic', defaultBranch?: string): SafeHtml {
  if (refs.length === 0) return html`<p class="markdown muted">None yet.</p>`;
  return html`<ul class="list" id="${kind}-list">${refs.map(
    (r) => html`<li data-ref="${r.name}"${r.closed || r.merged ? html` class="inactive"` : ''}><span class="badge ${kind}">${r.name}</span>${r.closed ? html` <span class="badge state">closed</span>` : r.merged ? html` <span class="badge state">merged</span>` : ''}<a class="grow" href="${view.base}/-/files/${urlPath(r.name)}">${r.summary}</a><span class="muted small"><a class="mono" href="${view.base}/-/commit/${r.id}">${shortId(r.id)}</a> · ${shortDate(r.date)}${kind === 'branch' || kind === 'topic' ? html` · <a href="${view.base}/-/log?ref=${encodeUrlSegment(r.name)}">log</a>` : ''}${defaultBranch !== undefined && r.name !== defaultBranch ? html` · <a href="${compareUrl(view, defaultBranch, r.name)}">compare</a>` : ''} · ${downloadLinks(view, r.name)}</span></li>`,
  )}</ul>`;
}

/** Active branches first, then merged ones (their head is an ancestor of another head), then closed ones. */
function stateRank(r: RefInfo): number {
  return r.closed ? 2 : r.merged ? 1 : 0;
}

/**
 * Newest first by date (as instants, whatever the zone), then by name with numbers compared as
 * numbers (`v1.10` after `v1.9`), descending: the same order for hg and git, whose own listings
 * differ (hg: by revision, newest first; git: by name).
 */
export function newestFirst(a: RefInfo, b: RefInfo): number {
  const t = (Date.parse(b.date) || 0) - (Date.parse(a.date) || 0);
  return t !== 0 ? t : b.name.localeCompare(a.name, 'en', { numeric: true });
}

export async function branchesPage(ctx: PageContext, view: RepoView): Promise<SafeHtml> {
  const branches = await view.browser.branches();
  const bookmarks = view.browser instanceof HgBrowser ? await view.browser.bookmarks() : [];
  const topics = view.browser instanceof HgBrowser ? await view.browser.topics() : [];
  const sorted = [...branches].sort((a, b) => stateRank(a) - stateRank(b) || newestFirst(a, b));
  const defaultBranch = await view.browser.defaultBranch();
  return repoPage(
    ctx,
    view,
    'branches',
    'Branches',
    html`<section class="box"><header><strong>Branches</strong></header>${refList(view, sorted, 'branch', defaultBranch)}</section>
${view.repo.kind === 'hg' ? html`<section class="box"><header><strong>Topics</strong> <span class="muted small">draft work in progress (evolve's topics)</span></header>${refList(view, topics, 'topic', defaultBranch)}</section>
<section class="box"><header><strong>Bookmarks</strong></header>${refList(view, bookmarks, 'bookmark')}</section>` : ''}`,
  );
}

export async function tagsPage(ctx: PageContext, view: RepoView): Promise<SafeHtml> {
  const tags = [...(await view.browser.tags())].sort(newestFirst);
  return repoPage(ctx, view, 'tags', 'Tags', html`<section class="box"><header><strong>Tags</strong></header>${refList(view, tags, 'tag')}</section>`);
}
