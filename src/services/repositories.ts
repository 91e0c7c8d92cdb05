import { existsSync } from 'node:fs';
import { mkdir, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConflictError, FerryError } from '../domain/errors.js';
import type { RepoKind } from '../domain/repo-kind.js';
import { assertNewRepoPath, type RepoPath } from '../domain/repo-path.js';
import type { RepoEvents } from '../events/repo-events.js';
import { LocalLocks, repoLockKey, type ClusterLocks } from '../cluster/locks.js';
import { repoDirectory } from '../storage/repo-dirs.js';
import type { Repo, RepoStore } from '../store/types.js';
import type { ObjectFormat, VcsAdapters } from '../vcs/types.js';

/** The lock every change of the set of repo paths takes (src/cluster/locks.ts). */
const NAMESPACE_LOCK = 'repos:namespace';

/** Creating, moving and removing repositories: the database row and the directory, together. */
export class RepositoryService {
  constructor(
    private readonly repos: RepoStore,
    private readonly vcs: VcsAdapters,
    private readonly reposDir: string,
    private readonly events: RepoEvents,
    /** Shared with the other nodes (src/cluster/locks.ts); in-process on one node. */
    private readonly locks: ClusterLocks = new LocalLocks(),
  ) {}

  directoryOf(repo: Pick<Repo, 'path'>): string {
    return repoDirectory(this.reposDir, repo.path);
  }

  async create(path: RepoPath, kind: RepoKind, options: { isPublic: boolean; objectFormat?: ObjectFormat }): Promise<Repo> {
    assertNewRepoPath(path);
    return this.locked([path], () => this.createNow(path, kind, options));
  }

  private async createNow(path: RepoPath, kind: RepoKind, options: { isPublic: boolean; objectFormat?: ObjectFormat }): Promise<Repo> {
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
    assertNewRepoPath(path);
    return this.locked([path], () => this.adoptNow(path, kind, prepared, options));
  }

  private async adoptNow(path: RepoPath, kind: RepoKind, prepared: string, options: { isPublic: boolean }): Promise<Repo> {
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
    return this.locked([path], () => this.removeNow(path));
  }

  /**
   * Makes the repo at `path` public or private, and returns once everything serving it in this
   * process and its CDN workers (and the other nodes) has heard: a repo made private from a web
   * form or the API is refused to the anonymous from the moment the answer comes back, not a
   * lookup's lifetime later. The CLI, another process, reaches a running server only through its
   * lookups' expiry.
   * @throws FerryError (FERRY_REPO_NOT_FOUND) when there is no repo at `path`
   */
  async setPublic(path: RepoPath, isPublic: boolean): Promise<Repo> {
    const repo = await this.repos.setPublic(path, isPublic);
    await this.events.emitChanged({ repo, cause: 'admin' });
    return repo;
  }

  private async removeNow(path: RepoPath): Promise<void> {
    const repo = await this.repos.byPath(path);
    if (!repo) throw new FerryError('FERRY_REPO_NOT_FOUND', `no repository at ${path}`, { data: { path } });
    await this.repos.remove(repo.path);
    // The directory has the case the repo was created with, whatever case `path` was typed in.
    const dir = repoDirectory(this.reposDir, repo.path);
    const trash = join(this.reposDir, '..', 'trash', `${Date.now()}-${repo.path.replaceAll('/', '_')}`);
    await mkdir(dirname(trash), { recursive: true });
    if (existsSync(dir)) {
      await rename(dir, trash);
      await this.pruneEmptyParents(dirname(dir));
    }
    await rm(trash, { recursive: true, force: true });
    this.events.emitRemoved({ repo });
  }

  async move(from: RepoPath, to: RepoPath): Promise<Repo> {
    assertNewRepoPath(to);
    return this.locked([from, to], () => this.moveNow(from, to));
  }

  /**
   * Runs `work` holding the namespace lock (paths nest, so two creates, moves or removals never
   * interleave, on any node) and then each named repo's lock (what housekeeping and clone-bundle
   * builds of those repos take). Always in this order, keys sorted: no two callers deadlock.
   */
  private locked<T>(paths: readonly string[], work: () => Promise<T>): Promise<T> {
    const keys = [...new Set(paths.map(repoLockKey))].sort();
    const inner = keys.reduceRight<() => Promise<T>>((next, key) => () => this.locks.withLock(key, next), work);
    return this.locks.withLock(NAMESPACE_LOCK, inner);
  }

  private async moveNow(from: RepoPath, to: RepoPath): Promise<Repo> {
    const existing = await this.repos.byPath(from);
    if (!existing) throw new FerryError('FERRY_REPO_NOT_FOUND', `no repository at ${from}`, { data: { path: from } });
    await this.assertFree(to, existing.path);
    const src = repoDirectory(this.reposDir, existing.path);
    const dst = repoDirectory(this.reposDir, to);
    await mkdir(dirname(dst), { recursive: true });
    await rename(src, dst);
    try {
      const moved = await this.repos.rename(existing.path, to);
      await this.pruneEmptyParents(dirname(src));
      this.events.emitRemoved({ repo: existing, movedTo: moved.path });
      return moved;
    } catch (err) {
      await rename(dst, src);
      throw err;
    }
  }

  private async assertFree(path: RepoPath, ignoring?: RepoPath): Promise<void> {
    // Paths are compared without regard to case: two repos may not differ only in case.
    const clash = await this.repos.overlapping(path);
    const lower = path.toLowerCase();
    if (!clash || clash.path.toLowerCase() === ignoring?.toLowerCase()) return;
    const same = clash.path.toLowerCase() === lower;
    const how = same ? 'already exists' : lower.startsWith(`${clash.path.toLowerCase()}/`) ? `is a repository that would contain ${path}` : `would be inside ${path}`;
    throw new ConflictError(
      same ? `repository ${clash.path} already exists${clash.path === path ? '' : ' (paths are matched without regard to case)'}` : `cannot use ${path}: ${clash.path} ${how}; repositories may not nest`,
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
