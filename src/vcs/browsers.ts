import type { Repo } from '../store/types.js';
import type { RepoBrowser } from './browse.js';
import { ByteCache } from './byte-cache.js';
import { GitCatFilePool } from './git/cat-file.js';
import { GitBrowser } from './git/browse.js';
import { HgCommandServerPool } from './hg/command-server.js';
import { HgBrowser } from './hg/browse.js';

/**
 * Hands out a RepoBrowser per repository directory, backed by pools of long-lived processes
 * (hg command servers, git cat-file) so a page costs no process start per element.
 */
export class RepoBrowsers {
  private readonly hgPool: HgCommandServerPool;
  private readonly gitPool: GitCatFilePool;
  private readonly browsers = new Map<string, RepoBrowser>();
  /** Diffs never change for a commit id: computed once, kept within 64 MB. */
  private readonly diffs = new ByteCache(64 * 1024 * 1024);

  constructor(
    private readonly hg: { executable: string; env: NodeJS.ProcessEnv },
    private readonly git: { executable: string; env: NodeJS.ProcessEnv },
    max = 16,
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
          ? new HgBrowser(() => this.hgPool.get(dir), dir, this.diffs, this.hg)
          : new GitBrowser(() => this.gitPool.get(dir), dir, this.git.executable, this.git.env, this.diffs);
      if (this.browsers.size >= 256) this.browsers.delete(this.browsers.keys().next().value as string);
      this.browsers.set(key, browser);
    }
    return browser;
  }

  /** Forgets a repository that was removed or moved. */
  drop(dir: string): void {
    this.hgPool.drop(dir);
    this.gitPool.drop(dir);
    this.browsers.delete(`hg:${dir}`);
    this.browsers.delete(`git:${dir}`);
  }

  close(): void {
    this.hgPool.close();
    this.gitPool.close();
  }
}
