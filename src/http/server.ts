import type { Server } from 'node:http';
import type { Logger } from '../log/logger.js';
import { sendError, statusOf } from './errors.js';
import type { HttpRoute } from './route.js';
import { createBoundedServer, type HttpTimeouts } from './connection-limits.js';

/** Dispatches each request to the first route that takes it; errors meet one edge here. */
export function createHttpServer(routes: readonly HttpRoute[], log: Logger, timeouts: HttpTimeouts): Server {
  return createBoundedServer(timeouts, (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://ferry.invalid');
    } catch {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('malformed request URL\n');
      return;
    }
    void dispatch(routes, req, res, url).catch((err: unknown) => {
      if (statusOf(err) === 500) log.error({ err, url: url.pathname }, 'http request failed');
      sendError(res, err, { url });
    });
  });
}

async function dispatch(routes: readonly HttpRoute[], req: Parameters<HttpRoute['handle']>[0], res: Parameters<HttpRoute['handle']>[1], url: URL): Promise<void> {
  for (const route of routes) {
    if (await route.handle(req, res, url)) return;
  }
  const body = 'not found\n';
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length, 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}
