import { publicHost, sshConfigAlias, sshConfigSnippet, sshUrlBase } from '../../config/public-host.js';
import type { PageContext } from '../context.js';
import { html, urlPath, type SafeHtml } from '../html.js';
import { shortDate, shortId, summaryOf } from '../layout.js';
import { renderMarkdown } from '../markdown.js';
import { mirrorNotice } from './mirror-status.js';
import { downloadLinks } from './refs.js';
import { repoPage, type RepoView } from './repo-shell.js';

const README = /^readme(\.(md|markdown|txt|rst))?$/i;

/** The repo's front page: README, clone URLs with copy buttons, ssh config, CDN URL, recent commits. */
export async function repoHome(ctx: PageContext, view: RepoView): Promise<SafeHtml> {
  const { repo, browser, base } = view;
  const [branch, mirror] = await Promise.all([browser.defaultBranch(), mirrorNotice(ctx, view)]);
  const host = publicHost(ctx.app.config);
  const port = ctx.sshPort;
  const sshUrl = `${sshUrlBase(host, port)}/${repo.path}`;
  const httpUrl = `${ctx.baseUrl}/${urlPath(repo.path)}`;
  const cloneCmd = repo.kind === 'hg' ? 'hg clone' : 'git clone';
  const cdnUrl = `${ctx.baseUrl}/cdn/${urlPath(repo.path)}@${branch ?? (repo.kind === 'hg' ? 'default' : 'main')}/`;
  const snippet = sshConfigSnippet(host, port);
  const alias = sshConfigAlias(host);
  const copy = (id: string, value: string, label: string): SafeHtml =>
    html`<div class="clone"><code id="${id}" aria-label="${label}">${value}</code><button type="button" data-copy="${id}" hidden>Copy</button></div>`;
  const side = html`<aside class="box area-side"><div class="side">
<h3>Clone over SSH</h3>${copy('clone-ssh', `${cloneCmd} ${sshUrl}`, 'SSH clone command')}
<h3>Clone over HTTP</h3>${copy('clone-http', `${cloneCmd} ${httpUrl}`, 'HTTP clone command')}
<h3><code>~/.ssh/config</code> for this host</h3><pre class="snippet" id="ssh-config">${snippet}</pre><button type="button" data-copy="ssh-config" hidden>Copy</button>
<p class="muted small">Then: <code id="clone-alias">${cloneCmd} ssh://${alias}/${repo.path}</code></p>
<h3>CDN</h3>${copy('cdn-url', cdnUrl, 'CDN URL')}
</div></aside>`;
  if (!branch) {
    return repoPage(ctx, view, 'code', '', html`${mirror}<div class="grid repo-home"><section class="box area-files" id="empty-repo"><header><strong>Empty repository</strong></header><div class="markdown"><p>Nothing here yet. Push something:</p>
<pre class="push" id="push-commands">${repo.kind === 'hg' ? `hg push ${sshUrl}` : `git remote add origin ${sshUrl}\ngit push -u origin main`}</pre></div></section>${side}</div>`);
  }
  const id = (await browser.resolve(branch)) as string;
  const [entries, recent] = await Promise.all([browser.tree(id, ''), browser.log({ ref: branch, offset: 0, limit: 5 })]);
  const readmeName = (entries ?? []).find((e) => e.type === 'file' && README.test(e.name))?.name;
  let readme: SafeHtml = html``;
  if (readmeName) {
    const bytes = await browser.blob(id, readmeName);
    const text = bytes?.subarray(0, 512 * 1024).toString('utf8') ?? '';
    const refBase = `${base}/-/files/${urlPath(branch)}`;
    const body = /\.(md|markdown)$/i.test(readmeName) ? renderMarkdown(text, { files: refBase, raw: `${base}/-/raw/${urlPath(branch)}` }) : html`<pre>${text}</pre>`;
    readme = html`<section class="box"><header><strong>${readmeName}</strong></header><div class="markdown">${body}</div></section>`;
  }
  const files = html`<section class="box"><header><span class="badge branch">${branch}</span> <a href="${base}/-/commit/${id}" class="mono">${shortId(id)}</a><span class="spacer"></span><a href="${base}/-/files/${urlPath(branch)}">Browse files</a> <span class="muted small">Download</span> ${downloadLinks(view, branch)}</header>
<ul class="list">${recent.map((c) => html`<li><a class="grow" href="${base}/-/commit/${c.id}">${summaryOf(c.message)}</a><span class="muted small">${c.author} · ${shortDate(c.date)}</span></li>`)}</ul></section>`;
  return repoPage(ctx, view, 'code', '', html`${mirror}<div class="grid repo-home"><div class="area-files">${files}</div>${side}<div class="area-readme">${readme}</div></div>`);
}
