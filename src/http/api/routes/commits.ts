import { createRoute, z } from '@hono/zod-openapi';
import type { Repo } from '../../../store/types.js';
import type { CommitChanges, CommitInfo } from '../../../vcs/browse.js';
import type { ApiModule } from '../env.js';
import { PageQuery, setPageHeaders } from '../paginate.js';
import { baseOf, repoApiUrl } from '../present.js';
import { repoFor } from '../repo-access.js';
import { resolveRef } from '../refs.js';
import { CommitSchema, errorResponses, jsonOf, RepoParams } from '../schemas.js';
import { NotFoundError } from '../../../domain/errors.js';
import { queryBool } from '../query.js';
import type { Subject } from '../../../access/subject.js';
import { displayName } from '../../../domain/byte-names.js';

type CommitJson = z.infer<typeof CommitSchema>;

const CommitsQuery = PageQuery.extend({
  sha: z.string().max(255).optional().openapi({ description: 'branch, tag or commit to list from (default: the default branch)' }),
  files: queryBool('list the files each commit changed (default true, as Gitea)'),
  stat: queryBool('count added and removed lines (default true, as Gitea)'),
});
const ShaParams = RepoParams.extend({ sha: z.string().min(1).max(255).openapi({ param: { name: 'sha', in: 'path' }, description: 'a commit id (full or short), branch or tag' }) });

const listCommits = createRoute({
  method: 'get',
  path: '/repos/{owner}/{repo}/commits',
  tags: ['repository'],
  summary: 'Commits (git) or changesets (hg), newest first',
  request: { params: RepoParams, query: CommitsQuery },
  responses: { 200: jsonOf(z.array(CommitSchema), 'a page of commits'), ...errorResponses },
});
const getCommit = createRoute({
  method: 'get',
  path: '/repos/{owner}/{repo}/git/commits/{sha}',
  tags: ['repository'],
  summary: 'One commit with the files it changed',
  request: { params: ShaParams },
  responses: { 200: jsonOf(CommitSchema, 'the commit'), ...errorResponses },
});
const getCommitShort = createRoute({ ...getCommit, path: '/repos/{owner}/{repo}/commits/{sha}', summary: 'One commit with the files it changed (same as git/commits/{sha})' });

/** `GET /repos/{o}/{r}/commits`, `/commits/{sha}` and `/git/commits/{sha}`. */
export const commitsApi: ApiModule = (api, app) => {
  api.openapi(listCommits, async (c) => {
    const { owner, repo } = c.req.valid('param');
    const query = c.req.valid('query');
    const found = await repoFor(app, c.var.subject, owner, repo, 'read');
    const { id } = await resolveRef(found.repo, found.browser, query.sha);
    const log = await found.browser.log({ ref: id, offset: (query.page - 1) * query.limit, limit: query.limit + 1 });
    setPageHeaders(c, query, { hasMore: log.length > query.limit });
    const base = baseOf(app, c);
    const withFiles = query.files ?? true;
    const withStat = query.stat ?? true;
    const shown = log.slice(0, query.limit);
    // What every commit on the page changed, in one hg/git call (not a diff per commit).
    const changes = withFiles || withStat ? await found.browser.changes(shown.map((info) => info.id)) : new Map<string, CommitChanges>();
    const commits = shown.map((info) => commitJson(base, found.repo, info, changes.get(info.id), { files: withFiles, stat: withStat }));
    return c.json(commits, 200);
  });

  const one = async (subject: Subject, base: string, params: z.infer<typeof ShaParams>): Promise<CommitJson> => {
    const found = await repoFor(app, subject, params.owner, params.repo, 'read');
    const { id } = await resolveRef(found.repo, found.browser, params.sha);
    const info = await found.browser.commit(id);
    if (!info) throw new NotFoundError(`no commit ${params.sha} in ${found.repo.path}`);
    return commitJson(base, found.repo, info, (await found.browser.changes([info.id])).get(info.id), { files: true, stat: true });
  };
  api.openapi(getCommit, async (c) => c.json(await one(c.var.subject, baseOf(app, c), c.req.valid('param')), 200));
  api.openapi(getCommitShort, async (c) => c.json(await one(c.var.subject, baseOf(app, c), c.req.valid('param')), 200));
};

/** Ferry's change statuses in Gitea's words (CommitAffectedFiles.status). */
const GITEA_STATUS: Record<CommitChanges['files'][number]['status'], 'added' | 'removed' | 'modified' | 'renamed'> = { added: 'added', copied: 'added', deleted: 'removed', modified: 'modified', renamed: 'renamed' };

/**
 * A commit or changeset as Gitea's Commit; `files` and `stats` from what it changed against its
 * first parent (`RepoBrowser.changes`; none known: empty).
 */
export function commitJson(base: string, repo: Repo, info: CommitInfo, changes: CommitChanges | undefined, options: { files: boolean; stat: boolean }): CommitJson {
  const apiUrl = repoApiUrl(base, repo);
  const who = { name: displayName(info.author), email: displayName(info.email), date: info.date };
  const json: CommitJson = {
    url: `${apiUrl}/git/commits/${info.id}`,
    sha: info.id,
    html_url: `${base}/${repo.path}/-/commit/${info.id}`,
    created: info.date,
    commit: { url: `${apiUrl}/git/commits/${info.id}`, message: displayName(info.message), author: who, committer: who, tree: { sha: info.id, url: `${apiUrl}/git/trees/${info.id}` } },
    author: null,
    committer: null,
    parents: info.parents.map((p) => ({ url: `${apiUrl}/git/commits/${p}`, sha: p })),
  };
  if (options.files) json.files = (changes?.files ?? []).map((f) => ({ filename: displayName(f.path), status: GITEA_STATUS[f.status] }));
  if (options.stat) {
    const additions = changes?.additions ?? 0;
    const deletions = changes?.deletions ?? 0;
    json.stats = { total: additions + deletions, additions, deletions };
  }
  return json;
}
