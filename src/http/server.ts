import { createServer, type Server } from 'node:http';
import type { Logger } from '../log/logger.js';
import { MAX_REQUEST_HEAD_BYTES } from './limits.js';
import { sendError, statusOf } from './errors.js';
import type { HttpRoute } from './route.js';

/** Dispatches each request to the first route that takes it; errors meet one edge here. */
export function createHttpServer(routes: readonly HttpRoute[], log: Logger): Server {
  const server = createServer({ maxHeaderSize: MAX_REQUEST_HEAD_BYTES }, (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://ferry.invalid');
    } catch {
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('malformed request URL\n');
      return;
    }
    void dispatch(routes, req, res, url).catch((err: unknown) => {
      if (statusOf(err) === 500) log.error({ err, url: url.pathname }, 'http request failed');
      sendError(res, err);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // A push may upload for longer than Node's default 5 minutes; headersTimeout still bounds slow headers.
  server.requestTimeout = 0;
  return server;
}

async function dispatch(routes: readonly HttpRoute[], req: Parameters<HttpRoute['handle']>[0], res: Parameters<HttpRoute['handle']>[1], url: URL): Promise<void> {
  for (const route of routes) {
    if (await route.handle(req, res, url)) return;
  }
  const body = 'not found\n';
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length, 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}
