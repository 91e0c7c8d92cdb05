import type { RefInfo } from '../../vcs/browse.js';
import { HgBrowser } from '../../vcs/hg/browse.js';
import type { PageContext } from '../context.js';
import { html, urlPath, type SafeHtml } from '../html.js';
import { shortDate, shortId } from '../layout.js';
import { repoPage, type RepoView } from './repo-shell.js';

function refList(view: RepoView, refs: readonly RefInfo[], kind: 'branch' | 'tag' | 'bookmark' | 'topic'): SafeHtml {
  if (refs.length === 0) return html`<p class="markdown muted">None yet.</p>`;
  return html`<ul class="list">${refs.map(
    (r) => html`<li><span class="badge ${kind}">${r.name}</span>${r.closed ? html` <span class="badge">closed</span>` : ''}<a class="grow" href="${view.base}/-/files/${urlPath(r.name)}">${r.summary}</a><span class="muted small"><a class="mono" href="${view.base}/-/commit/${r.id}">${shortId(r.id)}</a> · ${shortDate(r.date)}${kind === 'branch' || kind === 'topic' ? html` · <a href="${view.base}/-/log?ref=${encodeURIComponent(r.name)}">log</a>` : ''}</span></li>`,
  )}</ul>`;
}

export async function branchesPage(ctx: PageContext, view: RepoView): Promise<SafeHtml> {
  const branches = await view.browser.branches();
  const bookmarks = view.browser instanceof HgBrowser ? await view.browser.bookmarks() : [];
  const topics = view.browser instanceof HgBrowser ? await view.browser.topics() : [];
  const sorted = [...branches].sort((a, b) => Number(a.closed ?? false) - Number(b.closed ?? false) || b.date.localeCompare(a.date));
  return repoPage(
    ctx,
    view,
    'branches',
    'Branches',
    html`<section class="box"><header><strong>Branches</strong></header>${refList(view, sorted, 'branch')}</section>
${view.repo.kind === 'hg' ? html`<section class="box"><header><strong>Topics</strong> <span class="muted small">draft work in progress (evolve's topics)</span></header>${refList(view, topics, 'topic')}</section>
<section class="box"><header><strong>Bookmarks</strong></header>${refList(view, bookmarks, 'bookmark')}</section>` : ''}`,
  );
}

export async function tagsPage(ctx: PageContext, view: RepoView): Promise<SafeHtml> {
  const tags = [...(await view.browser.tags())].sort((a, b) => b.date.localeCompare(a.date));
  return repoPage(ctx, view, 'tags', 'Tags', html`<section class="box"><header><strong>Tags</strong></header>${refList(view, tags, 'tag')}</section>`);
}
