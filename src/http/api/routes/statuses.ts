import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { combinedState, type CommitStatus } from '../../../store/repo-meta.js';
import type { Repo } from '../../../store/types.js';
import { requireWriter } from '../auth.js';
import type { ApiEnv, ApiModule } from '../env.js';
import { PageQuery, paginate } from '../paginate.js';
import { baseOf, repoApiUrl, repositoriesJson } from '../present.js';
import { resolveRef } from '../refs.js';
import { repoFor } from '../repo-access.js';
import { CombinedStatusSchema, CommitStatusSchema, errorResponses, jsonOf, oneLineText, RepoParams, StatusStateSchema } from '../schemas.js';

/** Only http(s) links: a status's link is shown on the commit page. */
const TargetUrl = z.union([z.literal(''), z.url({ protocol: /^https?$/, hostname: z.regexes.hostname }).max(2048)]);

const CreateStatusOption = z
  .object({
    state: StatusStateSchema,
    target_url: TargetUrl.optional().openapi({ description: 'an http(s) link to the build', example: 'https://ci.example.com/build/42' }),
    description: z.string().max(1024).optional(),
    context: oneLineText(255).optional().openapi({ description: 'what reports (one status per context and commit; default "default")', example: 'ci/build' }),
  })
  .openapi('CreateStatusOption');

const ShaParams = RepoParams.extend({ sha: z.string().min(1).max(255).openapi({ param: { name: 'sha', in: 'path' }, description: 'a commit id (full or short), branch or tag' }) });
const RefParams = RepoParams.extend({ ref: z.string().min(1).max(255).openapi({ param: { name: 'ref', in: 'path' }, description: 'a commit id, branch or tag; URL-encode slashes' }) });

const createStatus = createRoute({
  method: 'post',
  path: '/repos/{owner}/{repo}/statuses/{sha}',
  tags: ['repository'],
  summary: 'Report a commit status (needs write access)',
  request: { params: ShaParams, body: { content: { 'application/json': { schema: CreateStatusOption } }, required: true } },
  responses: { 201: jsonOf(CommitStatusSchema, 'the status recorded'), ...errorResponses },
});
const listStatuses = createRoute({
  method: 'get',
  path: '/repos/{owner}/{repo}/statuses/{sha}',
  tags: ['repository'],
  summary: "A commit's statuses, newest first",
  request: { params: ShaParams, query: PageQuery },
  responses: { 200: jsonOf(z.array(CommitStatusSchema), 'a page of statuses'), ...errorResponses },
});
const listRefStatuses = createRoute({ ...listStatuses, path: '/repos/{owner}/{repo}/commits/{ref}/statuses', request: { params: RefParams, query: PageQuery } });
const combined = createRoute({
  method: 'get',
  path: '/repos/{owner}/{repo}/commits/{ref}/status',
  tags: ['repository'],
  summary: "A commit's combined status (the worst state of its latest statuses)",
  request: { params: RefParams, query: PageQuery },
  responses: { 200: jsonOf(CombinedStatusSchema, 'the combined status'), ...errorResponses },
});

/** Commit statuses (Gitea's shapes): CI posts them, the web commit page shows them. */
export const statusesApi: ApiModule = (api, app, server) => {
  api.openapi(createStatus, async (c) => {
    const { owner, repo, sha } = c.req.valid('param');
    const writer = requireWriter(c.var.subject);
    const found = await repoFor(app, writer, owner, repo, 'write');
    const { id } = await resolveRef(found.repo, found.browser, sha);
    const body = c.req.valid('json');
    const status = await app.stores.commitStatuses.set(found.repo.id, id, {
      context: body.context || 'default',
      state: body.state,
      description: body.description ?? '',
      targetUrl: body.target_url ?? '',
      creatorId: writer.user.id,
    });
    return c.json(statusJson(baseOf(app, c), found.repo, status), 201);
  });

  const list = async (c: Context<ApiEnv>, owner: string, repo: string, ref: string, page: z.infer<typeof PageQuery>) => {
    const found = await repoFor(app, c.var.subject, owner, repo, 'read');
    const { id } = await resolveRef(found.repo, found.browser, ref);
    return paginate(c, await app.stores.commitStatuses.forCommit(found.repo.id, id), page).map((s) => statusJson(baseOf(app, c), found.repo, s));
  };
  api.openapi(listStatuses, async (c) => c.json(await list(c, c.req.valid('param').owner, c.req.valid('param').repo, c.req.valid('param').sha, c.req.valid('query')), 200));
  api.openapi(listRefStatuses, async (c) => c.json(await list(c, c.req.valid('param').owner, c.req.valid('param').repo, c.req.valid('param').ref, c.req.valid('query')), 200));

  api.openapi(combined, async (c) => {
    const { owner, repo, ref } = c.req.valid('param');
    const found = await repoFor(app, c.var.subject, owner, repo, 'read');
    const { id } = await resolveRef(found.repo, found.browser, ref);
    const all = await app.stores.commitStatuses.forCommit(found.repo.id, id);
    const [repository] = await repositoriesJson(app, server, baseOf(app, c), [found]);
    const apiUrl = repoApiUrl(baseOf(app, c), found.repo);
    return c.json(
      {
        state: combinedState(all),
        sha: id,
        total_count: all.length,
        statuses: paginate(c, all, c.req.valid('query')).map((s) => statusJson(baseOf(app, c), found.repo, s)),
        repository: repository as NonNullable<typeof repository>,
        commit_url: `${apiUrl}/git/commits/${id}`,
        url: `${apiUrl}/commits/${id}/status`,
      },
      200,
    );
  });
};

function statusJson(base: string, repo: Repo, s: CommitStatus): z.infer<typeof CommitStatusSchema> {
  return {
    id: s.id,
    state: s.state,
    target_url: s.targetUrl,
    description: s.description,
    context: s.context,
    url: `${repoApiUrl(base, repo)}/statuses/${s.sha}`,
    creator: s.creator ? { id: s.creator.id, login: s.creator.name, login_name: s.creator.name, username: s.creator.name, full_name: '', email: '', avatar_url: '', html_url: '', is_admin: false, created: '' } : null,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  };
}
