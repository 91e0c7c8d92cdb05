import type { AccessLevel } from '../../domain/access-level.js';
import type { Repo } from '../../store/types.js';
import type { RepoBrowser } from '../../vcs/browse.js';
import type { PageContext } from '../context.js';
import { html, urlPath, type HtmlValue, type SafeHtml } from '../html.js';
import { crumbs, layout } from '../layout.js';

/** A repository the visitor may read, with its reader. */
export interface RepoView {
  readonly repo: Repo;
  readonly level: AccessLevel;
  readonly browser: RepoBrowser;
  /** `/team/app` (URL-encoded) */
  readonly base: string;
}

export type RepoTab = 'code' | 'files' | 'log' | 'branches' | 'tags' | 'settings' | 'none';

export function repoPage(ctx: PageContext, view: RepoView, tab: RepoTab, title: string, body: HtmlValue, head?: HtmlValue): SafeHtml {
  return layout(ctx, {
    title: title === '' ? view.repo.path : `${title} · ${view.repo.path}`,
    head,
    body: html`${repoHeader(view, tab)}
${body}`,
  });
}

/** The path, kind and visibility, and the tabs; Settings only for those who administer the repo. */
export function repoHeader(view: Pick<RepoView, 'repo' | 'level' | 'base'>, tab: RepoTab): SafeHtml {
  const t = (name: RepoTab, href: string, label: string): SafeHtml => html`<a class="${tab === name ? 'on' : ''}" href="${href}">${label}</a>`;
  return html`<div class="crumbs">${crumbs(view.repo.path)} <span class="badge">${view.repo.kind}</span> ${view.repo.isPublic ? html`<span class="badge public">public</span>` : html`<span class="badge">private</span>`}</div>
<nav class="tabs">${t('code', view.base, 'Code')}${t('files', `${view.base}/-/files`, 'Files')}${t('log', `${view.base}/-/log`, 'Log')}${t('branches', `${view.base}/-/branches`, 'Branches')}${t('tags', `${view.base}/-/tags`, 'Tags')}${view.level === 'admin' ? t('settings', `${view.base}/-/settings`, 'Settings') : ''}</nav>`;
}

export function repoBase(path: string): string {
  return `/${urlPath(path)}`;
}
