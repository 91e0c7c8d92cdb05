import { createRoute } from '@hono/zod-openapi';
import { NotFoundError } from '../../../domain/errors.js';
import { requireWriter } from '../auth.js';
import type { ApiModule } from '../env.js';
import { repoFor } from '../repo-access.js';
import { errorResponses, RepoParams } from '../schemas.js';

const mirrorSync = createRoute({
  method: 'post',
  path: '/repos/{owner}/{repo}/mirror-sync',
  tags: ['repository'],
  summary: 'Ask a pull mirror to sync now (needs write access); the sync runs in the background',
  request: { params: RepoParams },
  responses: { 200: { description: 'sync queued' }, ...errorResponses },
});

/** `POST /repos/{o}/{r}/mirror-sync`, as Gitea's. */
export const mirrorsApi: ApiModule = (api, app) => {
  api.openapi(mirrorSync, async (c) => {
    const { owner, repo } = c.req.valid('param');
    const writer = requireWriter(c.var.subject);
    const found = await repoFor(app, writer, owner, repo, 'write');
    const mirror = await app.mirrors.byPath(found.repo.path);
    if (!mirror) throw new NotFoundError(`${found.repo.path} is not a mirror: ferry import URL PATH --mirror makes one`);
    app.mirrors.requestSync(mirror);
    return c.body(null, 200);
  });
};
