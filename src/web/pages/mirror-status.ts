import { atLeast } from '../../domain/access-level.js';
import { formatDuration } from '../../domain/duration.js';
import { mirrorStatus } from '../../mirrors/status.js';
import type { PageContext } from '../context.js';
import { html, type SafeHtml } from '../html.js';
import { shortDate } from '../layout.js';
import type { RepoView } from './repo-shell.js';

/**
 * On a mirror's repo page: that it is a mirror, its last sync and next run. Those who may write
 * (who could push, were it not a mirror) also see its source — without user or credentials, as
 * `ferry mirror list` shows it — and why the last sync failed (a refused force-push or strip
 * among others); readers see only that it failed. Empty for a repo that is no mirror.
 */
export async function mirrorNotice(ctx: PageContext, view: RepoView): Promise<SafeHtml> {
  const mirror = await ctx.app.stores.mirrors.byRepoId(view.repo.id);
  if (!mirror) return html``;
  const s = mirrorStatus(mirror);
  const writer = atLeast(view.level, 'write');
  const failed = s.lastError !== null;
  const last = s.lastAttemptAt ? `${shortDate(s.lastAttemptAt)} UTC` : 'not yet';
  return html`<section class="box mirror-status${failed ? ' failing' : ''}" id="mirror-status"><header><strong>Mirror</strong>${writer ? html`<span class="mono small" id="mirror-source">of ${s.source}</span>` : html`<span class="muted small">read-only copy of another repository</span>`}${view.level === 'admin' ? html`<span class="spacer"></span><a class="small" href="${view.base}/-/settings#mirror">Mirror settings</a>` : ''}</header>
<dl class="meta"><dt>Last sync</dt><dd id="mirror-last-sync">${last}${s.lastAttemptAt ? (failed ? ' — failed' : ' — worked') : ''}</dd>
${failed && writer ? html`<dt>Last error</dt><dd class="error-text" id="mirror-error">${s.lastError}</dd>` : ''}<dt>Next sync</dt><dd id="mirror-next">${shortDate(s.nextRunAt)} UTC (every ${formatDuration(s.intervalMs)})</dd></dl></section>`;
}
