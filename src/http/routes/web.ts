import type { IncomingMessage, ServerResponse } from 'node:http';
import { NotFoundError, InvalidInputError, RepoMovedError, describeError } from '../../domain/errors.js';
import { parseRepoPath, isRepoPath } from '../../domain/repo-path.js';
import type { App } from '../../main.js';
import { ANONYMOUS } from '../../access/subject.js';
import type { PageContext } from '../../web/context.js';
import { urlPath, type SafeHtml } from '../../web/html.js';
import { admin } from '../../web/pages/admin.js';
import { settings, signin, signout } from '../../web/pages/account.js';
import { commitPage, sendRawDiff } from '../../web/pages/commit.js';
import { errorPage } from '../../web/pages/errors.js';
import { filesPage, sendRaw, splitRefPath } from '../../web/pages/files.js';
import { groupPage, homePage } from '../../web/pages/home.js';
import { logPage } from '../../web/pages/log.js';
import { sendArchive } from '../../web/pages/archive.js';
import { sendAtom } from '../../web/pages/atom.js';
import { comparePage, sendCompareDiff } from '../../web/pages/compare.js';
import { blamePage, historyPage } from '../../web/pages/history.js';
import { branchesPage, tagsPage } from '../../web/pages/refs.js';
import { repoHome } from '../../web/pages/repo.js';
import { repoSettings } from '../../web/pages/repo-settings.js';
import { repoBase, type RepoView } from '../../web/pages/repo-shell.js';
import { redirect, sendHtml } from '../../web/respond.js';
import { loadStaticAssets, type StaticAsset } from '../../web/static.js';
import { movedLocation, movedStatus, statusOf } from '../errors.js';
import type { HttpRoute } from '../route.js';
import { requestCredentials } from '../request-subject.js';
import { BASIC_CHALLENGE } from '../authenticate.js';
import { publicBaseUrl } from '../public-url.js';
import { startServerTiming } from '../server-timing.js';
import { decodeUrlSegment, encodeUrlSegment } from '../../domain/byte-names.js';

const WIRE = /\/(info\/refs|git-upload-pack|git-receive-pack|HEAD|objects\/.*)$/;
const OTHER_AREAS = /^\/(api|cdn)(\/|$)|^\/(healthz|metrics)$/;

/**
 * Browser pages: `/`, `/GROUP/`, `/PATH` and `/PATH/-/…` (`/PATH/-/settings/…` also takes POSTs), plus `/-/signin`, `/-/settings`,
 * `/-/admin` and `/-/static/…`. Goes after the wire-protocol routes: a request with `?cmd=` or
 * a git smart-HTTP path is never taken here.
 */
export function webRoute(app: App, options: { sshPort?: () => number } = {}): HttpRoute {
  const assets = loadStaticAssets();
  const sshPort = options.sshPort ?? (() => app.config.ssh.port);
  return {
    name: 'web',
    async handle(req, res, url) {
      startServerTiming(res);
      const method = req.method ?? 'GET';
      if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') return false;
      if (url.searchParams.has('cmd') || WIRE.test(url.pathname) || OTHER_AREAS.test(url.pathname)) return false;
      if (url.pathname.startsWith('/-/static/')) return sendStatic(req, res, url, assets);
      let ctx: PageContext = { app, req, res, url, subject: ANONYMOUS, signedIn: undefined, baseUrl: publicBaseUrl(app.config, req), sshPort: sshPort(), assets };
      try {
        // The same credentials as every HTTP route (Basic, `token T`, Bearer), else the session cookie.
        ctx = { ...ctx, ...(await requestCredentials(app.httpAuth, app.stores, req)) };
        return await dispatch(ctx, method);
      } catch (err) {
        if (err instanceof RepoMovedError && !res.headersSent) {
          // Not cached: a repo may be created at the old path later, and only readers see the move.
          // 308 for a POST (a form), so the method and body follow the move (RFC 9110 §15.4.9).
          res.writeHead(movedStatus(method), { Location: movedLocation(err, url), 'Content-Length': 0, 'Cache-Control': 'no-store' }).end();
          return true;
        }
        const status = statusOf(err);
        if (status === 500) app.log.error({ err, url: url.pathname }, 'web page failed');
        if (res.headersSent) {
          res.destroy();
          return true;
        }
        const message = status === 500 ? 'Something went wrong; the server log has details.' : describeError(err);
        sendHtml(req, res, status, errorPage(ctx, status, message), status === 401 ? { 'WWW-Authenticate': BASIC_CHALLENGE } : {});
        return true;
      }
    },
  };
}

function sendStatic(req: IncomingMessage, res: ServerResponse, url: URL, assets: { css: StaticAsset; js: StaticAsset }): boolean {
  const asset = [assets.css, assets.js].find((a) => a.url === url.pathname);
  if (!asset) return false;
  res.writeHead(200, { 'Content-Type': asset.type, 'Content-Length': asset.body.length, 'Cache-Control': 'public, max-age=31536000, immutable', 'X-Content-Type-Options': 'nosniff' });
  res.end(req.method === 'HEAD' ? undefined : asset.body);
  return true;
}

function page(ctx: PageContext, body: SafeHtml): boolean {
  sendHtml(ctx.req, ctx.res, 200, body);
  return true;
}

function decodePath(pathname: string): string {
  try {
    return pathname.split('/').map(decodeUrlSegment).join('/');
  } catch {
    throw new InvalidInputError('malformed URL escape');
  }
}

async function dispatch(ctx: PageContext, method: string): Promise<boolean> {
  const path = ctx.url.pathname;
  if (path === '/') return method === 'POST' ? false : page(ctx, await homePage(ctx));
  if (path.startsWith('/-/')) {
    const [area, ...rest] = path.slice(3).split('/');
    const action = rest.join('/');
    if (area === 'signin' && action === '') await signin(ctx);
    else if (area === 'signout' && action === '' && method === 'POST') await signout(ctx);
    else if (area === 'settings') await settings(ctx, action);
    else if (area === 'admin') await admin(ctx, action);
    else throw new NotFoundError('no such page');
    return true;
  }
  const decoded = decodePath(path);
  const marker = decoded.indexOf('/-/');
  const repoPart = marker < 0 ? decoded : decoded.slice(0, marker);
  const sub = marker < 0 ? undefined : decoded.slice(marker + 3);
  if (!isRepoPath(repoPart)) return false;
  const repoPath = parseRepoPath(repoPart);
  if (sub === 'settings' || sub?.startsWith('settings/')) {
    await repoSettings(ctx, repoPath, sub.slice('settings/'.length));
    return true;
  }
  if (method === 'POST') return false;
  // A repo the visitor may not see is, here as everywhere, no repo at all: no redirect to it.
  const stored = await ctx.app.stores.repos.byPath(repoPath);
  const repo = stored && (await ctx.app.policy.levelOn(ctx.subject, stored)) !== 'none' ? stored : undefined;
  if (sub === undefined && (!repo || decoded.endsWith('/'))) {
    if (repo) {
      redirect(ctx.res, repoBase(repoPath));
      return true;
    }
    const group = await groupPage(ctx, repoPath);
    if (group) {
      if (!decoded.endsWith('/')) redirect(ctx.res, `${repoBase(repoPath)}/`);
      else page(ctx, group);
      return true;
    }
  }
  const { repo: found, level } = await ctx.app.policy.authorize(ctx.subject, repoPath, 'read');
  await ctx.app.recovery.ready(found.kind, ctx.app.repositories.directoryOf(found));
  const view: RepoView = { repo: found, level, browser: ctx.app.browsers.for(found, ctx.app.repositories.directoryOf(found)), base: repoBase(found.path) };
  if (sub === undefined) return page(ctx, await repoHome(ctx, view));
  const slash = sub.indexOf('/');
  const verb = slash < 0 ? sub : sub.slice(0, slash);
  const rest = slash < 0 ? '' : sub.slice(slash + 1);
  // A page that names nothing after its verb never silently ignores what follows (as /-/log/REF/PATH once did).
  if (rest !== '' && (verb === 'branches' || verb === 'tags' || verb === 'atom')) throw new NotFoundError(`/-/${verb} takes nothing after it${verb === 'atom' ? ' (one branch: ?branch=NAME)' : ''}`);
  switch (verb) {
    case 'log': {
      if (rest === '') return page(ctx, await logPage(ctx, view));
      // `/-/log/REF[/PATH]` names a branch and perhaps a file: the branch's log or the file's history.
      const { ref, path: file } = await splitRefPath(view.browser, rest);
      redirect(ctx.res, file === '' ? `${view.base}/-/log?ref=${encodeUrlSegment(ref)}` : `${view.base}/-/history/${urlPath(ref)}/${urlPath(file)}`);
      return true;
    }
    case 'history':
    case 'blame': {
      if (rest === '') throw new NotFoundError(`a ${verb} page names a file: /-/${verb}/REF/PATH`);
      const { ref, path: file } = await splitRefPath(view.browser, rest);
      return page(ctx, verb === 'blame' ? await blamePage(ctx, view, ref, file) : await historyPage(ctx, view, ref, file));
    }
    case 'archive':
      await sendArchive(ctx, view, rest);
      return true;
    case 'compare': {
      if (rest.endsWith('.diff')) {
        await sendCompareDiff(ctx, view, rest.slice(0, -5));
        return true;
      }
      const result = await comparePage(ctx, view, rest);
      if (typeof result === 'string') {
        redirect(ctx.res, result);
        return true;
      }
      return page(ctx, result);
    }
    case 'atom':
      await sendAtom(ctx, view);
      return true;
    case 'branches':
      return page(ctx, await branchesPage(ctx, view));
    case 'tags':
      return page(ctx, await tagsPage(ctx, view));
    case 'commit':
      if (rest.endsWith('.diff')) {
        await sendRawDiff(ctx, view, rest.slice(0, -5));
        return true;
      }
      return page(ctx, await commitPage(ctx, view, rest));
    case 'files':
    case 'raw': {
      if (rest === '') {
        const branch = await view.browser.defaultBranch();
        if (!branch) throw new NotFoundError(`${found.path} is empty: push something first`);
        redirect(ctx.res, `${view.base}/-/${verb}/${encodeUrlSegment(branch)}`);
        return true;
      }
      const { ref, path: file } = await splitRefPath(view.browser, rest);
      if (verb === 'raw') {
        await sendRaw(ctx, view, ref, file);
        return true;
      }
      return page(ctx, await filesPage(ctx, view, ref, file));
    }
    default:
      throw new NotFoundError(`no page ${verb} for a repository`);
  }
}
