import { setTimeout as sleep } from 'node:timers/promises';
import { mkdirSync } from 'node:fs';
import { httpUrlBase, publicHost, sshUrlBase } from '../config/public-host.js';
import { DeliveryWorker } from '../webhooks/worker.js';
import { parseAllowedHosts } from '../webhooks/target-policy.js';
import { FerryError } from '../domain/errors.js';
import type { App } from '../main.js';
import { createHttpServer } from '../http/server.js';
import { httpTimeoutsOf } from '../http/connection-limits.js';
import { healthRoute } from '../http/routes/health.js';
import { Readiness } from '../health/readiness.js';
import { wireRoute } from '../http/routes/wire.js';
import { lfsRoute } from '../http/routes/lfs.js';
import { cloneBundleRoute } from '../http/routes/hg-clone-bundles.js';
import { metricsRoute } from '../http/routes/metrics.js';
import { countResponses, instrumentRoutes } from '../http/instrument.js';
import type { HttpRoute } from '../http/route.js';
import { mirrorWebhookRoute } from '../http/routes/mirror-webhook.js';
import { MirrorScheduler } from '../mirrors/scheduler.js';
import { cdnRoute } from '../http/routes/cdn.js';
import { listenHttp } from '../cdn/workers/listen.js';
import type { TlsPair } from '../http/tls.js';
import { trustedRepos } from '../cdn/trusted.js';
import { webRoute } from '../http/routes/web.js';
import { apiRoute } from '../http/routes/api.js';
import { userKeysRoute } from '../http/routes/user-keys.js';
import { startSshServer } from '../ssh/server.js';
import { HgServe } from '../vcs/hg/serve.js';
import { hgTempDir, removeOrphanSpools } from '../vcs/hg/spool.js';
import { removeStaleTemp } from '../storage/stale-temp.js';
import { ClusterBus } from '../cluster/bus.js';
import { applyClusterEvent, joinCluster } from '../cluster/attach.js';
import { localRelaySocket, serveLocalRelay } from '../cluster/local-relay.js';
import { isPostgresUrl } from '../cluster/database-url.js';

export interface RunningServer {
  readonly httpPort: number;
  readonly sshPort: number;
  /** The HTTPS certificate served ([http] tls_cert), or undefined for plain HTTP. */
  readonly tls: TlsPair | undefined;
  /** SIGHUP: reads the certificate again (see HttpListener.reloadTls). */
  reloadTls(): void;
  /** Stops accepting, lets transfers in flight finish (bounded by `graceMs`), then closes. */
  stop(graceMs: number): Promise<void>;
}

/** Every HTTP route, in the order they are asked. */
export function httpRoutes(app: App, sshPort: () => number = () => app.config.ssh.port, readiness?: Readiness): HttpRoute[] {
  const cdn = cdnRoute({ cdn: app.cdn, policy: app.policy, repos: app.cdnRepos, authenticator: app.httpAuth, sessions: app.stores, trusted: trustedRepos(app.config), maxFileSize: app.config.cdn.max_file_size, log: app.log });
  // /cdn/… first: it is reserved for the CDN even where a repo path would start with cdn/.
  // The web pages go last: wire protocols (`?cmd=`, git smart HTTP) must answer first.
  return [cdn, healthRoute(readiness), metricsRoute(app.metrics), mirrorWebhookRoute(app.mirrors), apiRoute(app, sshPort), userKeysRoute(app.stores), cloneBundleRoute({ bundles: app.hgCloneBundles, policy: app.policy, stores: app.stores }), lfsRoute(app), wireRoute(app), webRoute(app, { sshPort })];
}

/** How long the server waits for the chg server of the web's hg command servers before it says it is ready, in ms. */
const CHG_START_WAIT_MS = 15_000;

export async function startServers(app: App): Promise<RunningServer> {
  // First, so that the chg server the web's hg command servers fork from is up by the first page.
  const hgServe = new HgServe({ hg: app.config.hg.executable, chg: app.config.hg.chg, env: app.hg.env, dataDir: app.config.dataDir, runDir: app.config.runDir });
  const commandServers = hgServe.commandServers();
  let chgStarted: Promise<void> = Promise.resolve();
  if (commandServers) {
    app.browsers.useHgCommandServers(commandServers);
    chgStarted = hgServe.prestart(commandServers);
  }
  await recoverRepos(app);
  await app.hgPhases.reconcile();
  // Several nodes on one PostgreSQL: this node hears the others' repo events and they hear its own.
  const bus = isPostgresUrl(app.config.database.url) ? new ClusterBus(app.config.database.url, app.node, app.log) : undefined;
  const clusterDeps = { events: app.events, repos: app.stores.repos, forgetLookups: () => app.cdnRepos.clear(), log: app.log };
  if (bus) await joinCluster(clusterDeps, bus);
  // `ferry` command lines on this data dir tell this server of their repo events at once (and,
  // through it, the other nodes): a repo moved, removed or made private in a shell is not served
  // from what this server kept a lookup's lifetime longer.
  const relay = await serveLocalRelay(
    localRelaySocket(app.config.runDir),
    async (event) => {
      await applyClusterEvent(clusterDeps, event);
      await bus?.publish(event);
    },
    app.log,
  );
  let sshPort = app.config.ssh.port;
  const readiness = new Readiness({ pingDatabase: () => app.stores.repos.byId(0), reposDir: app.config.reposDir });
  // One wait for the chg server, at most CHG_START_WAIT_MS: /readyz's `startup` check and "ready"
  // both end with it. Its timer is not ref'd, so it never holds the process (a SIGTERM at start).
  const chgWait = Promise.race([chgStarted, sleep(CHG_START_WAIT_MS, undefined, { ref: false })]);
  readiness.watchStartup(chgWait, 'the chg server hg pages fork from is starting');
  const http = createHttpServer(instrumentRoutes(httpRoutes(app, () => sshPort, readiness)), app.log, httpTimeoutsOf(app.config));
  countResponses(http, app.metrics);
  const listener = await listenHttp(app, http).catch(async (err: unknown) => {
    await app.hgHttp.stop();
    hgServe.stop();
    relay?.close();
    throw listenError(err, 'http', app.config.http.listen, app.config.http.port);
  });
  const httpPort = listener.port;
  readiness.watchWorkers(listener.workers);
  let ssh: Awaited<ReturnType<typeof startSshServer>>;
  try {
    ssh = await startSshServer(app, hgServe, httpUrlBase(app.config, httpPort), httpPort);
  } catch (err) {
    // Never run half a server: what already listens goes down with the failure.
    http.close();
    http.closeAllConnections();
    await Promise.all([listener.closeListener(), listener.stopWorkers(), app.hgHttp.stop()]);
    hgServe.stop();
    relay?.close();
    throw listenError(err, 'ssh', app.config.ssh.listen, app.config.ssh.port);
  }
  const scheduler = new MirrorScheduler(app.mirrors, app.config.mirrors.concurrency);
  scheduler.start();
  sshPort = ssh.port;
  app.webhooks.setLinks({ httpBase: httpUrlBase(app.config, httpPort), sshBase: sshUrlBase(publicHost(app.config), ssh.port) });
  const hookWorker = new DeliveryWorker(
    { store: app.stores.webhooks, service: app.webhooks, policy: parseAllowedHosts(app.config.webhooks.allowed_hosts), log: app.log, locks: app.locks },
    { timeoutMs: app.config.webhooks.timeout, maxAttempts: app.config.webhooks.max_attempts, retryDelayMs: app.config.webhooks.retry_delay, disableAfter: app.config.webhooks.disable_after },
  );
  hookWorker.start();
  // Ready once the chg server is up too (its start overlapped the rest): the first hg page after
  // a start then forks a loaded Mercurial. A chg that does not start in time only costs that page.
  await chgWait;
  return {
    httpPort,
    sshPort: ssh.port,
    tls: listener.tls,
    reloadTls: () => listener.reloadTls(),
    async stop(graceMs) {
      const mirrorsStopped = scheduler.stop();
      const hooksStopped = hookWorker.stop();
      const listenerClosed = listener.closeListener();
      const workersStopped = listener.stopWorkers();
      const sshStopped = ssh.stop(graceMs);
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      const timer = setTimeout(() => http.closeAllConnections(), graceMs);
      await closed;
      await Promise.all([listenerClosed, workersStopped]);
      clearTimeout(timer);
      await mirrorsStopped;
      await hooksStopped;
      await sshStopped;
      hgServe.stop();
      await Promise.all([app.hgHttp.stop(), app.housekeeping.stop()]);
      await bus?.stop();
      relay?.close();
    },
  };
}

/**
 * Before anything is served: roll back what an earlier, killed Ferry left mid-write in any repo,
 * and remove the push spool files no process has open any more.
 */
async function recoverRepos(app: App): Promise<void> {
  // A new data dir has no repos dir until the first repo: /readyz probes it, so it exists from the start.
  mkdirSync(app.config.reposDir, { recursive: true });
  const removed = removeOrphanSpools(hgTempDir(app.config.runDir));
  if (removed.length > 0) app.log.warn({ removed }, 'removed push spool files a killed hg left');
  const stale = removeStaleTemp(app.config.dataDir);
  if (stale.length > 0) app.log.warn({ removed: stale }, 'removed temp files of killed imports and clone bundle builds');
  const repos = await app.stores.repos.list();
  await app.recovery.recoverAll(repos.map((r) => ({ kind: r.kind, dir: app.repositories.directoryOf(r) })));
}

/** A port already taken or not allowed becomes a one-line error that says which setting to change. */
function listenError(err: unknown, what: 'ssh' | 'http', address: string, port: number): unknown {
  const code = err instanceof Error && 'code' in err ? err.code : undefined;
  if (code !== 'EADDRINUSE' && code !== 'EACCES' && code !== 'EADDRNOTAVAIL') return err;
  const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'EACCES' ? 'permission denied' : 'no such address here';
  return new FerryError(
    'FERRY_CONFIG',
    `cannot listen for ${what} on ${address}:${port}: ${why}; choose another with [${what}] port/listen in ferry.toml or FERRY_${what.toUpperCase()}_PORT`,
    { cause: err },
  );
}
