import { AccessPolicy } from './access/policy.js';
import { CdnService } from './cdn/service.js';
import { VcsReader } from './cdn/vcs-source.js';
import { PublicationStore } from './cdn/publications.js';
import { CdnRepoLookup } from './cdn/repo-lookup.js';
import { Publisher } from './cdn/publisher.js';
import { ClientAddresses, parseTrustedProxies } from './http/client-address.js';
import { openDatabase, type Db } from './db/database.js';
import { FileLocks } from './cluster/file-locks.js';
import type { ClusterLocks } from './cluster/locks.js';
import { PgLocks } from './cluster/pg-locks.js';
import { thisNode, type NodeIdentity } from './cluster/node.js';
import { isPostgresUrl } from './cluster/database-url.js';
import type { Config } from './config/load.js';
import { RefWatcher } from './events/ref-watch.js';
import { RepoEvents } from './events/repo-events.js';
import { HttpAuthenticator } from './http/authenticate.js';
import { FailedLoginLimiter } from './http/login-limiter.js';
import { createLogger, type Logger } from './log/logger.js';
import { Metrics } from './metrics/registry.js';
import { join } from 'node:path';
import { GitRemote } from './mirrors/git-remote.js';
import { HgRemote } from './mirrors/hg-remote.js';
import { Importer } from './mirrors/importer.js';
import { SecretBox } from './mirrors/secret-box.js';
import { MirrorService } from './mirrors/service.js';
import { Sources } from './mirrors/sources.js';
import { HgPhases } from './services/hg-phases.js';
import { RepositoryService } from './services/repositories.js';
import { openStores } from './store/sql/index.js';
import type { Repo, Stores } from './store/types.js';
import { GitAdapter, gitEnvironment } from './vcs/git/adapter.js';
import { settleGitHead } from './vcs/git/head.js';
import { HgAdapter } from './vcs/hg/adapter.js';
import { hgEnvironment, writeHgrc } from './vcs/hg/environment.js';
import { withLargefiles } from './vcs/hg/largefiles.js';
import { LfsStore } from './lfs/store.js';
import { LfsTokens } from './lfs/tokens.js';
import { HgHttpBackend } from './vcs/hg/http-backend.js';
import { hgTempDir } from './vcs/hg/spool.js';
import { RepoRecovery } from './vcs/recovery.js';
import { DiskGuard } from './storage/disk-space.js';
import { HgCloneBundles } from './vcs/hg/clone-bundles.js';
import type { VcsAdapters } from './vcs/types.js';
import { Housekeeping } from './vcs/housekeeping.js';
import { RepoBrowsers } from './vcs/browsers.js';
import { RenderedDiffs } from './web/rendered-diffs.js';
import { WebhookService } from './webhooks/service.js';
import { parseAllowedHosts } from './webhooks/target-policy.js';
import { httpUrlBase, publicHost, sshUrlBase } from './config/public-host.js';

export type { Config } from './config/load.js';

/** Everything a command or a server needs, built once and passed in (no globals). */
export interface App {
  readonly config: Config;
  readonly log: Logger;
  readonly stores: Stores;
  /** The database under the stores (SQLite or PostgreSQL, `[database] url`). */
  readonly db: Db;
  readonly policy: AccessPolicy;
  readonly repositories: RepositoryService;
  /** Publishing / non-publishing hg repos (the database and each repo's .hg/hgrc). */
  readonly hgPhases: HgPhases;
  readonly vcs: VcsAdapters;
  readonly hg: HgAdapter;
  readonly git: GitAdapter;
  readonly events: RepoEvents;
  /** Reads a repo's refs before and after a write, for the ref updates events carry. */
  readonly refs: RefWatcher;
  readonly mirrors: MirrorService;
  readonly importer: Importer;
  /** Read-only repository views for the web pages (long-lived hg/git readers). */
  readonly browsers: RepoBrowsers;
  /** Rendered diff sections of commit and compare pages, by commit ids (src/web/rendered-diffs.ts). */
  readonly renderedDiffs: RenderedDiffs;
  /** HTTP Basic credentials → Subject, with one failed-login limiter for every HTTP route. */
  readonly httpAuth: HttpAuthenticator;
  /** The long-lived hgweb server behind hg over HTTP (started on first use). */
  readonly hgHttp: HgHttpBackend;
  readonly hgCloneBundles: HgCloneBundles;
  /** Rolls back what a killed hg or git left mid-write, before a repo is used (src/vcs/recovery.ts). */
  readonly recovery: RepoRecovery;
  /** Refuses pushes while the data dir's disk is nearly full ([limits] min_free_disk). */
  readonly disk: DiskGuard;
  /** Repacks git repos and warms hg caches after pushes, in the background (src/vcs/housekeeping.ts). */
  readonly housekeeping: Housekeeping;
  /** Counters and histograms served at /metrics (webhook senders call metrics.webhookDelivered). */
  readonly metrics: Metrics;
  /** The CDN's snapshots and ref tables (src/cdn). */
  readonly cdn: CdnService;
  /** `ferry publish` directories kept in sync with a ref. */
  readonly publisher: Publisher;
  /** Repo lookups for the CDN's hot path (a statement prepared once). */
  readonly cdnRepos: CdnRepoLookup;
  /** Git LFS objects, per repo id under DATA/lfs (src/lfs/store.ts). */
  readonly lfs: LfsStore;
  /** The short-lived tokens `git-lfs-authenticate` hands out over SSH. */
  readonly lfsTokens: LfsTokens;
  /** Outbound webhooks: hooks, their deliveries, and the deliveries a change queues. */
  readonly webhooks: WebhookService;
  /** This process among the nodes sharing the database and data dir (src/cluster/node.ts). */
  readonly node: NodeIdentity;
  /** Repo-operation locks and job claims: advisory locks on PostgreSQL, in-process on SQLite (src/cluster). */
  readonly locks: ClusterLocks;
  close(): void;
}

/** The composition root: config in, wired services out. */
export function createApp(config: Config, options: { log?: Logger; onStale?: (repo: Repo) => void } = {}): App {
  const log = options.log ?? createLogger(config.log.level);
  const node = thisNode();
  // PostgreSQL: advisory locks shared by every node. SQLite: lock dirs in the data dir, shared by every process on it (whatever run dir each was given).
  const locks: ClusterLocks = isPostgresUrl(config.database.url) ? new PgLocks(config.database.url, log, node) : new FileLocks(join(config.dataDir, 'locks'), log);
  // One database for every store, SQLite or PostgreSQL ([database] url).
  const db = openDatabase({ dbPath: config.dbPath, url: config.database.url });
  const stores = openStores(db);
  const hgrc = writeHgrc(config.dataDir, config.hg.evolve);
  // TMPDIR on the data dir's disk: hg spools a pushed bundle there before its transaction (spool.ts).
  const hg = new HgAdapter(config.hg.executable, { ...hgEnvironment(hgrc), TMPDIR: hgTempDir(config.runDir) });
  const git = new GitAdapter(config.git.executable, gitEnvironment());
  const vcs: VcsAdapters = { hg, git };
  const events = new RepoEvents();
  const policy = new AccessPolicy(stores);
  const repositories = new RepositoryService(stores.repos, vcs, config.reposDir, events, locks);
  const hgPhases = new HgPhases(stores.repos, stores.hgPhases, (repo) => repositories.directoryOf(repo));
  // One default branch for clients, the CDN, `ferry publish` and the web: a git HEAD names a branch that exists.
  events.onChanging(async ({ repo, cause }) => {
    if (repo.kind === 'git' && cause !== 'admin') await settleGitHead(git, repositories.directoryOf(repo));
  });
  const sources = new Sources(
    { hg: new HgRemote(config.hg.executable), git: new GitRemote(config.git.executable) },
    { tempRoot: join(config.dataDir, 'tmp'), ferryHgrc: hgrc, hgEnv: hg.env, gitEnv: git.env, knownHosts: join(config.sshDir, 'known_hosts_sources') },
  );
  const box = new SecretBox(join(config.dataDir, 'secrets', 'mirror.key'), config.mirrors.key);
  // Made on first use: admin commands never need it, and prom-client's modules cost ~0.14 s of CPU to load.
  let metrics: Metrics | undefined;
  const metricsNow = (): Metrics => (metrics ??= new Metrics());
  const refs = new RefWatcher({ hg, git }, (repo) => repositories.directoryOf(repo), log);
  const mirrors = new MirrorService({ store: stores.mirrors, repos: stores.repos, repositories, events, refs, box, sources, log, onSyncFailed: () => metricsNow().mirrorSyncFailed(), locks });
  const importer = new Importer({ repositories, repos: stores.repos, mirrors, events, refs, sources, hgPhases, sshKeygen: 'ssh-keygen' });
  const lfs = new LfsStore(join(config.dataDir, 'lfs'));
  // A moved repo keeps its id, and with it its LFS objects and clone bundles (stored by id).
  events.onRemoved(({ repo, movedTo }) => void (movedTo === undefined ? lfs.removeRepo(repo.id) : Promise.resolve()).catch((err: unknown) => log.error({ err, path: repo.path }, 'could not remove the LFS objects of a removed repository')));
  const browsers = new RepoBrowsers({ executable: hg.executable, env: hg.env }, { executable: git.executable, env: git.env });
  events.onRemovedAnywhere(({ repo }) => browsers.drop(repositories.directoryOf(repo)));
  // Pushes through any node (and ref changes seen on disk) drop the read caches' refs.
  events.onChangedAnywhere(({ repo }) => browsers.changed(repositories.directoryOf(repo)));
  // Failed sign-ins are counted in the database, so the CDN worker processes and the primary share one count.
  const httpAuth = new HttpAuthenticator(stores, FailedLoginLimiter.onDatabase(db), new ClientAddresses(undefined, parseTrustedProxies(config.http.trusted_proxies)));
  // hgweb serves every repo from one long-lived process: it loads largefiles once (src/vcs/hg/largefiles.ts).
  const hgHttp = new HgHttpBackend({ hgExecutable: config.hg.executable, env: { ...hg.env, HGRCPATH: withLargefiles(hgrc) }, reposDir: config.reposDir, runDir: config.runDir, log, workers: config.hg.http_workers });
  const hgCloneBundles = new HgCloneBundles({
    hgExecutable: config.hg.executable,
    env: hg.env,
    dir: join(config.dataDir, 'hg-bundles'),
    keyFile: join(config.dataDir, 'secrets', 'hg-bundles.key'),
    minStoreSize: config.hg.clone_bundle_min_size,
    directoryOf: (repo) => repositories.directoryOf(repo),
    log,
    locks,
  });
  events.onRemoved(({ repo, movedTo }) => void (movedTo === undefined ? hgCloneBundles.forget(repo) : undefined));
  const cdn = new CdnService(new VcsReader({ hg, git }), {
    memory: config.cdn.memory,
    maxFileSize: config.cdn.max_file_size,
    directoryOf: (repo) => repositories.directoryOf(repo),
    lfsObject: (repo, oid) => lfs.fileOf(repo.id, oid),
    log,
    onStale: options.onStale ?? ((repo) => void events.emitChanged({ repo, cause: 'admin' })),
  });
  const housekeeping = new Housekeeping({ git, hg, directoryOf: (repo) => repositories.directoryOf(repo), gitChangesPerRepack: config.git.repack_after_pushes, log, locks, current: (repo) => stores.repos.byId(repo.id) });
  events.onChanged((e) => (e.cause === 'admin' ? undefined : housekeeping.changed(e)));
  const cdnRepos = new CdnRepoLookup(db);
  const publications = new PublicationStore(db);
  const publisher = new Publisher(publications, stores.repos, cdn, config, log);
  const webhooks = new WebhookService({
    store: stores.webhooks,
    box,
    policy: parseAllowedHosts(config.webhooks.allowed_hosts),
    programs: { hg, git },
    directoryOf: (repo) => repositories.directoryOf(repo),
    log,
    links: { httpBase: httpUrlBase(config, config.http.port), sshBase: sshUrlBase(publicHost(config), config.ssh.port) },
  });
  // Rows are written before the change is answered: a delivery queued is never lost to a restart.
  events.onChanged((event) => webhooks.repoChanged(event).catch((err: unknown) => log.error({ err, path: event.repo.path }, 'could not queue webhook deliveries')));
  return {
    config,
    log,
    stores,
    db,
    policy,
    repositories,
    hgPhases,
    vcs,
    hg,
    git,
    events,
    refs,
    mirrors,
    importer,
    browsers,
    renderedDiffs: new RenderedDiffs(),
    httpAuth,
    hgHttp,
    hgCloneBundles,
    recovery: new RepoRecovery({ hgExecutable: config.hg.executable, hgEnv: hg.env, log, sharedDataDir: isPostgresUrl(config.database.url) }),
    disk: new DiskGuard(config.dataDir, config.limits.min_free_disk),
    housekeeping,
    get metrics() {
      return metricsNow();
    },
    cdn,
    publisher,
    cdnRepos,
    lfs,
    lfsTokens: new LfsTokens(join(config.dataDir, 'secrets', 'lfs.key'), stores),
    webhooks,
    node,
    locks,
    close: () => {
      void locks.close();
      browsers.close();
      cdn.close();
      void hgHttp.stop();
      void housekeeping.stop();
      stores.close();
    },
  };
}
