import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { NotFoundError } from '../../../domain/errors.js';
import type { Repo } from '../../../store/types.js';
import type { RepoBrowser, TreeEntry } from '../../../vcs/browse.js';
import type { ApiEnv, ApiModule } from '../env.js';
import { baseOf, repoApiUrl } from '../present.js';
import { resolveRef } from '../refs.js';
import { repoFor } from '../repo-access.js';
import { rawQueryParam, restOfPath } from '../rest-path.js';
import { queryBool, queryInt } from '../query.js';
import { ContentsSchema, errorResponses, GitTreeSchema, jsonOf, RepoParams } from '../schemas.js';
import { decodeBytes, displayName, encodeUrlPath, encodeUrlSegment } from '../../../domain/byte-names.js';
import { contentDisposition } from '../../content-disposition.js';

type Contents = z.infer<typeof ContentsSchema>;

const RefQuery = z.object({ ref: z.string().max(255).optional().openapi({ description: 'branch, tag or commit (default: the default branch)' }) });
const FileParams = RepoParams.extend({ filepath: z.string().openapi({ param: { name: 'filepath', in: 'path' }, description: 'a path in the repo; may hold slashes' }) });
const TreeParams = RepoParams.extend({ sha: z.string().min(1).max(255).openapi({ param: { name: 'sha', in: 'path' }, description: 'a commit id, branch or tag (git: also a tree id)' }) });
const TreeQuery = z.object({
  recursive: queryBool('list subdirectories too'),
  page: queryInt({ min: 1, default: 1, zeroIsDefault: true, description: 'page number, from 1' }),
  per_page: queryInt({ min: 1, default: 1000, clamp: 10_000, zeroIsDefault: true, description: 'entries a page' }),
});

/** Path segments before `{filepath}` in `/api/v1/repos/{owner}/{repo}/contents/…` and `/raw/…`. */
const FIXED = 6;

const contentsRoot = createRoute({
  method: 'get',
  path: '/repos/{owner}/{repo}/contents',
  tags: ['repository'],
  summary: 'The top directory of the repo at a ref',
  request: { params: RepoParams, query: RefQuery },
  responses: { 200: jsonOf(z.array(ContentsSchema), 'the entries'), ...errorResponses },
});
const contentsDoc = createRoute({
  method: 'get',
  path: '/repos/{owner}/{repo}/contents/{filepath}',
  tags: ['repository'],
  summary: 'A file (content base64-encoded) or a directory (its entries) at a ref',
  request: { params: FileParams, query: RefQuery },
  responses: { 200: jsonOf(z.union([ContentsSchema, z.array(ContentsSchema)]), 'a file or the entries of a directory'), ...errorResponses },
});
const rawDoc = createRoute({
  method: 'get',
  path: '/repos/{owner}/{repo}/raw/{filepath}',
  tags: ['repository'],
  summary: "A file's bytes at a ref",
  request: { params: FileParams, query: RefQuery },
  responses: { 200: { description: "the file's bytes", content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } }, ...errorResponses },
});
const getTree = createRoute({
  method: 'get',
  path: '/repos/{owner}/{repo}/git/trees/{sha}',
  tags: ['repository'],
  summary: 'The tree of a commit (recursive=1: every entry below it)',
  request: { params: TreeParams, query: TreeQuery },
  responses: { 200: jsonOf(GitTreeSchema, 'the tree'), ...errorResponses },
});

/** `/contents[/{path}]`, `/raw/{path}` and `/git/trees/{sha}`, read through the long-lived browsers. */
export const contentsApi: ApiModule = (api, app) => {
  api.openapi(contentsRoot, async (c) => {
    const { owner, repo } = c.req.valid('param');
    const found = await repoFor(app, c.var.subject, owner, repo, 'read');
    const { ref, id } = await resolveRef(found.repo, found.browser, rawQueryParam(c, 'ref'));
    const entries = (await found.browser.tree(id, '')) ?? [];
    return c.json(entries.map((e) => entryJson(baseOf(app, c), found.repo, ref, id, '', e)), 200);
  });

  // `{filepath}` holds slashes: routed as `*` (hidden), documented by contentsDoc and rawDoc.
  api.openAPIRegistry.registerPath(contentsDoc);
  api.openAPIRegistry.registerPath(rawDoc);
  api.openapi({ ...contentsDoc, path: '/repos/{owner}/{repo}/contents/*', request: { params: RepoParams, query: RefQuery }, hide: true }, async (c) => {
    const { owner, repo } = c.req.valid('param');
    const found = await repoFor(app, c.var.subject, owner, repo, 'read');
    const path = restOfPath(c, FIXED);
    const { ref, id } = await resolveRef(found.repo, found.browser, rawQueryParam(c, 'ref'));
    return c.json(await contentsAt(c, found.repo, found.browser, ref, id, path, baseOf(app, c)), 200);
  });
  api.openapi({ ...rawDoc, path: '/repos/{owner}/{repo}/raw/*', request: { params: RepoParams, query: RefQuery }, hide: true }, async (c) => {
    const { owner, repo } = c.req.valid('param');
    const found = await repoFor(app, c.var.subject, owner, repo, 'read');
    const path = restOfPath(c, FIXED);
    const { id } = await resolveRef(found.repo, found.browser, rawQueryParam(c, 'ref'));
    const bytes = path === '' ? undefined : await found.browser.blob(id, path);
    if (!bytes) throw new NotFoundError(`no file ${path} at ${id.slice(0, 12)} in ${found.repo.path}`);
    return rawResponse(bytes, path);
  });

  api.openapi(getTree, async (c) => {
    const { owner, repo, sha } = c.req.valid('param');
    const query = c.req.valid('query');
    const found = await repoFor(app, c.var.subject, owner, repo, 'read');
    const id = await treeRoot(found.repo, found.browser, sha);
    const recursive = query.recursive === true;
    const all = await walk(found.browser, id, '', recursive);
    const start = (query.page - 1) * query.per_page;
    const apiUrl = repoApiUrl(baseOf(app, c), found.repo);
    const tree = all.slice(start, start + query.per_page).map(({ path, entry }) => ({
      path: displayName(path),
      mode: entry.type === 'dir' ? '040000' : entry.type === 'link' ? '120000' : entry.type === 'submodule' ? '160000' : '100644',
      type: entry.type === 'dir' ? ('tree' as const) : entry.type === 'submodule' ? ('commit' as const) : ('blob' as const),
      size: 0,
      sha: entry.id ?? '',
      url: entry.id ? `${apiUrl}/git/${entry.type === 'dir' ? 'trees' : 'blobs'}/${entry.id}` : '',
    }));
    return c.json({ sha: id, url: `${apiUrl}/git/trees/${id}`, tree, truncated: start + query.per_page < all.length, page: query.page, total_count: all.length }, 200);
  });
};

/** A commit (or, for git, a tree id as the tree endpoint gives for subdirectories) to list. */
async function treeRoot(repo: Repo, browser: RepoBrowser, sha: string): Promise<string> {
  try {
    return (await resolveRef(repo, browser, sha)).id;
  } catch (err) {
    if (repo.kind === 'git' && /^[0-9a-f]{40,64}$/.test(sha) && (await browser.tree(sha, '')) !== undefined) return sha;
    throw err;
  }
}

/** Entries under `path` (all levels when `recursive`), directories before their contents. */
async function walk(browser: RepoBrowser, id: string, path: string, recursive: boolean): Promise<{ path: string; entry: TreeEntry }[]> {
  const entries = await browser.tree(id, path);
  if (!entries) throw new NotFoundError(`no tree ${id}${path ? `:${path}` : ''}`);
  const out: { path: string; entry: TreeEntry }[] = [];
  for (const entry of entries) {
    const full = path === '' ? entry.name : `${path}/${entry.name}`;
    out.push({ path: full, entry });
    if (recursive && entry.type === 'dir') out.push(...(await walk(browser, id, full, true)));
  }
  return out;
}

async function contentsAt(c: Context<ApiEnv>, repo: Repo, browser: RepoBrowser, ref: string, id: string, path: string, base: string): Promise<Contents | Contents[]> {
  const dir = await browser.tree(id, path);
  if (dir) return dir.map((e) => entryJson(base, repo, ref, id, path, e));
  const slash = path.lastIndexOf('/');
  const parent = slash < 0 ? '' : path.slice(0, slash);
  const entry = (await browser.tree(id, parent))?.find((e) => e.name === path.slice(slash + 1));
  const bytes = entry && entry.type !== 'submodule' ? await browser.blob(id, path) : undefined;
  if (!entry || (entry.type !== 'submodule' && !bytes)) throw new NotFoundError(`no file or directory ${path} at ${ref} in ${repo.path}`);
  void c;
  const json = entryJson(base, repo, ref, id, parent, entry);
  if (bytes) {
    json.size = bytes.length;
    if (entry.type === 'link') json.target = displayName(decodeBytes(bytes));
    else {
      json.encoding = 'base64';
      json.content = bytes.toString('base64');
    }
  }
  return json;
}

function entryJson(base: string, repo: Repo, ref: string, id: string, dir: string, e: TreeEntry): Contents {
  const path = dir === '' ? e.name : `${dir}/${e.name}`;
  const apiUrl = repoApiUrl(base, repo);
  const encodedPath = encodeUrlPath(path);
  const refQuery = `?ref=${encodeUrlSegment(ref)}`;
  const self = `${apiUrl}/contents/${encodedPath}${refQuery}`;
  const html = `${base}/${repo.path}/-/files/${encodeUrlSegment(ref)}/${encodedPath}`;
  const git = e.id ? `${apiUrl}/git/${e.type === 'dir' ? 'trees' : 'blobs'}/${e.id}` : null;
  // Names show bytes that are not UTF-8 as U+FFFD; the URLs above carry the bytes (docs/urls.md).
  return {
    name: displayName(e.name),
    path: displayName(path),
    sha: e.id ?? '',
    last_commit_sha: id,
    type: e.type === 'link' ? 'symlink' : e.type,
    size: 0,
    encoding: null,
    content: null,
    target: null,
    url: self,
    html_url: html,
    git_url: git,
    download_url: e.type === 'file' ? `${apiUrl}/raw/${encodedPath}${refQuery}` : null,
    _links: { self, git, html },
  };
}

/**
 * A file's bytes as the raw endpoint serves them: repository content is untrusted (DESIGN.md),
 * so never as HTML: text as text/plain, anything else as application/octet-stream, with nosniff
 * and a sandboxing CSP.
 */
function rawResponse(bytes: Buffer, path: string): Response {
  return new Response(new Uint8Array(bytes), {
    status: 200,
    headers: {
      'Content-Type': looksLikeText(bytes) ? 'text/plain; charset=utf-8' : 'application/octet-stream',
      'Content-Length': String(bytes.length),
      'Content-Disposition': contentDisposition('inline', path.slice(path.lastIndexOf('/') + 1)),
      'Content-Security-Policy': 'sandbox',
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
    },
  });
}

function looksLikeText(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 8000);
  if (head.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.length === bytes.length ? head : bytes.subarray(0, head.lastIndexOf(10) + 1 || head.length));
    return true;
  } catch {
    return false;
  }
}
