import type { Repo } from '../store/types.js';
import type { RepoBrowser } from './browse.js';
import { GitCatFilePool } from './git/cat-file.js';
import { GitBrowser } from './git/browse.js';
import { HgCommandServerPool } from './hg/command-server.js';
import { HgBrowser } from './hg/browse.js';
import { createReadCaches, dropRepo, type ReadCaches } from './read-caches.js';

/**
 * Hands out a RepoBrowser per repository directory, backed by pools of long-lived processes
 * (hg command servers, git cat-file) so a page costs no process start per element, and by one
 * set of size-bounded read caches (src/vcs/read-caches.ts) for what a commit id makes immutable.
 */
export class RepoBrowsers {
  private readonly hgPool: HgCommandServerPool;
  private readonly gitPool: GitCatFilePool;
  private readonly browsers = new Map<string, HgBrowser | GitBrowser>();

  constructor(
    private readonly hg: { executable: string; env: NodeJS.ProcessEnv },
    private readonly git: { executable: string; env: NodeJS.ProcessEnv },
    max = 16,
    private readonly caches: ReadCaches = createReadCaches(),
  ) {
    this.hgPool = new HgCommandServerPool(hg.executable, hg.env, max);
    this.gitPool = new GitCatFilePool(git.executable, git.env, max);
  }

  for(repo: Pick<Repo, 'kind'>, dir: string): RepoBrowser {
    const key = `${repo.kind}:${dir}`;
    let browser = this.browsers.get(key);
    if (!browser) {
      browser =
        repo.kind === 'hg'
          ? new HgBrowser(() => this.hgPool.get(dir), dir, this.caches, this.hg)
          : new GitBrowser(() => this.gitPool.get(dir), dir, this.git.executable, this.git.env, this.caches);
      if (this.browsers.size >= 256) this.browsers.delete(this.browsers.keys().next().value as string);
      this.browsers.set(key, browser);
    }
    return browser;
  }

  /**
   * Starts hg command servers with `program` from now on (the server's chg, so a repo's first page
   * after a start forks a warm Python instead of starting one: src/vcs/hg/serve.ts).
   */
  useHgCommandServers(program: { executable: string; env: NodeJS.ProcessEnv }): void {
    this.hgPool.use(program);
  }

  /**
   * A repository's refs moved (a push, a sync, an admin's change of HEAD): its refs are read
   * again on the next use. What is cached per commit id stays (it cannot have changed).
   */
  changed(dir: string): void {
    this.browsers.get(`hg:${dir}`)?.refsChanged();
    this.browsers.get(`git:${dir}`)?.refsChanged();
  }

  /** Forgets a repository that was removed or moved, with everything cached for it. */
  drop(dir: string): void {
    this.hgPool.drop(dir);
    this.gitPool.drop(dir);
    this.browsers.delete(`hg:${dir}`);
    this.browsers.delete(`git:${dir}`);
    dropRepo(this.caches, dir);
  }

  close(): void {
    this.hgPool.close();
    this.gitPool.close();
  }
}
