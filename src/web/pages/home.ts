import type { AccessLevel } from '../../domain/access-level.js';
import type { Repo } from '../../store/types.js';
import type { PageContext } from '../context.js';
import { html, urlPath, type SafeHtml } from '../html.js';
import { crumbs, layout } from '../layout.js';

type Visible = { repo: Repo; level: AccessLevel };

function repoItem(v: Visible, prefix: string): SafeHtml {
  return html`<li data-repo="${v.repo.path}"><a class="grow" href="/${urlPath(v.repo.path)}">${v.repo.path.slice(prefix.length)}</a><span class="badge">${v.repo.kind}</span>${v.repo.isPublic ? html`<span class="badge public">public</span>` : html`<span class="badge">private</span>`}<span class="muted small hide-narrow">${v.level}</span></li>`;
}

/** Repos grouped by their first path segment(s) under `prefix`. */
function grouped(repos: readonly Visible[], prefix: string): SafeHtml {
  const groups = new Map<string, Visible[]>();
  for (const v of repos) {
    const rest = v.repo.path.slice(prefix.length);
    const slash = rest.indexOf('/');
    const group = slash < 0 ? '' : rest.slice(0, slash);
    groups.set(group, [...(groups.get(group) ?? []), v]);
  }
  const names = [...groups.keys()].sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b)));
  return html`${names.map((g) => {
    const items = (groups.get(g) ?? []).sort((a, b) => a.repo.path.localeCompare(b.repo.path));
    const header = g === '' ? (prefix === '' ? 'Top level' : 'Repositories') : html`<a href="/${urlPath(prefix + g)}/">${g}/</a>`;
    return html`<section class="box" data-group="${g}"><header><strong>${header}</strong><span class="spacer"></span><span class="muted small">${items.length}</span></header><ul class="list">${items.map((v) => repoItem(v, prefix))}</ul></section>`;
  })}`;
}

function search(ctx: PageContext, action: string): SafeHtml {
  return html`<form method="get" action="${action}" role="search"><input id="repo-filter" type="search" name="q" value="${ctx.url.searchParams.get('q') ?? ''}" placeholder="Search repositories" aria-label="Search repositories" autocomplete="off"></form>`;
}

function filtered(ctx: PageContext, repos: Visible[]): Visible[] {
  const q = (ctx.url.searchParams.get('q') ?? '').trim().toLowerCase();
  return q === '' ? repos : repos.filter((v) => v.repo.path.toLowerCase().includes(q));
}

export async function homePage(ctx: PageContext): Promise<SafeHtml> {
  const repos = filtered(ctx, await ctx.app.policy.visibleRepos(ctx.subject));
  const empty = ctx.signedIn
    ? html`<p class="muted">No repositories match. Create one with <code>ferry repo create PATH</code> or push to a new path.</p>`
    : html`<p class="muted">No public repositories${ctx.url.searchParams.get('q') ? ' match' : ''}. <a href="/-/signin">Sign in</a> to see yours.</p>`;
  return layout(ctx, { title: 'Repositories', body: html`<h1>Repositories</h1>${search(ctx, '/')}${repos.length === 0 ? empty : grouped(repos, '')}` });
}

/** `/team/`: the repos under a prefix, or undefined when the visitor sees none there. */
export async function groupPage(ctx: PageContext, prefix: string): Promise<SafeHtml | undefined> {
  const all = (await ctx.app.policy.visibleRepos(ctx.subject)).filter((v) => v.repo.path.toLowerCase().startsWith(`${prefix.toLowerCase()}/`));
  if (all.length === 0) return undefined;
  const repos = filtered(ctx, all);
  return layout(ctx, {
    title: `${prefix}/`,
    body: html`<div class="crumbs"><a href="/">All</a> / ${crumbs(prefix, 'text')} /</div><h1>${prefix}/</h1>${search(ctx, `/${urlPath(prefix)}/`)}${repos.length === 0 ? html`<p class="muted">No repositories match.</p>` : grouped(repos, `${prefix}/`)}`,
  });
}
