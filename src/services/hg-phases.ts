import { InvalidInputError, NotFoundError } from '../domain/errors.js';
import type { RepoPath } from '../domain/repo-path.js';
import type { HgPhaseStore, Repo, RepoStore } from '../store/types.js';
import { writeRepoPhases } from '../vcs/hg/repo-config.js';

/**
 * Publishing or non-publishing hg repos (`hg help phases`): the database records the choice, the
 * repo's `.hg/hgrc` (written here, never by a client) makes every hg process apply it. A
 * publishing repo turns what is pushed public; a non-publishing one keeps drafts draft, so
 * evolve users can share work in progress and rewrite it.
 */
export class HgPhases {
  constructor(
    private readonly repos: RepoStore,
    private readonly store: HgPhaseStore,
    private readonly directoryOf: (repo: Repo) => string,
  ) {}

  /** Sets the phase policy of the hg repo at `path`; throws FERRY_REPO_NOT_FOUND or FERRY_INVALID_INPUT (a git repo). */
  async set(path: RepoPath, publishing: boolean): Promise<Repo> {
    const repo = await this.repos.byPath(path);
    if (!repo) throw new NotFoundError(`no repository at ${path}`, 'FERRY_REPO_NOT_FOUND', { path });
    if (repo.kind !== 'hg') throw new InvalidInputError(`${path} is a Git repository; --publishing and --non-publishing apply to Mercurial repositories`);
    await this.store.setPublishing(repo.id, publishing);
    await writeRepoPhases(this.directoryOf(repo), publishing);
    return repo;
  }

  publishing(repo: Repo): Promise<boolean> {
    return repo.kind === 'hg' ? this.store.publishing(repo.id) : Promise.resolve(true);
  }

  /** Brings every non-publishing repo's `.hg/hgrc` in line with the database (start-up, after a restore). */
  async reconcile(): Promise<void> {
    for (const id of await this.store.nonPublishing()) {
      const repo = await this.repos.byId(id);
      if (repo?.kind === 'hg') await writeRepoPhases(this.directoryOf(repo), false).catch(() => undefined);
    }
  }
}
