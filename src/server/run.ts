import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import type { App } from '../main.js';
import { createHttpServer } from '../http/server.js';
import { healthRoute } from '../http/routes/health.js';
import { wireRoute } from '../http/routes/wire.js';
import { metricsRoute } from '../http/routes/metrics.js';
import { countResponses, instrumentRoutes } from '../http/instrument.js';
import type { HttpRoute } from '../http/route.js';
import { startSshServer } from '../ssh/server.js';
import { HgServe } from '../vcs/hg/serve.js';

export interface RunningServer {
  readonly httpPort: number;
  readonly sshPort: number;
  /** Stops accepting, lets transfers in flight finish (bounded by `graceMs`), then closes. */
  stop(graceMs: number): Promise<void>;
}

/** Every HTTP route, in the order they are asked. */
export function httpRoutes(app: App): HttpRoute[] {
  return [healthRoute(), metricsRoute(app.metrics), wireRoute(app)];
}

export async function startServers(app: App): Promise<RunningServer> {
  const http = createHttpServer(instrumentRoutes(httpRoutes(app)), app.log);
  countResponses(http, app.metrics);
  http.listen(app.config.http.port, app.config.http.listen);
  await once(http, 'listening');
  const httpPort = (http.address() as AddressInfo).port;
  const hgServe = new HgServe({ hg: app.config.hg.executable, chg: app.config.hg.chg, env: app.hg.env, dataDir: app.config.dataDir });
  const ssh = await startSshServer(app, hgServe);
  return {
    httpPort,
    sshPort: ssh.port,
    async stop(graceMs) {
      const sshStopped = ssh.stop(graceMs);
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      const timer = setTimeout(() => http.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
      await sshStopped;
      await app.hgHttp.stop();
    },
  };
}
