import type { CommitStatus } from '../../store/repo-meta.js';
import { combinedState } from '../../store/repo-meta.js';
import type { PageContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import type { RepoView } from './repo-shell.js';

/**
 * The CI statuses posted for a commit through the API (`POST /api/v1/repos/{o}/{r}/statuses/{sha}`),
 * one line per context with its state, description and link; nothing when there are none. Links
 * are http(s) only (the API refuses others) and open with `rel="nofollow noopener noreferrer"`.
 */
export async function commitStatusesBox(ctx: PageContext, view: RepoView, id: string): Promise<SafeHtml | ''> {
  const statuses = await ctx.app.stores.commitStatuses.forCommit(view.repo.id, id);
  if (statuses.length === 0) return '';
  return html`<section class="box" id="commit-statuses"><header><strong class="grow">Checks</strong> <span class="badge status-${combinedState(statuses)}">${combinedState(statuses)}</span></header><ul class="list">${statuses.map(line)}</ul></section>`;
}

function line(s: CommitStatus): SafeHtml {
  const safeLink = /^https?:\/\//i.test(s.targetUrl) ? s.targetUrl : '';
  return html`<li><span class="badge status-${s.state}">${s.state}</span> <strong class="mono">${s.context}</strong> <span class="grow muted">${s.description}</span>${
    safeLink ? html`<a href="${safeLink}" rel="nofollow noopener noreferrer">Details</a>` : ''
  }</li>`;
}
