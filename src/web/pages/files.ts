import { readFile } from 'node:fs/promises';
import { NotFoundError } from '../../domain/errors.js';
import { largeContentFile } from '../../vcs/large-content.js';
import { isPlausibleRef, type RepoBrowser } from '../../vcs/browse.js';
import type { PageContext } from '../context.js';
import { html, urlPath, type SafeHtml } from '../html.js';
import { highlightLines } from '../highlight.js';
import { shortId } from '../layout.js';
import { renderMarkdown } from '../markdown.js';
import { repoPage, type RepoView } from './repo-shell.js';
import { encodeUrlSegment } from '../../domain/byte-names.js';
import { contentDisposition } from '../../http/content-disposition.js';

const MAX_SHOWN = 2 * 1024 * 1024;
/** Shown in the file view with `<img src=RAW>`; SVG too, never inlined as markup (it may hold script). */
const IMAGE = /\.(png|jpe?g|gif|webp|svg)$/i;
const IMAGE_TYPES: Readonly<Record<string, string>> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', svg: 'image/svg+xml' };

/** Splits `REF/dir/file` where REF may itself hold `/` (a git branch `feature/x`). */
export async function splitRefPath(browser: RepoBrowser, rest: string): Promise<{ ref: string; path: string }> {
  const names = await browser.refNames();
  let best = '';
  for (const n of names) if (n.length > best.length && (rest === n || rest.startsWith(`${n}/`))) best = n;
  const ref = best !== '' ? best : (rest.split('/')[0] ?? '');
  const path = rest.slice(ref.length).replace(/^\/+|\/+$/g, '');
  if (!isPlausibleRef(ref)) throw new NotFoundError(`no branch, tag or commit named ${JSON.stringify(ref.slice(0, 80))}`);
  if (path.split('/').some((s) => s === '..' || s === '.')) throw new NotFoundError('no such file');
  return { ref, path };
}

export async function resolveOrThrow(browser: RepoBrowser, ref: string): Promise<string> {
  const id = await browser.resolve(ref);
  if (!id) throw new NotFoundError(`no branch, tag or commit named ${JSON.stringify(ref.slice(0, 80))} in this repository`);
  return id;
}

function isBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, 8000).includes(0);
}

function pathCrumbs(view: RepoView, ref: string, path: string): SafeHtml {
  const parts = path === '' ? [] : path.split('/');
  const root = `${view.base}/-/files/${urlPath(ref)}`;
  return html`<a href="${root}">${view.repo.path.split('/').pop()}</a>${parts.map((p, i) =>
    i === parts.length - 1 ? html` / <strong>${p}</strong>` : html` / <a href="${root}/${urlPath(parts.slice(0, i + 1).join('/'))}">${p}</a>`,
  )}`;
}

/** A directory listing or a file with highlighting and line anchors (`#L12`). */
export async function filesPage(ctx: PageContext, view: RepoView, ref: string, path: string): Promise<SafeHtml> {
  const { browser, base } = view;
  const id = await resolveOrThrow(browser, ref);
  const head = html`<header><span class="badge branch">${ref}</span> <a class="mono" href="${base}/-/commit/${id}">${shortId(id)}</a> <span class="grow">${pathCrumbs(view, ref, path)}</span>`;
  const entries = await browser.tree(id, path);
  if (entries) {
    const prefix = `${base}/-/files/${urlPath(ref)}${path === '' ? '' : `/${urlPath(path)}`}`;
    const list = html`<ul class="list">${path !== '' ? html`<li><a href="${prefix.replace(/\/[^/]*$/, '')}">..</a></li>` : ''}${entries.map(
      (e) => html`<li><span class="muted mono kind">${e.type === 'dir' ? 'dir ' : e.type === 'link' ? 'link' : e.type === 'submodule' ? 'sub ' : 'file'}</span><a class="grow" href="${prefix}/${encodeUrlSegment(e.name)}">${e.name}${e.type === 'dir' ? '/' : ''}</a></li>`,
    )}</ul>`;
    const dirTools = path === '' ? html`` : html`<span class="file-tools"><a href="${base}/-/history/${urlPath(ref)}/${urlPath(path)}">History</a></span>`;
    return repoPage(ctx, view, 'files', path === '' ? 'Files' : path, html`<section class="box">${head}${dirTools}</header>${list}</section>`);
  }
  const bytes = await browser.blob(id, path);
  if (!bytes) throw new NotFoundError(`no file or directory ${JSON.stringify(path.slice(0, 200))} at ${ref}`);
  const rawUrl = `${base}/-/raw/${urlPath(ref)}/${urlPath(path)}`;
  const at = `${urlPath(ref)}/${urlPath(path)}`;
  const tools = html`<span class="spacer"></span><span class="muted small">${bytes.length} bytes</span> <span class="file-tools"><a href="${base}/-/history/${at}">History</a> · <a href="${base}/-/blame/${at}">Blame</a> · <a href="${rawUrl}">Raw</a></span>`;
  let body: SafeHtml;
  if (IMAGE.test(path)) body = html`<div class="image-view"><img src="${rawUrl}" alt="${path.split('/').pop() ?? path}" id="image"></div>`;
  else if (isBinary(bytes)) body = html`<p class="markdown muted">Binary file, not shown. <a href="${rawUrl}">Download it</a>.</p>`;
  else if (bytes.length > MAX_SHOWN) body = html`<p class="markdown muted">File too large to show (${bytes.length} bytes). <a href="${rawUrl}">View it raw</a>.</p>`;
  else if (/\.(md|markdown)$/i.test(path) && ctx.url.searchParams.get('plain') !== '1') {
    const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    const join = (root: string): string => `${base}/-/${root}/${urlPath(ref)}${dir === '' ? '' : `/${urlPath(dir)}`}`;
    body = html`<div class="markdown">${renderMarkdown(bytes.toString('utf8'), { files: join('files'), raw: join('raw') })}</div>`;
    return repoPage(ctx, view, 'files', path, html`<section class="box">${head}${tools} <a href="?plain=1">Source</a></header>${body}</section>`);
  } else {
    const lines = highlightLines(path, bytes.toString('utf8'));
    body = html`<div class="code-wrap"><table class="code"><tbody>${lines.map(
      (l, i) => html`<tr id="L${i + 1}"><td class="ln"><a href="#L${i + 1}">${i + 1}</a></td><td>${l}</td></tr>`,
    )}</tbody></table></div>`;
  }
  return repoPage(ctx, view, 'files', path, html`<section class="box">${head}${tools}</header>${body}</section>`);
}

/** Raw bytes as text/plain (or a download), never as HTML: repository content is untrusted. */
export async function sendRaw(ctx: PageContext, view: RepoView, ref: string, path: string): Promise<void> {
  const id = await resolveOrThrow(view.browser, ref);
  const committed = await view.browser.blob(id, path);
  // An hg largefile or a Git LFS object: its content, not the standin or pointer.
  const dir = ctx.app.repositories.directoryOf(view.repo);
  const large = await largeContentFile({ kind: view.repo.kind, dir }, view.browser, id, path, committed, (oid) => ctx.app.lfs.fileOf(view.repo.id, oid));
  const bytes = large ? await readFile(large) : committed;
  if (!bytes) throw new NotFoundError(`no file ${JSON.stringify(path.slice(0, 200))} at ${ref}`);
  const name = path.split('/').pop() ?? 'file';
  const binary = isBinary(bytes);
  // An SVG opened directly stays inert: the sandbox CSP below forbids its scripts.
  const image = IMAGE_TYPES[IMAGE.exec(name)?.[1]?.toLowerCase() ?? ''];
  const type = image ?? (binary ? 'application/octet-stream' : 'text/plain; charset=utf-8');
  ctx.res.writeHead(200, {
    'Content-Type': type,
    'Content-Length': bytes.length,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Content-Disposition': contentDisposition(binary && !image ? 'attachment' : 'inline', name),
    'Cache-Control': /^[0-9a-f]{40}$/.test(ref) ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : bytes);
}
