import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AccessLevel } from '../../domain/access-level.js';
import type { RepoPath } from '../../domain/repo-path.js';
import type { App } from '../../main.js';
import { requireUser, requireWriter } from './auth.js';
import type { ApiEnv } from './env.js';
import { repoPathOf } from './repo-access.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** A route under one repo, as Hono spells the templates (`{owner}` → `:owner`), after the base path. */
const REPO_ROUTE = /^\/api\/v1\/repos\/:owner\/:repo(\/.*)?$/;
/** Routes about the signed-in user (`/user`, `/user/keys/{id}`, `/user/repos`): a user to read them too. */
const USER_ROUTE = /^\/api\/v1\/user(\/|$)/;

/**
 * Decides who may call an API route before its request is validated, in the order Gitea and
 * GitHub answer: authentication (401), then the repo's existence and visibility to the caller
 * (404, or 301 for a moved repo), then authorization (403), and only then the route's schemas
 * (400 from validationHook). Without it @hono/zod-openapi's validators, which run before the
 * handler, told an anonymous caller or a stranger 400 about a body for a repo they may not touch.
 *
 * Registered once, before every route (src/http/api/create.ts); the route's handler still asks the
 * access policy itself (repoFor, requireWriter): this only moves the refusals ahead of validation.
 * Rules: a write (any method but GET/HEAD/OPTIONS) needs a signed-in user; a route under
 * `/repos/{owner}/{repo}` needs read access to read, write access to write, and admin access for
 * webhooks and the repo's settings, rename, transfer and deletion (as the handlers ask); other
 * writes (`/user/keys`, `/user/repos`) need a token that may write, and reads of `/user…` a user.
 */
export function accessFirst(app: App): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const route = matchedRoutes(c).find((r) => r.method !== 'ALL');
    if (!route) return next();
    const method = c.req.method.toUpperCase();
    const write = !SAFE_METHODS.has(method);
    const subject = c.var.subject;
    const repoRoute = REPO_ROUTE.exec(route.path);
    if (!repoRoute) {
      if (write) requireWriter(subject);
      else if (USER_ROUTE.test(route.path)) requireUser(subject);
      return next();
    }
    if (write) requireUser(subject);
    const segments = new URL(c.req.url).pathname.split('/');
    let owner: string;
    let name: string;
    try {
      owner = decodeURIComponent(segments[4] ?? '');
      name = decodeURIComponent(segments[5] ?? '');
    } catch {
      return next(); // a malformed escape: the route's validation says so
    }
    let path: RepoPath;
    try {
      path = repoPathOf(owner, name);
    } catch {
      return next(); // not a repo path: the route's validation says so
    }
    await app.policy.authorize(subject, path, levelFor(method, repoRoute[1] ?? ''));
    return next();
  };
}

/** The level a repo route needs: `rest` is the template after `/repos/:owner/:repo`. */
function levelFor(method: string, rest: string): Exclude<AccessLevel, 'none'> {
  if (rest === '/hooks' || rest.startsWith('/hooks/')) return 'admin';
  if (SAFE_METHODS.has(method)) return 'read';
  if (rest === '' || rest === '/transfer') return 'admin';
  return 'write';
}
