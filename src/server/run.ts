import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import type { App } from '../main.js';
import { createHttpServer } from '../http/server.js';
import { healthRoute } from '../http/routes/health.js';
import type { HttpRoute } from '../http/route.js';
import { cdnRoute } from '../http/routes/cdn.js';
import { HttpAuthenticator } from '../http/authenticate.js';
import { attachCdn } from '../cdn/attach.js';

export interface RunningServer {
  readonly httpPort: number;
  /** Stops accepting, lets transfers in flight finish (bounded by `graceMs`), then closes. */
  stop(graceMs: number): Promise<void>;
}

/** Every HTTP route, in the order they are asked. */
export function httpRoutes(app: App): HttpRoute[] {
  const trusted = new Set(app.config.cdn.trusted.split(/\s+/).filter(Boolean));
  const cdn = cdnRoute({ cdn: app.cdn, policy: app.policy, repos: app.stores.repos, authenticator: new HttpAuthenticator(app.stores), trusted, log: app.log });
  return [cdn, healthRoute()];
}

export async function startServers(app: App): Promise<RunningServer> {
  attachCdn(app);
  const http = createHttpServer(httpRoutes(app), app.log);
  http.listen(app.config.http.port, app.config.http.listen);
  await once(http, 'listening');
  const httpPort = (http.address() as AddressInfo).port;
  return {
    httpPort,
    async stop(graceMs) {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      const timer = setTimeout(() => http.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}
