import type { Context } from 'hono';
import type { ZodError } from 'zod';
import { HTTPException } from 'hono/http-exception';
import { FerryError, InvalidInputError, NotFoundError, RepoMovedError } from '../../domain/errors.js';
import { apiErrorBody, movedLocation, statusOf } from '../errors.js';
import type { ApiEnv } from './env.js';

/**
 * The API's one error edge: any thrown value becomes `{"error":{"code","message"}}` with the
 * status of the error registry (src/http/errors.ts). Unknown errors are 500 FERRY_INTERNAL with
 * no detail (logged by the caller). A moved repo answers 301 (GET/HEAD) or 308 (other methods,
 * which keeps the method and body) to the same URL under its new path.
 */
export function apiErrorResponse(thrown: unknown, c: Context<ApiEnv>): Response {
  const err = fromHono(thrown, c);
  const status = statusOf(err, c.req.method);
  const code = err instanceof FerryError ? err.code : 'FERRY_INTERNAL';
  const message = status === 500 ? 'internal error; the server log has details' : (err as Error).message;
  const headers: Record<string, string> = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };
  if (err instanceof RepoMovedError) headers.Location = movedLocation(err, new URL(c.req.url));
  if (code === 'FERRY_AUTH_REQUIRED') headers['WWW-Authenticate'] = 'Basic realm="Ferry", charset="UTF-8"';
  return new Response(`${JSON.stringify(apiErrorBody(code, message, c.req.url))}\n`, {
    status,
    headers: { ...headers, 'Content-Type': 'application/json; charset=utf-8' },
  });
}

/**
 * Hono's own refusals (HTTPException: a JSON body that does not parse, a body whose Content-Type
 * the route does not take) are the client's fault: 400 with what to send, not 500.
 */
function fromHono(err: unknown, c: Context<ApiEnv>): unknown {
  if (!(err instanceof HTTPException) || err.status >= 500) return err;
  const type = c.req.header('content-type');
  const hint = type === undefined || !/^application\/json\b/i.test(type) ? 'send the body as JSON with Content-Type: application/json' : 'the JSON body does not parse';
  return new InvalidInputError(`${hint}; see /api/v1/openapi.json for the expected shape`);
}

/** The answer for a URL no API route takes. */
export function apiNotFound(c: Context<ApiEnv>): Response {
  return apiErrorResponse(new NotFoundError(`no API endpoint ${c.req.method} ${new URL(c.req.url).pathname}; see /api/v1/openapi.json`), c);
}

/** How each JSON type is written, for a refusal of a value of the wrong type. */
const JSON_EXAMPLES: Record<string, string> = {
  boolean: 'true or false, without quotes',
  number: 'digits, without quotes',
  string: 'text in double quotes',
  array: 'a list in [ ]',
  object: 'an object in { }',
};

/**
 * The schema validators' verdict as a Ferry error: one line naming the first bad field and what
 * it should be (`json.private: send a JSON boolean (true or false, without quotes)`).
 * Used as OpenAPIHono's defaultHook, so no route answers with the library's own error shape.
 */
export function validationHook(result: { success: true } | { success: false; error: ZodError; target?: string }): void {
  if (result.success) return;
  const issue = result.error.issues[0];
  const where = [result.target, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
  const type = issue !== undefined && issue.code === 'invalid_type' && result.target === 'json' ? String(issue.expected) : undefined;
  const example = type === undefined ? undefined : JSON_EXAMPLES[type];
  const message = example === undefined ? (issue?.message ?? 'invalid') : `send a JSON ${type} (${example})`;
  throw new InvalidInputError(`${where || 'request'}: ${message}; see /api/v1/openapi.json for the expected shape`);
}
