import { existsSync } from 'node:fs';
import { mkdir, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConflictError, FerryError } from '../domain/errors.js';
import type { RepoKind } from '../domain/repo-kind.js';
import type { RepoPath } from '../domain/repo-path.js';
import type { RepoEvents } from '../events/repo-events.js';
import { repoDirectory } from '../storage/repo-dirs.js';
import type { Repo, RepoStore } from '../store/types.js';
import type { ObjectFormat, VcsAdapters } from '../vcs/types.js';

/** Creating, moving and removing repositories: the database row and the directory, together. */
export class RepositoryService {
  constructor(
    private readonly repos: RepoStore,
    private readonly vcs: VcsAdapters,
    private readonly reposDir: string,
    private readonly events: RepoEvents,
  ) {}

  directoryOf(repo: Pick<Repo, 'path'>): string {
    return repoDirectory(this.reposDir, repo.path);
  }

  async create(path: RepoPath, kind: RepoKind, options: { isPublic: boolean; objectFormat?: ObjectFormat }): Promise<Repo> {
    await this.assertFree(path);
    const dir = repoDirectory(this.reposDir, path);
    if (existsSync(dir)) {
      throw new ConflictError(`${dir} already exists on disk but is not a registered repository; move it away first`, 'FERRY_REPO_EXISTS', { path });
    }
    const repo = await this.repos.create(path, kind, { isPublic: options.isPublic });
    try {
      await mkdir(dirname(dir), { recursive: true });
      await this.vcs[kind].init(dir, options.objectFormat ? { objectFormat: options.objectFormat } : {});
    } catch (err) {
      await this.repos.remove(path).catch(() => {});
      await rm(dir, { recursive: true, force: true });
      throw err instanceof FerryError ? err : new FerryError('FERRY_VCS_FAILED', `could not create ${path}: ${(err as Error).message}`, { cause: err });
    }
    return repo;
  }

  /**
   * Registers a repository directory that already holds a repo (an import moving its finished
   * copy into place). `prepared` is renamed to the repo's directory in one step.
   */
  async adopt(path: RepoPath, kind: RepoKind, prepared: string, options: { isPublic: boolean }): Promise<Repo> {
    await this.assertFree(path);
    const dir = repoDirectory(this.reposDir, path);
    const repo = await this.repos.create(path, kind, options);
    try {
      await mkdir(dirname(dir), { recursive: true });
      await rename(prepared, dir);
    } catch (err) {
      await this.repos.remove(path).catch(() => {});
      throw err;
    }
    return repo;
  }

  async remove(path: RepoPath): Promise<void> {
    const repo = await this.repos.byPath(path);
    await this.repos.remove(path);
    const dir = repoDirectory(this.reposDir, path);
    const trash = join(this.reposDir, '..', 'trash', `${Date.now()}-${path.replaceAll('/', '_')}`);
    await mkdir(dirname(trash), { recursive: true });
    if (existsSync(dir)) {
      await rename(dir, trash);
      await this.pruneEmptyParents(dirname(dir));
    }
    await rm(trash, { recursive: true, force: true });
    if (repo) this.events.emitRemoved({ repo });
  }

  async move(from: RepoPath, to: RepoPath): Promise<Repo> {
    const existing = await this.repos.byPath(from);
    if (!existing) throw new FerryError('FERRY_REPO_NOT_FOUND', `no repository at ${from}`, { data: { path: from } });
    await this.assertFree(to, from);
    const src = repoDirectory(this.reposDir, from);
    const dst = repoDirectory(this.reposDir, to);
    await mkdir(dirname(dst), { recursive: true });
    await rename(src, dst);
    try {
      const moved = await this.repos.rename(from, to);
      await this.pruneEmptyParents(dirname(src));
      this.events.emitRemoved({ repo: existing });
      return moved;
    } catch (err) {
      await rename(dst, src);
      throw err;
    }
  }

  private async assertFree(path: RepoPath, ignoring?: RepoPath): Promise<void> {
    const clash = await this.repos.overlapping(path);
    if (!clash || clash.path === ignoring) return;
    const how = clash.path === path ? 'already exists' : path.startsWith(`${clash.path}/`) ? `is a repository that would contain ${path}` : `would be inside ${path}`;
    throw new ConflictError(
      clash.path === path ? `repository ${path} already exists` : `cannot use ${path}: ${clash.path} ${how}; repositories may not nest`,
      'FERRY_REPO_EXISTS',
      { path, clash: clash.path },
    );
  }

  private async pruneEmptyParents(dir: string): Promise<void> {
    let current = dir;
    while (current.startsWith(this.reposDir) && current !== this.reposDir) {
      try {
        await rmdir(current);
      } catch {
        return;
      }
      current = dirname(current);
    }
  }
}
