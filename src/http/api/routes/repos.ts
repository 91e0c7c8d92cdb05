import { createRoute, z } from '@hono/zod-openapi';
import { atLeast } from '../../../domain/access-level.js';
import { FerryError, InvalidInputError } from '../../../domain/errors.js';
import { namespaceOf, parseRepoPath, type RepoPath } from '../../../domain/repo-path.js';
import type { App } from '../../../main.js';
import { createForSubject } from '../../../services/create-for-subject.js';
import { moveForSubject } from '../../../services/repo-admin.js';
import type { Repo } from '../../../store/types.js';
import { runProcess } from '../../../vcs/process.js';
import type { Subject } from '../../../access/subject.js';
import { requireUser, requireWriter } from '../auth.js';
import type { ApiModule, ApiServer } from '../env.js';
import { PageQuery, paginate } from '../paginate.js';
import { baseOf, repositoriesJson } from '../present.js';
import { ownerAndName, repoFor, repoPathOf, reposOfOwner, type ApiRepo } from '../repo-access.js';
import { errorResponses, jsonOf, RepoNameSchema, RepoParams, RepositorySchema } from '../schemas.js';
import type { Context } from 'hono';
import { queryBool } from '../query.js';
import type { ApiEnv } from '../env.js';

const RepoList = z.array(RepositorySchema);

const CreateRepoOption = z
  .object({
    name: RepoNameSchema,
    description: z.string().max(2048).optional(),
    private: z.boolean().default(true).openapi({ description: 'Ferry: every repo is private unless made public (default true)' }),
    vcs: z.enum(['hg', 'git']).default('git').openapi({ description: 'Ferry: the kind of repository (default git, as Gitea clients expect)' }),
    default_branch: z.string().min(1).max(255).optional().openapi({
      description: 'git: the branch HEAD names (clones check it out once it is pushed; if another branch comes first, HEAD follows that one). hg: only `default`, the branch hg clone checks out',
    }),
  })
  .openapi('CreateRepoOption');

const EditRepoOption = z
  .object({
    description: z.string().max(2048).optional(),
    private: z.boolean().optional(),
    default_branch: z.string().min(1).max(255).optional(),
    name: z.string().min(1).max(100).optional().openapi({ description: "a new last path segment: renames the repo within its owner's namespace (repo admins); the old path redirects" }),
  })
  .openapi('EditRepoOption');

const TransferRepoOption = z
  .object({
    new_owner: z.string().min(1).max(255).openapi({ description: 'the namespace or group path to move the repo into', example: 'team' }),
    new_name: z.string().min(1).max(100).optional().openapi({ description: 'Ferry: a new last path segment as well (default: the same name)' }),
  })
  .openapi('TransferRepoOption');

const SearchResults = z.object({ ok: z.boolean(), data: RepoList }).openapi('SearchResults');

const SearchQuery = PageQuery.extend({
  q: z.string().max(255).optional().openapi({ description: 'keyword: repos whose path contains it (without regard to case)' }),
  private: queryBool('true: only private repos; false: only public ones'),
});

const OrgParams = z.object({ org: z.string().min(1).openapi({ param: { name: 'org', in: 'path' }, description: 'a namespace or group path, URL-encoded', example: 'team' }) });
const UserParams = z.object({ username: z.string().min(1).openapi({ param: { name: 'username', in: 'path' }, example: 'alice' }) });

const getRepo = createRoute({ method: 'get', path: '/repos/{owner}/{repo}', tags: ['repository'], summary: 'A repository', request: { params: RepoParams }, responses: { 200: jsonOf(RepositorySchema, 'the repository'), ...errorResponses } });
const editRepo = createRoute({
  method: 'patch',
  path: '/repos/{owner}/{repo}',
  tags: ['repository'],
  summary: "Change a repository's visibility, description or default branch (repo admins)",
  request: { params: RepoParams, body: { content: { 'application/json': { schema: EditRepoOption } }, required: true } },
  responses: { 200: jsonOf(RepositorySchema, 'the changed repository'), ...errorResponses },
});
const transferRepo = createRoute({
  method: 'post',
  path: '/repos/{owner}/{repo}/transfer',
  tags: ['repository'],
  summary: "Move a repository into another namespace (the current namespace's owner or a site admin, with create rights at the new path)",
  request: { params: RepoParams, body: { content: { 'application/json': { schema: TransferRepoOption } }, required: true } },
  responses: { 202: jsonOf(RepositorySchema, 'the moved repository'), ...errorResponses },
});
const deleteRepo = createRoute({ method: 'delete', path: '/repos/{owner}/{repo}', tags: ['repository'], summary: 'Delete a repository (repo admins)', request: { params: RepoParams }, responses: { 204: { description: 'deleted' }, ...errorResponses } });
const createUserRepo = createRoute({
  method: 'post',
  path: '/user/repos',
  tags: ['repository', 'user'],
  summary: 'Create a repository at USER/NAME',
  request: { body: { content: { 'application/json': { schema: CreateRepoOption } }, required: true } },
  responses: { 201: jsonOf(RepositorySchema, 'the new repository'), ...errorResponses },
});
const createOrgRepo = createRoute({
  method: 'post',
  path: '/orgs/{org}/repos',
  tags: ['repository', 'organization'],
  summary: 'Create a repository at ORG/NAME (ORG may be a group path, URL-encoded)',
  request: { params: OrgParams, body: { content: { 'application/json': { schema: CreateRepoOption } }, required: true } },
  responses: { 201: jsonOf(RepositorySchema, 'the new repository'), ...errorResponses },
});
const listMyRepos = createRoute({ method: 'get', path: '/user/repos', tags: ['user'], summary: 'Repositories the signed-in user owns or was granted', request: { query: PageQuery }, responses: { 200: jsonOf(RepoList, 'a page of repositories'), ...errorResponses } });
const listOrgRepos = createRoute({ method: 'get', path: '/orgs/{org}/repos', tags: ['organization'], summary: 'Repositories under a group path that the caller can see', request: { params: OrgParams, query: PageQuery }, responses: { 200: jsonOf(RepoList, 'a page of repositories'), ...errorResponses } });
const listUserRepos = createRoute({ method: 'get', path: '/users/{username}/repos', tags: ['user'], summary: "Repositories in a user's namespace that the caller can see", request: { params: UserParams, query: PageQuery }, responses: { 200: jsonOf(RepoList, 'a page of repositories'), ...errorResponses } });
const searchRepos = createRoute({ method: 'get', path: '/repos/search', tags: ['repository'], summary: 'Search the repositories the caller can see', request: { query: SearchQuery }, responses: { 200: jsonOf(SearchResults, 'a page of matches'), ...errorResponses } });

/** Repositories: get, create, edit, delete, list and search (Gitea's shapes). */
export const reposApi: ApiModule = (api, app, server) => {
  api.openapi(searchRepos, async (c) => {
    const { q, private: onlyPrivate, ...page } = c.req.valid('query');
    const needle = (q ?? '').toLowerCase();
    const visible = (await app.policy.visibleRepos(c.var.subject)).filter(
      (e) => (needle === '' || e.repo.path.toLowerCase().includes(needle)) && (onlyPrivate === undefined || onlyPrivate === !e.repo.isPublic),
    );
    sortByPath(visible);
    return c.json({ ok: true, data: await repositoriesJson(app, server, baseOf(app, c), paginate(c, visible, page)) }, 200);
  });

  api.openapi(listMyRepos, async (c) => {
    const user = requireUser(c.var.subject);
    // Gitea lists the repos a user owns or collaborates on: here, those reached by more than the public floor.
    const mine = (await app.policy.visibleRepos(user)).filter((e) => !e.repo.isPublic || atLeast(e.level, 'write') || namespaceOf(e.repo.path).toLowerCase() === user.user.name.toLowerCase());
    sortByPath(mine);
    return c.json(await repositoriesJson(app, server, baseOf(app, c), paginate(c, mine, c.req.valid('query'))), 200);
  });

  api.openapi(listOrgRepos, async (c) => {
    const under = await reposOfOwner(app, c.var.subject, c.req.valid('param').org.replace(/\/+$/, ''));
    sortByPath(under);
    return c.json(await repositoriesJson(app, server, baseOf(app, c), paginate(c, under, c.req.valid('query'))), 200);
  });

  api.openapi(listUserRepos, async (c) => {
    const under = await reposOfOwner(app, c.var.subject, c.req.valid('param').username);
    sortByPath(under);
    return c.json(await repositoriesJson(app, server, baseOf(app, c), paginate(c, under, c.req.valid('query'))), 200);
  });

  api.openapi(getRepo, async (c) => {
    const { owner, repo } = c.req.valid('param');
    const found = await repoFor(app, c.var.subject, owner, repo, 'read');
    return c.json(await oneRepo(app, server, c, found), 200);
  });

  api.openapi(createUserRepo, async (c) => {
    const writer = requireWriter(c.var.subject);
    const body = c.req.valid('json');
    const created = await createRepo(app, writer, parseRepoPath(`${writer.user.name}/${body.name}`), body);
    return c.json(await oneRepo(app, server, c, created), 201);
  });

  api.openapi(createOrgRepo, async (c) => {
    const writer = requireWriter(c.var.subject);
    const body = c.req.valid('json');
    const created = await createRepo(app, writer, repoPathOf(c.req.valid('param').org, body.name), body);
    return c.json(await oneRepo(app, server, c, created), 201);
  });

  api.openapi(editRepo, async (c) => {
    requireWriter(c.var.subject);
    const { owner, repo } = c.req.valid('param');
    const found = await repoFor(app, c.var.subject, owner, repo, 'admin');
    const edit = c.req.valid('json');
    if (edit.default_branch !== undefined) await setDefaultBranch(app, found, edit.default_branch);
    if (edit.description !== undefined) await app.stores.repoDescriptions.set(found.repo.id, edit.description);
    let changed: Repo = found.repo;
    if (edit.name !== undefined && edit.name !== changed.path.slice(changed.path.lastIndexOf('/') + 1)) {
      const parent = ownerAndName(changed.path).owner;
      changed = await moveForSubject(app, c.var.subject, changed, parent === '' ? parseRepoPath(edit.name) : repoPathOf(parent, edit.name));
    }
    if (edit.private !== undefined && edit.private === found.repo.isPublic) {
      // Returns once the CDN and `ferry publish`, which read visibility from their own lookups, heard.
      changed = await app.repositories.setPublic(changed.path, !edit.private);
    }
    // A renamed repo is read in its new directory (the old one is gone: git there was a 500).
    const browser = changed.path === found.repo.path ? found.browser : app.browsers.for(changed, app.repositories.directoryOf(changed));
    return c.json(await oneRepo(app, server, c, { ...found, repo: changed, browser }), 200);
  });

  api.openapi(transferRepo, async (c) => {
    requireWriter(c.var.subject);
    const { owner, repo } = c.req.valid('param');
    const found = await repoFor(app, c.var.subject, owner, repo, 'admin');
    const body = c.req.valid('json');
    const moved = await moveForSubject(app, c.var.subject, found.repo, repoPathOf(body.new_owner, body.new_name ?? repo));
    const dir = app.repositories.directoryOf(moved);
    return c.json(await oneRepo(app, server, c, { repo: moved, level: await app.policy.levelOn(c.var.subject, moved), browser: app.browsers.for(moved, dir) }), 202);
  });

  api.openapi(deleteRepo, async (c) => {
    requireWriter(c.var.subject);
    const { owner, repo } = c.req.valid('param');
    const found = await repoFor(app, c.var.subject, owner, repo, 'admin');
    await app.repositories.remove(found.repo.path);
    return c.body(null, 204);
  });
};

function sortByPath(entries: { repo: Repo }[]): void {
  entries.sort((a, b) => (a.repo.path < b.repo.path ? -1 : a.repo.path > b.repo.path ? 1 : 0));
}

/** One repository as JSON, with the default branch as the web pages show it. */
async function oneRepo(app: App, server: ApiServer, c: Context<ApiEnv>, found: Pick<ApiRepo, 'repo' | 'level' | 'browser'>): Promise<z.infer<typeof RepositorySchema>> {
  const [json] = await repositoriesJson(app, server, baseOf(app, c), [found]);
  const result = json as z.infer<typeof RepositorySchema>;
  if (!result.empty) result.default_branch = (await found.browser.defaultBranch()) ?? result.default_branch;
  return result;
}

/**
 * Creates a repo for the API caller: the same rule as a create from a client (the policy's
 * canCreate: write on the path, e.g. one's own namespace or a granted group), private unless
 * `private: false`, a clash with a hidden repo not named.
 */
async function createRepo(app: App, subject: Subject & { kind: 'user' }, path: RepoPath, body: z.infer<typeof CreateRepoOption>): Promise<ApiRepo> {
  if (!(await app.policy.canCreate(subject, path))) {
    throw new FerryError('FERRY_ACCESS_DENIED', `${subject.user.name} may not create repositories at ${path}: ask an admin for write access to ${namespaceOf(path)}/ (ferry grant)`);
  }
  const branch = body.default_branch === undefined ? undefined : await checkDefaultBranch(app, body.vcs, body.default_branch);
  let repo = await createForSubject({ policy: app.policy, repositories: app.repositories, repos: app.stores.repos }, subject, path, body.vcs);
  if (!body.private) repo = await app.repositories.setPublic(repo.path, true);
  if (body.description) await app.stores.repoDescriptions.set(repo.id, body.description);
  const dir = app.repositories.directoryOf(repo);
  const found: ApiRepo = { repo, level: await app.policy.levelOn(subject, repo), dir, browser: app.browsers.for(repo, dir) };
  if (branch !== undefined) await pointHead(app, dir, branch);
  return found;
}

/**
 * git: points HEAD at an existing branch (`git symbolic-ref`); hg: the landing branch is always
 * `default` (what hg clone checks out), so only that is accepted.
 * @throws InvalidInputError FERRY_INVALID_INPUT for a branch that does not exist, or hg.
 */
async function setDefaultBranch(app: App, found: ApiRepo, branch: string): Promise<void> {
  if (found.repo.kind === 'hg') {
    if (branch === (await found.browser.defaultBranch())) return;
    throw new InvalidInputError(`an hg repository's default branch is the one hg clone checks out (${(await found.browser.defaultBranch()) ?? 'default'}); it cannot be changed here`);
  }
  const branches = await found.browser.branches();
  if (!branches.some((b) => b.name === branch)) throw new InvalidInputError(`no branch ${branch} in ${found.repo.path}: push it first, or name one of ${branches.map((b) => b.name).slice(0, 10).join(', ') || '(none yet)'}`);
  await pointHead(app, found.dir, branch);
  await app.events.emitChanged({ repo: found.repo, cause: 'admin' });
}

/**
 * The `default_branch` of a create, checked before anything is made: git takes any valid branch
 * name (git check-ref-format); hg only `default`, the branch `hg clone` checks out (hg has no
 * per-repo default branch to set). Returns the git branch to point HEAD at, or undefined for hg.
 * @throws InvalidInputError FERRY_INVALID_INPUT saying what to send.
 */
async function checkDefaultBranch(app: App, vcs: 'hg' | 'git', branch: string): Promise<string | undefined> {
  if (vcs === 'hg') {
    if (branch === 'default') return undefined;
    throw new InvalidInputError(`json.default_branch: an hg repository's default branch is always "default" (what hg clone checks out); leave default_branch out or send "default"`);
  }
  await checkGitBranchName(app, branch);
  return branch;
}

/** @throws InvalidInputError when `branch` is no valid git branch name (git check-ref-format). */
async function checkGitBranchName(app: App, branch: string): Promise<void> {
  const check = await runProcess(app.git.executable, ['check-ref-format', `refs/heads/${branch}`], { env: app.git.env, allowFailure: true });
  if (check.code !== 0) throw new InvalidInputError(`json.default_branch: ${JSON.stringify(branch)} is not a valid git branch name (git check-ref-format)`);
}

async function pointHead(app: App, dir: string, branch: string): Promise<void> {
  const ref = `refs/heads/${branch}`;
  await checkGitBranchName(app, branch);
  await runProcess(app.git.executable, ['-C', dir, 'symbolic-ref', '-m', 'ferry: default branch set through the API', 'HEAD', ref], { env: app.git.env });
}
