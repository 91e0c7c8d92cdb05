import { NotFoundError } from '../../domain/errors.js';
import type { PageContext } from '../context.js';
import { highlightLines } from '../highlight.js';
import { html, urlPath, type SafeHtml } from '../html.js';
import { shortDate, shortId } from '../layout.js';
import { resolveOrThrow } from './files.js';
import { commitRows, LOG_PAGE_SIZE, pageNumber, pager } from './log.js';
import { repoPage, type RepoView } from './repo-shell.js';

/** Files larger than this are not blamed (the file view shows them raw). */
const MAX_BLAME_BYTES = 1024 * 1024;

/** `File: a / b / c` with the file view, its history and its blame side by side. */
function fileHeader(view: RepoView, ref: string, id: string, path: string, current: 'history' | 'blame'): SafeHtml {
  const at = `${urlPath(ref)}/${urlPath(path)}`;
  const t = (name: 'files' | 'history' | 'blame', label: string): SafeHtml =>
    name === current ? html`<strong>${label}</strong>` : html`<a href="${view.base}/-/${name}/${at}">${label}</a>`;
  return html`<header><span class="badge branch">${ref}</span> <a class="mono" href="${view.base}/-/commit/${id}">${shortId(id)}</a> <span class="mono fname">${path}</span><span class="spacer"></span><span class="file-tools">${t('files', 'View')} · ${t('history', 'History')} · ${t('blame', 'Blame')}</span></header>`;
}

/**
 * The commits that changed a file or directory, newest first, as `hg log -f FILE` and
 * `git log --follow -- FILE` list them (renames followed for a file); paginated like the log.
 */
export async function historyPage(ctx: PageContext, view: RepoView, ref: string, path: string): Promise<SafeHtml> {
  const id = await resolveOrThrow(view.browser, ref);
  if (path === '') throw new NotFoundError('a history names a file or directory: /-/history/REF/PATH (the whole log is /-/log)');
  const page = pageNumber(ctx.url);
  const [commits, isDir, isFile] = await Promise.all([
    view.browser.log({ ref: id, path, offset: (page - 1) * LOG_PAGE_SIZE, limit: LOG_PAGE_SIZE + 1 }),
    view.browser.tree(id, path).then((t) => t !== undefined),
    view.browser.blob(id, path).then((b) => b !== undefined),
  ]);
  if (!isDir && !isFile) throw new NotFoundError(`no file or directory ${JSON.stringify(path.slice(0, 200))} at ${ref}`);
  const shown = commits.slice(0, LOG_PAGE_SIZE);
  if (page > 1 && shown.length === 0) throw new NotFoundError(`the history has no page ${page}: it ends before that`);
  const body = html`<section class="box" id="history">${fileHeader(view, ref, id, path, 'history')}${
    shown.length === 0 ? html`<p class="markdown muted">No commits change ${path}.</p>` : html`<ul class="log" id="log">${commitRows(view, shown, ref)}</ul>`
  }</section>${shown.length > 0 ? pager(ctx.url, page, commits.length > LOG_PAGE_SIZE) : ''}`;
  return repoPage(ctx, view, 'log', `History of ${path}`, body);
}

/**
 * Each line of a file with the commit that last changed it (`hg annotate`, `git blame`): a new
 * commit starts a group showing its id, author, date and summary; lines keep `#L12` anchors.
 */
export async function blamePage(ctx: PageContext, view: RepoView, ref: string, path: string): Promise<SafeHtml> {
  const id = await resolveOrThrow(view.browser, ref);
  const bytes = path === '' ? undefined : await view.browser.blob(id, path);
  if (!bytes) throw new NotFoundError(`no file ${JSON.stringify(path.slice(0, 200))} at ${ref}`);
  const raw = `${view.base}/-/raw/${urlPath(ref)}/${urlPath(path)}`;
  let table: SafeHtml;
  if (bytes.subarray(0, 8000).includes(0)) table = html`<p class="markdown muted">Binary file: no lines to blame. <a href="${raw}">Download it</a>.</p>`;
  else if (bytes.length > MAX_BLAME_BYTES) table = html`<p class="markdown muted">File too large to blame (${bytes.length} bytes). <a href="${raw}">View it raw</a>.</p>`;
  else {
    const blame = await view.browser.blame(id, path);
    if (!blame) throw new NotFoundError(`no file ${JSON.stringify(path.slice(0, 200))} at ${ref}`);
    const code = highlightLines(path, blame.lines.map((l) => l.text).join('\n'));
    let previous = '';
    let group = 0;
    let inGroup = 0;
    const rows = blame.lines.map((l, i) => {
      const starts = l.commit !== previous;
      previous = l.commit;
      inGroup = starts ? 0 : inGroup + 1;
      if (starts) group++;
      const info = blame.commits.get(l.commit);
      // A group's first line names the commit; its second carries the summary (rows stay one line high).
      const cell =
        inGroup === 0
          ? html`<td class="blame-info" title="${info ? `${info.author}, ${shortDate(info.date)}: ${info.summary}` : ''}"><a class="mono" href="${view.base}/-/commit/${l.commit}">${shortId(l.commit).slice(0, 8)}</a> <span class="blame-summary">${info?.summary ?? ''}</span></td>`
          : inGroup === 1
            ? html`<td class="blame-info"><span class="blame-author">${info?.author ?? ''}</span> · ${shortDate(info?.date ?? '').slice(0, 10)}</td>`
            : html`<td class="blame-info"></td>`;
      return html`<tr id="L${i + 1}" class="${starts ? 'blame-start ' : ''}${group % 2 === 0 ? 'blame-even' : 'blame-odd'}">${cell}<td class="ln"><a href="#L${i + 1}">${i + 1}</a></td><td>${code[i] ?? ''}</td></tr>`;
    });
    table = html`<div class="code-wrap"><table class="code blame" id="blame"><tbody>${rows}</tbody></table></div>`;
  }
  return repoPage(ctx, view, 'files', `Blame of ${path}`, html`<section class="box">${fileHeader(view, ref, id, path, 'blame')}${table}</section>`);
}
