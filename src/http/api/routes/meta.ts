import { createRoute, z } from '@hono/zod-openapi';
import type { ApiModule } from '../env.js';
import { ErrorSchema } from '../schemas.js';
import { FERRY_VERSION } from '../version.js';

const ServerVersion = z.object({ version: z.string() }).openapi('ServerVersion');

const getVersion = createRoute({
  method: 'get',
  path: '/version',
  tags: ['miscellaneous'],
  summary: "Ferry's version (Gitea clients read it first)",
  responses: { 200: { description: 'the version', content: { 'application/json': { schema: ServerVersion } } }, default: { description: 'an error', content: { 'application/json': { schema: ErrorSchema } } } },
});

/** `GET /version`. */
export const metaApi: ApiModule = (api) => {
  api.openapi(getVersion, (c) => c.json({ version: FERRY_VERSION }, 200));
};
