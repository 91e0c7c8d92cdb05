import { z } from '@hono/zod-openapi';

/** Every error answer: the FERRY_* code (docs/errors.md) and a one-line message. */
export const ErrorSchema = z
  .object({ error: z.object({ code: z.string().openapi({ example: 'FERRY_REPO_NOT_FOUND' }), message: z.string() }) })
  .openapi('Error');

/** The `default` response every route documents. */
export const errorResponses = {
  default: { description: 'an error: `{"error":{"code","message"}}` with the status of docs/errors.md', content: { 'application/json': { schema: ErrorSchema } } },
} as const;

/** `{owner}` and `{repo}` path parameters (owner URL-encoded when it holds slashes). */
export const RepoParams = z.object({
  owner: z.string().min(1).openapi({ param: { name: 'owner', in: 'path' }, description: 'repo path minus its last segment, URL-encoded (team%2Fweb)', example: 'alice' }),
  repo: z.string().min(1).openapi({ param: { name: 'repo', in: 'path' }, description: 'last segment of the repo path', example: 'app' }),
});

/** A JSON body answer of `schema`, for a route's `responses`. */
export function jsonOf<T extends z.ZodType>(schema: T, description: string): { description: string; content: { 'application/json': { schema: T } } } {
  return { description, content: { 'application/json': { schema } } };
}
