import { AccessPolicy } from './access/policy.js';
import type { Config } from './config/load.js';
import { RepoEvents } from './events/repo-events.js';
import { HttpAuthenticator } from './http/authenticate.js';
import { createLogger, type Logger } from './log/logger.js';
import { Metrics } from './metrics/registry.js';
import { RepositoryService } from './services/repositories.js';
import { openSqliteStores } from './store/sqlite/index.js';
import type { Stores } from './store/types.js';
import { GitAdapter, gitEnvironment } from './vcs/git/adapter.js';
import { HgAdapter } from './vcs/hg/adapter.js';
import { hgEnvironment, writeHgrc } from './vcs/hg/environment.js';
import { HgHttpBackend } from './vcs/hg/http-backend.js';
import type { VcsAdapters } from './vcs/types.js';

export type { Config } from './config/load.js';

/** Everything a command or a server needs, built once and passed in (no globals). */
export interface App {
  readonly config: Config;
  readonly log: Logger;
  readonly stores: Stores;
  readonly policy: AccessPolicy;
  readonly repositories: RepositoryService;
  readonly vcs: VcsAdapters;
  readonly hg: HgAdapter;
  readonly git: GitAdapter;
  readonly events: RepoEvents;
  /** HTTP Basic credentials → Subject, with one failed-login limiter for every HTTP route. */
  readonly httpAuth: HttpAuthenticator;
  /** The long-lived hgweb server behind hg over HTTP (started on first use). */
  readonly hgHttp: HgHttpBackend;
  /** Counters served at /metrics. */
  readonly metrics: Metrics;
  close(): void;
}

/** The composition root: config in, wired services out. */
export function createApp(config: Config, options: { log?: Logger } = {}): App {
  const log = options.log ?? createLogger(config.log.level);
  const stores = openSqliteStores(config.dbPath);
  const hgrc = writeHgrc(config.dataDir);
  const hg = new HgAdapter(config.hg.executable, hgEnvironment(hgrc));
  const git = new GitAdapter(config.git.executable, gitEnvironment());
  const vcs: VcsAdapters = { hg, git };
  const events = new RepoEvents();
  const policy = new AccessPolicy(stores);
  const repositories = new RepositoryService(stores.repos, vcs, config.reposDir, events);
  const httpAuth = new HttpAuthenticator(stores);
  const hgHttp = new HgHttpBackend({ hgExecutable: config.hg.executable, env: hg.env, reposDir: config.reposDir, dataDir: config.dataDir, log, workers: config.hg.http_workers });
  return {
    config,
    log,
    stores,
    policy,
    repositories,
    vcs,
    hg,
    git,
    events,
    httpAuth,
    hgHttp,
    metrics: new Metrics(),
    close: () => {
      void hgHttp.stop();
      stores.close();
    },
  };
}
