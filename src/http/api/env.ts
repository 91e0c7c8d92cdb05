import type { HttpBindings } from '@hono/node-server';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Subject } from '../../access/subject.js';
import type { App } from '../../main.js';

/**
 * What every API handler sees: node's request and response (Bindings), and the Subject the
 * request authenticated as (set by the auth middleware before any route runs).
 */
export type ApiEnv = {
  Bindings: HttpBindings;
  Variables: {
    readonly subject: Subject;
    /** True when the subject came from the web session cookie (writes then need the CSRF token). */
    readonly viaSession: boolean;
  };
};

/** The router every API module registers its routes on (mounted at `/api/v1`). */
export type ApiRouter = OpenAPIHono<ApiEnv>;

/**
 * One area of the API (repos, users, statuses, hooks…): registers its routes with
 * `api.openapi(createRoute({...}), handler)` so each is validated and documented.
 * Listed in src/http/api/modules.ts.
 */
export type ApiModule = (api: ApiRouter, app: App, server: ApiServer) => void;

/** Facts of the running server a module may need (ports are known only once it listens). */
export interface ApiServer {
  /** The SSH port clients reach (for `ssh_url`). */
  sshPort(): number;
}
