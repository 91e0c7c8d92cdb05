import { OpenAPIHono } from '@hono/zod-openapi';
import { FerryError } from '../../domain/errors.js';
import type { App } from '../../main.js';
import { statusOf } from '../errors.js';
import { accessFirst } from './access-first.js';
import { apiAuth } from './auth.js';
import type { ApiEnv, ApiRouter, ApiServer } from './env.js';
import { apiErrorResponse, apiNotFound, validationHook } from './errors.js';
import { API_MODULES } from './modules.js';

/** Where the API is mounted on Ferry's HTTP server (DESIGN.md). */
export const API_BASE = '/api/v1';

const MAX_BODY = 1024 * 1024;

/** What the OpenAPI document says about the API as a whole. */
export const OPENAPI_INFO = {
  openapi: '3.0.3',
  info: {
    title: 'Ferry API',
    version: '1',
    description: 'A subset of the Gitea API (https://gitea.com/api/swagger) for Ferry, a code host for Mercurial and Git. Owners are repo paths minus their last segment, URL-encoded.',
  },
  security: [{ token: [] }, { basic: [] }],
} as const;

/**
 * Builds the REST API: every route validated and documented from its zod schemas
 * (@hono/zod-openapi), every request authenticated (apiAuth), every error shaped by
 * apiErrorResponse. `/openapi.json` serves the generated document.
 */
export function createApi(app: App, server: ApiServer = { sshPort: () => app.config.ssh.port }): ApiRouter {
  const api = new OpenAPIHono<ApiEnv>({ defaultHook: (result) => validationHook(result) }).basePath(API_BASE) as unknown as ApiRouter;
  api.onError((err, c) => {
    if (statusOf(err) === 500) app.log.error({ err, url: c.req.path }, 'api request failed');
    return apiErrorResponse(err, c);
  });
  api.notFound((c) => apiNotFound(c));
  api.openAPIRegistry.registerComponent('securitySchemes', 'token', { type: 'apiKey', in: 'header', name: 'Authorization', description: '`token T` or `Bearer T` with a Ferry token (ferry token add USER)' });
  api.openAPIRegistry.registerComponent('securitySchemes', 'basic', { type: 'http', scheme: 'basic' });
  // Server time of every answer (W3C Server Timing), auth included: what bench/api.ts reads.
  api.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    c.res.headers.set('Server-Timing', `app;dur=${(performance.now() - started).toFixed(2)}`);
  });
  // No API body is large (a key, a status, a repo's settings): 1 MB bounds what is read.
  api.use('*', async (c, next) => {
    const length = c.req.header('content-length');
    if (length !== undefined && Number(length) > MAX_BODY) throw new FerryError('FERRY_TOO_LARGE', 'API request bodies are at most 1 MB');
    if (length === undefined && c.req.header('transfer-encoding') !== undefined) throw new FerryError('FERRY_INVALID_INPUT', 'send the API request body with a Content-Length');
    await next();
  });
  api.use('*', apiAuth(app));
  // Who may call a route is decided before its schemas validate the request (401, 404, 403, then 400).
  api.use('*', accessFirst(app));
  for (const register of API_MODULES) register(api, app, server);
  api.get('/openapi.json', (c) => c.json(openApiDocument(api)));
  return api;
}

/** The OpenAPI 3.0 document generated from the registered routes' schemas. */
export function openApiDocument(api: ApiRouter): ReturnType<ApiRouter['getOpenAPIDocument']> {
  return api.getOpenAPIDocument(OPENAPI_INFO as unknown as Parameters<ApiRouter['getOpenAPIDocument']>[0]);
}
