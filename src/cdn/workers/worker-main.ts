/**
 * A CDN worker process, forked by `ferry serve`: holds its own snapshots and answers /cdn on the
 * connections the primary hands it; anything else on those connections goes to the primary.
 */
import { Agent } from 'node:http';
import { boundHandedConnections, createBoundedServer, httpTimeoutsOf } from '../../http/connection-limits.js';
import type { Socket } from 'node:net';
import { loadConfig, resolveDataDir } from '../../config/load.js';
import { createApp } from '../../main.js';
import { answerCdn, type CdnRouteDeps } from '../../http/routes/cdn.js';
import { sendError } from '../../http/errors.js';
import { writeReply } from '../../http/reply.js';
import { FastHttpLane } from './fast-http.js';
import { HotAnswers } from './hot-answers.js';
import { NativeHotTable } from './native-hot.js';
import { REPO_LOOKUP_TTL_MS } from '../repo-lookup.js';
import { PRIMARY_PORT_ENV, WORKER_BUDGET_ENV, type FromWorker, type ToWorker } from './protocol.js';
import { proxyToPrimary } from './proxy.js';
import { trustedRepos } from '../trusted.js';
import { FORWARD_SECRET_ENV } from '../../http/client-address.js';
import { cdnSyscallsUnavailable } from './syscalls.js';
import { isRepoPath, type RepoPath } from '../../domain/repo-path.js';
import { SecureFront } from '../../http/secure-front.js';
import type { TlsPair } from '../../http/tls.js';
import { tlsEnabled } from '../../config/public-host.js';

// Once the primary has let go of the channel (it stops, or it died) nothing more is sent: a send
// on a closed channel is an 'error' event, which would end this worker in the middle of the
// downloads it is finishing (the counts sent every 10 s did so during a SIGTERM drain).
const send = (m: FromWorker) => {
  if (process.connected) process.send?.(m);
};
const primaryPort = Number(process.env[PRIMARY_PORT_ENV]);
const forwardSecret = process.env[FORWARD_SECRET_ENV] ?? '';
delete process.env[FORWARD_SECRET_ENV];
const base = loadConfig(resolveDataDir(undefined, process.env), process.env);
const config = Object.freeze({ ...base, cdn: Object.freeze({ ...base.cdn, memory: Number(process.env[WORKER_BUDGET_ENV] ?? base.cdn.memory) }) });
const app = createApp(config, { onStale: (repo) => send({ t: 'stale', repoId: repo.id }) });
const deps: CdnRouteDeps = {
  cdn: app.cdn,
  policy: app.policy,
  repos: app.cdnRepos,
  authenticator: app.httpAuth,
  sessions: app.stores,
  trusted: trustedRepos(config),
  maxFileSize: config.cdn.max_file_size,
  log: app.log,
};
const agent = new Agent({ keepAlive: true, maxFreeSockets: 16 });
// Connections the fast lane does not take (another method, a body, a page): node's server, which
// answers /cdn the same way and sends everything else to the primary.
const timeouts = httpTimeoutsOf(config);
const server = createBoundedServer(timeouts, (req, res) => {
  answerCdn(deps, req).then(
    (reply) => {
      if (reply) writeReply(res, reply);
      else proxyToPrimary(primaryPort, forwardSecret, agent, req, res);
    },
    (err: unknown) => sendError(res, err),
  );
});
// It never listens: connections come from the fast lane (handed over) or from HTTPS.
boundHandedConnections(server);
// Answers reused for requests that ask the same (hotKey): an eighth of the worker's memory budget at most.
// Reused while their repo is still the same public repo at the same path (checked once a second
// per repo, as the CDN's repo lookup is), and a check of its files for changes behind Ferry's back.
const hot = new HotAnswers(Math.floor(config.cdn.memory / 8), REPO_LOOKUP_TTL_MS, Date.now, undefined, async (scope) => {
  const path = scope.path;
  if (!isRepoPath(path)) return false;
  const repo = await app.cdnRepos.byPathNow(path as RepoPath);
  if (!repo || repo.id !== scope.repoId || repo.path !== path || !repo.isPublic) return false;
  await app.cdn.checkFresh(repo);
  return true;
});
// Reused answers are found and sent by the native addon when it is there (native-hot.ts).
const nativeHot = NativeHotTable.create(config.cdn.native_hot);
if (nativeHot) hot.mirrorTo(nativeHot);
const lane = new FastHttpLane(
  (req) => answerCdn(deps, req),
  server,
  (err) => app.log.error({ err }, 'cdn connection failed'),
  hot,
  undefined,
  timeouts.headMs,
  // Credentials are checked on every request that carries them, reused answer or not. Only a
  // valid token is taken here (that counts no failure); a password or a wrong secret goes the
  // routed way, which checks it once under the failed-login limiter.
  (req) => app.httpAuth.tokenSubjectOf(req).then(
    (subject) => subject !== undefined,
    () => false,
  ),
);
// Idle connections are then served by the native table on its own, no JavaScript per request.
if (nativeHot) lane.adoptInto(nativeHot);

// HTTPS ([http] tls_cert): TLS ends here, in front of `server` (the fast lane speaks plain HTTP/1.1 only).
let secure: SecureFront | undefined;

process.on('message', (message: ToWorker, handle?: Socket) => {
  switch (message.t) {
    case 'conn':
      if (!handle) return;
      // With TLS the primary read nothing: the handshake, then every request, happen here.
      if (secure) secure.accept(handle);
      else if (tlsEnabled(config)) handle.destroy(); // no certificate yet: cannot happen, the pair comes first
      else lane.attach(handle, Buffer.from(message.head, 'base64'));
      return;
    case 'tls': {
      const pair: TlsPair = { cert: message.cert, key: message.key, serial: message.serial, validTo: message.validTo };
      if (secure) secure.use(pair);
      else secure = new SecureFront(server, pair, timeouts, app.log);
      return;
    }
    case 'changed':
      // The repo lookup first: a repo made private or moved is looked up anew before the ack, as
      // the primary's own lookup is (it was cleared only on removals here, so a worker served a
      // repo made private from a form for up to the lookup's lifetime after the form answered).
      app.cdnRepos.clear();
      void app.stores.repos.byId(message.repoId).then(async (repo) => {
        if (repo) await app.cdn.repoChanged(repo);
        // Its answers, and those of whatever was at its path; a repo gone from the database: all.
        if (repo) hot.invalidateRepo(repo.id, repo.path);
        else hot.invalidate();
        send({ t: 'ack', id: message.id });
      });
      return;
    case 'removed':
      app.cdn.forget(message.repoId);
      app.cdnRepos.clear();
      hot.invalidate();
      return;
  }
});
// The primary going away (or asking us to stop) ends the worker once its requests are answered.
const stop = () => {
  const nodeServerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  void Promise.all([nodeServerClosed, lane.close(), secure?.close(30_000)]).then(() => {
    app.close();
    process.exit(0);
  });
  setTimeout(() => process.exit(0), 30_000).unref();
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.on('SIGINT', () => {});
// The primary reads the certificate again on SIGHUP and sends it (a hangup of the whole group must not end workers).
process.on('SIGHUP', () => {});
if (cdnSyscallsUnavailable) app.log.warn({ reason: cdnSyscallsUnavailable }, 'cdn: the native addon did not load (npm run build:native builds it); large files are copied to each connection');
send({ t: 'ready' });
// CDN hits and misses go to the primary's /metrics: totals, sent when they changed (at most once a
// second), with the worker's memory (at least every 10 s).
let reported = '';
let reportedAt = 0;
setInterval(() => {
  const counts = { hits: app.cdn.cache.hits + hot.sent + (nativeHot?.stats().adoptedSent ?? 0), misses: app.cdn.cache.misses };
  const key = `${counts.hits}/${counts.misses}`;
  if (key === reported && Date.now() - reportedAt < 10_000) return;
  reported = key;
  reportedAt = Date.now();
  const usage = process.memoryUsage();
  send({ t: 'cdn-counts', ...counts, memory: { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external, held: app.cdn.blobs.bytes + app.cdn.cache.bytes + hot.heldBytes } });
}, 1000).unref();
