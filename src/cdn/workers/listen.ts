import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '../../main.js';
import { attachCdn } from '../attach.js';
import { listenFront } from './front.js';
import { CdnWorkerPool, cdnWorkerCount } from './pool.js';

export interface HttpListener {
  readonly port: number;
  /** Stops accepting new connections. */
  closeListener(): Promise<void>;
  /** Ends the CDN workers (after their requests in flight). */
  stopWorkers(): Promise<void>;
  /** CDN workers up now, and how many there should be (0 of 0 when the primary serves /cdn itself). */
  workers(): { ready: number; expected: number };
}

/**
 * Binds the HTTP port and subscribes the CDN to repo events. With `[cdn] workers` ≥ 2 (0: one per
 * core), forks CDN workers: the primary keeps every route and hands /cdn connections over; a
 * change is acknowledged by every worker before the push that caused it returns.
 */
export async function listenHttp(app: App, http: Server): Promise<HttpListener> {
  const count = cdnWorkerCount(app.config);
  // The primary's own CDN lookups (it serves /cdn itself without workers, or while none is ready).
  app.metrics.countCdnFrom(() => ({ hits: app.cdn.cache.hits, misses: app.cdn.cache.misses }));
  if (count < 2) {
    attachCdn(app);
    http.listen(app.config.http.port, app.config.http.listen);
    await once(http, 'listening');
    return { port: (http.address() as AddressInfo).port, closeListener: async () => {}, stopWorkers: async () => {}, workers: () => ({ ready: 0, expected: 0 }) };
  }
  // Internal port: requests a worker receives but does not own come back here.
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const internalPort = (http.address() as AddressInfo).port;
  const pool = new CdnWorkerPool(
    count,
    internalPort,
    app.config,
    app.log,
    (repoId) => {
      void app.stores.repos.byId(repoId).then((repo) => repo && app.events.emitChanged({ repo, cause: 'admin' }));
    },
    () => app.log.info({ workers: count }, 'cdn workers ready'),
    app.httpAuth.clients.secret,
  );
  attachCdn(app, pool);
  app.metrics.countCdnFrom(() => pool.cdnCounts());
  pool.start();
  let front: Awaited<ReturnType<typeof listenFront>>;
  try {
    front = await listenFront(app, http, pool);
  } catch (err) {
    // The public port could not be had: take down what was started for it.
    await pool.stop();
    http.close();
    throw err;
  }
  return { port: front.port, closeListener: () => front.close(), stopWorkers: () => pool.stop(), workers: () => pool.readiness() };
}
