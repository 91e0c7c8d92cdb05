import type { Server } from 'node:http';
import type { Logger } from '../log/logger.js';
import { requestIdFrom, withLogContext } from '../log/context.js';
import { sendError, statusOf } from './errors.js';
import type { HttpRoute } from './route.js';
import { createBoundedServer, type HttpTimeouts } from './connection-limits.js';

/**
 * Dispatches each request to the first route that takes it; errors meet one edge here. Each
 * request runs with its request id (the client's `X-Request-Id`, or a new one, echoed in the
 * answer) so every log line it causes carries it.
 */
export function createHttpServer(routes: readonly HttpRoute[], log: Logger, timeouts: HttpTimeouts): Server {
  return createBoundedServer(timeouts, (req, res) => {
    const reqId = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('X-Request-Id', reqId);
    withLogContext({ reqId }, () => {
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://ferry.invalid');
      } catch {
        res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('malformed request URL\n');
        return;
      }
      const started = process.hrtime.bigint();
      log.debug({ method: req.method, path: url.pathname }, 'http request');
      res.once('finish', () => {
        log.info({ reqId, method: req.method, path: url.pathname, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'http request done');
      });
      void dispatch(routes, req, res, url).catch((err: unknown) => {
        if (statusOf(err) === 500) log.error({ err, url: url.pathname }, 'http request failed');
        sendError(res, err, { url });
      });
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
