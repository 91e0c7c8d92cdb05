import type { Server, ServerResponse } from 'node:http';
import type { Metrics } from '../metrics/registry.js';
import type { HttpRoute } from './route.js';

const areaOf = new WeakMap<ServerResponse, string>();

/** Wraps routes so each finished response is counted under the name of the route that took it. */
export function instrumentRoutes(routes: readonly HttpRoute[]): HttpRoute[] {
  return routes.map((route) => ({
    name: route.name,
    async handle(req, res, url) {
      // Set before: a route may finish the response before its promise settles. A route that
      // declines has written nothing, so the mark is simply taken back.
      areaOf.set(res, route.name);
      const handled = await route.handle(req, res, url);
      if (!handled) areaOf.delete(res);
      return handled;
    },
  }));
}

/** Counts every response of `server` when it finishes (area `none` when no route took it). */
export function countResponses(server: Server, metrics: Metrics): void {
  server.on('request', (_req, res: ServerResponse) => {
    res.once('finish', () => metrics.httpRequest(areaOf.get(res) ?? 'none', res.statusCode));
  });
}
