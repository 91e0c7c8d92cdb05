import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import type { App } from '../main.js';
import { createHttpServer } from '../http/server.js';
import { healthRoute } from '../http/routes/health.js';
import type { HttpRoute } from '../http/route.js';
import { mirrorWebhookRoute } from '../http/routes/mirror-webhook.js';
import { MirrorScheduler } from '../mirrors/scheduler.js';

export interface RunningServer {
  readonly httpPort: number;
  /** Stops accepting, lets transfers in flight finish (bounded by `graceMs`), then closes. */
  stop(graceMs: number): Promise<void>;
}

/** Every HTTP route, in the order they are asked. */
export function httpRoutes(app: App): HttpRoute[] {
  return [healthRoute(), mirrorWebhookRoute(app.mirrors)];
}

export async function startServers(app: App): Promise<RunningServer> {
  const http = createHttpServer(httpRoutes(app), app.log);
  http.listen(app.config.http.port, app.config.http.listen);
  await once(http, 'listening');
  const httpPort = (http.address() as AddressInfo).port;
  const scheduler = new MirrorScheduler(app.mirrors, app.config.mirrors.concurrency);
  scheduler.start();
  return {
    httpPort,
    async stop(graceMs) {
      const mirrorsStopped = scheduler.stop();
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      const timer = setTimeout(() => http.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
      await mirrorsStopped;
    },
  };
}
