import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '../../main.js';
import { tlsEnabled } from '../../config/public-host.js';
import { SecureFront } from '../../http/secure-front.js';
import { httpTimeoutsOf } from '../../http/connection-limits.js';
import { readTlsPair, type TlsPair } from '../../http/tls.js';
import { attachCdn } from '../attach.js';
import { listenFront } from './front.js';
import { CdnWorkerPool, cdnWorkerCount } from './pool.js';

export interface HttpListener {
  readonly port: number;
  /** The certificate served, when the port speaks TLS. */
  readonly tls: TlsPair | undefined;
  /** Stops accepting new connections. */
  closeListener(): Promise<void>;
  /** Ends the CDN workers (after their requests in flight). */
  stopWorkers(): Promise<void>;
  /** CDN workers up now, and how many there should be (0 of 0 when the primary serves /cdn itself). */
  workers(): { ready: number; expected: number };
  /**
   * Reads `[http] tls_cert`/`tls_key` again (SIGHUP): new connections, here and in every CDN
   * worker, get the new certificate; open ones go on with theirs. A pair that does not load is
   * logged and the one in use kept. Does nothing without TLS.
   */
  reloadTls(): void;
}

/**
 * Binds the HTTP port and subscribes the CDN to repo events. With `[cdn] workers` ≥ 2 (0: one per
 * core), forks CDN workers: the primary keeps every route and hands /cdn connections over; a
 * change is acknowledged by every worker before the push that caused it returns. With
 * `[http] tls_cert` and `tls_key` the port speaks TLS (src/http/secure-front.ts); a certificate
 * that does not load stops the start with FERRY_CONFIG before anything listens.
 */
export async function listenHttp(app: App, http: Server): Promise<HttpListener> {
  const pair = tlsEnabled(app.config) ? readTlsPair(app.config) : undefined;
  const secure = pair && new SecureFront(http, pair, httpTimeoutsOf(app.config), app.log);
  const grace = app.config.limits.shutdown_grace;
  const count = cdnWorkerCount(app.config);
  // The primary's own CDN lookups (it serves /cdn itself without workers, or while none is ready).
  app.metrics.countCdnFrom(() => ({ hits: app.cdn.cache.hits, misses: app.cdn.cache.misses }));
  if (count < 2) {
    attachCdn(app);
    const server = secure?.server ?? http;
    server.listen(app.config.http.port, app.config.http.listen);
    await once(server, 'listening');
    return {
      port: (server.address() as AddressInfo).port,
      tls: pair,
      closeListener: async () => secure?.close(grace),
      stopWorkers: async () => {},
      reloadTls: () => secure && reloadTls(app, secure),
      workers: () => ({ ready: 0, expected: 0 }),
    };
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
  if (pair) pool.useTls(pair);
  attachCdn(app, pool);
  app.metrics.countCdnFrom(() => pool.cdnCounts());
  app.metrics.workerMemoryFrom(() => pool.memory());
  pool.start();
  let front: Awaited<ReturnType<typeof listenFront>>;
  try {
    front = await listenFront(app, http, pool, secure);
  } catch (err) {
    // The public port could not be had: take down what was started for it.
    await pool.stop();
    http.close();
    throw err;
  }
  return {
    port: front.port,
    tls: pair,
    closeListener: async () => {
      await front.close();
      await secure?.close(grace);
    },
    stopWorkers: () => pool.stop(),
    reloadTls: () => secure && reloadTls(app, secure, pool),
    workers: () => pool.readiness(),
  };
}

/** SIGHUP: the new pair for new connections, or the old one kept when the new one does not load. */
function reloadTls(app: App, secure: SecureFront, pool?: CdnWorkerPool): void {
  let pair: TlsPair;
  try {
    pair = readTlsPair(app.config);
  } catch (err) {
    app.log.error({ err, serial: secure.current.serial }, `tls: ${err instanceof Error ? err.message : String(err)}; still serving the certificate loaded before (serial ${secure.current.serial})`);
    return;
  }
  secure.use(pair);
  pool?.useTls(pair);
  app.log.info({ serial: pair.serial, validTo: pair.validTo }, `tls: certificate reloaded (serial ${pair.serial}, valid until ${pair.validTo})`);
}
