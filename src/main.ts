import { AccessPolicy } from './access/policy.js';
import type { Config } from './config/load.js';
import { RepoEvents } from './events/repo-events.js';
import { createLogger, type Logger } from './log/logger.js';
import { join } from 'node:path';
import { GitRemote } from './mirrors/git-remote.js';
import { HgRemote } from './mirrors/hg-remote.js';
import { Importer } from './mirrors/importer.js';
import { SecretBox } from './mirrors/secret-box.js';
import { MirrorService } from './mirrors/service.js';
import { Sources } from './mirrors/sources.js';
import { RepositoryService } from './services/repositories.js';
import { openSqliteStores } from './store/sqlite/index.js';
import type { Stores } from './store/types.js';
import { GitAdapter, gitEnvironment } from './vcs/git/adapter.js';
import { HgAdapter } from './vcs/hg/adapter.js';
import { hgEnvironment, writeHgrc } from './vcs/hg/environment.js';
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
  readonly mirrors: MirrorService;
  readonly importer: Importer;
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
  const sources = new Sources(
    { hg: new HgRemote(config.hg.executable), git: new GitRemote(config.git.executable) },
    { tempRoot: join(config.dataDir, 'tmp'), ferryHgrc: hgrc, hgEnv: hg.env, gitEnv: git.env, knownHosts: join(config.sshDir, 'known_hosts_sources') },
  );
  const box = new SecretBox(join(config.dataDir, 'secrets', 'mirror.key'), config.mirrors.key);
  const mirrors = new MirrorService({ store: stores.mirrors, repos: stores.repos, repositories, events, box, sources, log });
  const importer = new Importer({ repositories, repos: stores.repos, mirrors, events, sources, sshKeygen: 'ssh-keygen' });
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
    mirrors,
    importer,
    close: () => stores.close(),
  };
}
