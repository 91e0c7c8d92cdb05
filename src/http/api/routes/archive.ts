import { createRoute, z } from '@hono/zod-openapi';
import { InvalidInputError } from '../../../domain/errors.js';
import { archiveStream, type ArchiveFormat } from '../../../vcs/archive-stream.js';
import type { ApiModule } from '../env.js';
import { ownerAndName, repoFor } from '../repo-access.js';
import { resolveRef } from '../refs.js';
import { errorResponses, RepoParams } from '../schemas.js';

const ArchiveParams = RepoParams.extend({
  archive: z.string().min(1).max(300).openapi({ param: { name: 'archive', in: 'path' }, description: 'REF.tar.gz or REF.zip (URL-encode slashes in REF)', example: 'v1.0.tar.gz' }),
});

const getArchive = createRoute({
  method: 'get',
  path: '/repos/{owner}/{repo}/archive/{archive}',
  tags: ['repository'],
  summary: 'An archive of the files at a ref (streamed)',
  request: { params: ArchiveParams },
  responses: {
    200: {
      description: 'the archive',
      content: { 'application/gzip': { schema: z.string().openapi({ format: 'binary' }) }, 'application/zip': { schema: z.string().openapi({ format: 'binary' }) } },
    },
    ...errorResponses,
  },
});

/** `GET /repos/{o}/{r}/archive/{ref}.tar.gz|.zip`, made by `git archive` / `hg archive` and streamed. */
export const archiveApi: ApiModule = (api, app) => {
  api.openapi(getArchive, async (c) => {
    const { owner, repo, archive } = c.req.valid('param');
    const format: ArchiveFormat | undefined = archive.endsWith('.tar.gz') ? 'tar.gz' : archive.endsWith('.zip') ? 'zip' : undefined;
    if (!format) throw new InvalidInputError('ask for REF.tar.gz or REF.zip');
    const found = await repoFor(app, c.var.subject, owner, repo, 'read');
    const { ref, id } = await resolveRef(found.repo, found.browser, archive.slice(0, -(format.length + 1)));
    const prefix = `${ownerAndName(found.repo.path).name}-${ref.replace(/[^A-Za-z0-9._-]/g, '-')}`;
    const vcs = found.repo.kind === 'hg' ? app.hg : app.git;
    const stream = await archiveStream({ kind: found.repo.kind, executable: vcs.executable, env: vcs.env, dir: found.dir, id, format, prefix });
    return new Response(stream, {
      status: 200,
      headers: {
        'Content-Type': format === 'zip' ? 'application/zip' : 'application/gzip',
        'Content-Disposition': `attachment; filename="${prefix}.${format}"`,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': /^[0-9a-f]{40,64}$/.test(ref) ? 'public, max-age=31536000, immutable' : 'no-cache',
      },
    });
  });
};
