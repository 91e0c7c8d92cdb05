import { createRoute, z } from '@hono/zod-openapi';
import { atLeast } from '../../../domain/access-level.js';
import { NotFoundError } from '../../../domain/errors.js';
import type { Repo } from '../../../store/types.js';
import type { RefInfo } from '../../../vcs/browse.js';
import type { ApiModule } from '../env.js';
import { PageQuery, paginate } from '../paginate.js';
import { baseOf, repoApiUrl } from '../present.js';
import { branchesOf, type ApiBranch } from '../refs.js';
import { repoFor } from '../repo-access.js';
import { BranchSchema, errorResponses, jsonOf, RepoParams, TagSchema } from '../schemas.js';
import { displayName, encodeUrlSegment } from '../../../domain/byte-names.js';
import { lastPathSegment } from '../rest-path.js';

const BranchParams = RepoParams.extend({
  branch: z.string().min(1).max(255).openapi({ param: { name: 'branch', in: 'path' }, description: 'branch, bookmark or topic/NAME; URL-encode slashes (feature%2Fx)' }),
});

const listBranches = createRoute({
  method: 'get',
  path: '/repos/{owner}/{repo}/branches',
  tags: ['repository'],
  summary: 'Branches (git), or named branches, bookmarks and topics (hg)',
  request: { params: RepoParams, query: PageQuery },
  responses: { 200: jsonOf(z.array(BranchSchema), 'a page of branches'), ...errorResponses },
});
const getBranch = createRoute({
  method: 'get',
  path: '/repos/{owner}/{repo}/branches/{branch}',
  tags: ['repository'],
  summary: 'One branch',
  request: { params: BranchParams },
  responses: { 200: jsonOf(BranchSchema, 'the branch'), ...errorResponses },
});
const listTags = createRoute({
  method: 'get',
  path: '/repos/{owner}/{repo}/tags',
  tags: ['repository'],
  summary: 'Tags',
  request: { params: RepoParams, query: PageQuery },
  responses: { 200: jsonOf(z.array(TagSchema), 'a page of tags'), ...errorResponses },
});

/** `GET /repos/{o}/{r}/branches[/{b}]` and `/tags`. */
export const branchesApi: ApiModule = (api, app) => {
  api.openapi(listBranches, async (c) => {
    const { owner, repo } = c.req.valid('param');
    const found = await repoFor(app, c.var.subject, owner, repo, 'read');
    const page = paginate(c, await branchesOf(found.repo, found.browser), c.req.valid('query'));
    const push = atLeast(found.level, 'write');
    // Author and committer as Gitea lists them: each branch's head commit, read through the
    // long-lived reader (and its per-commit cache), a page at a time.
    const listed = await Promise.all(page.map((b) => withCommit(found.browser, branchJson(baseOf(app, c), found.repo, b, push))));
    return c.json(listed, 200);
  });

  api.openapi(getBranch, async (c) => {
    const { owner, repo } = c.req.valid('param');
    // The name's bytes as sent (a git branch may be named in bytes that are not UTF-8).
    const branch = lastPathSegment(c);
    const found = await repoFor(app, c.var.subject, owner, repo, 'read');
    const match = (await branchesOf(found.repo, found.browser)).find((b) => b.name === branch);
    if (!match) throw new NotFoundError(`no branch ${branch} in ${found.repo.path}`);
    return c.json(await withCommit(found.browser, branchJson(baseOf(app, c), found.repo, match, atLeast(found.level, 'write'))), 200);
  });

  api.openapi(listTags, async (c) => {
    const { owner, repo } = c.req.valid('param');
    const found = await repoFor(app, c.var.subject, owner, repo, 'read');
    const page = paginate(c, await found.browser.tags(), c.req.valid('query'));
    return c.json(page.map((t) => tagJson(baseOf(app, c), found.repo, t)), 200);
  });
};

/** Fills a branch's commit message, author and committer from its head commit. */
async function withCommit(browser: { commit(id: string): Promise<{ message: string; author: string; email: string } | undefined> }, json: z.infer<typeof BranchSchema>): Promise<z.infer<typeof BranchSchema>> {
  const info = await browser.commit(json.commit.id);
  if (info) {
    json.commit.message = displayName(info.message);
    json.commit.author = json.commit.committer = { name: displayName(info.author), email: displayName(info.email), username: '' };
  }
  return json;
}

function branchJson(base: string, repo: Repo, b: ApiBranch, push: boolean): z.infer<typeof BranchSchema> {
  const nobody = { name: '', email: '', username: '' };
  return {
    name: displayName(b.name),
    commit: { id: b.id, message: displayName(b.summary), url: `${repoApiUrl(base, repo)}/git/commits/${b.id}`, timestamp: b.date, author: nobody, committer: nobody },
    protected: false,
    user_can_push: push,
    user_can_merge: false,
    kind: b.kind,
    closed: b.closed ?? false,
  };
}

function tagJson(base: string, repo: Repo, t: RefInfo): z.infer<typeof TagSchema> {
  const api = repoApiUrl(base, repo);
  const ref = encodeUrlSegment(t.name);
  return {
    name: displayName(t.name),
    id: t.id,
    message: displayName(t.summary),
    commit: { sha: t.id, url: `${api}/git/commits/${t.id}`, created: t.date },
    zipball_url: `${api}/archive/${ref}.zip`,
    tarball_url: `${api}/archive/${ref}.tar.gz`,
  };
}
