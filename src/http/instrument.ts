import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Metrics } from '../metrics/registry.js';
import type { HttpRoute } from './route.js';

const areaOf = new WeakMap<ServerResponse, string>();
/** Socket byte counts already attributed to earlier requests on the same keep-alive connection. */
const counted = new WeakMap<Socket, { read: number; written: number }>();

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

/**
 * Counts every response of `server` when it finishes, by area (the route kind, `none` when no route
 * took it — never the raw path): status, duration (a histogram) and the bytes its connection moved
 * since the previous request on it.
 */
export function countResponses(server: Server, metrics: Metrics): void {
  server.on('request', (req, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      metrics.httpRequest(areaOf.get(res) ?? 'none', res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
      const socket = req.socket;
      const before = counted.get(socket) ?? { read: 0, written: 0 };
      const now = { read: socket.bytesRead, written: socket.bytesWritten };
      counted.set(socket, now);
      metrics.transferBytes('http', now.read - before.read, now.written - before.written);
    });
  });
}
