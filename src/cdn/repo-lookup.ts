import { row, sql, type Db } from '../db/database.js';
import type { RepoPath } from '../domain/repo-path.js';
import { REPO_COLUMNS, repoFromRow, type RepoRow } from '../store/sql/repos.js';
import type { Repo } from '../store/types.js';

/** How long a looked-up repo row is reused: the longest a change made by another process waits to reach the CDN. */
export const REPO_LOOKUP_TTL_MS = 1_000;

/**
 * The CDN's hot-path repo lookup, on either engine. Under load the database read was the largest
 * single cost of a CDN request (~18% of CPU on SQLite; a network round trip on PostgreSQL), so
 * rows are cached by path for REPO_LOOKUP_TTL_MS, and dropped at once when this process changes a
 * repo (clear(), called on repo events): a repo made private, moved or removed by another process
 * (the CLI, another node) is answered correctly at most a second later. Concurrent misses on one
 * path share one query. Paths match without regard to case, as in the repo store.
 */
export class CdnRepoLookup {
  private readonly recent = new Map<string, { repo: Promise<Repo | undefined>; at: number }>();

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  async byPath(path: RepoPath): Promise<Repo | undefined> {
    const now = this.now();
    const hit = this.recent.get(path);
    if (hit && now - hit.at < REPO_LOOKUP_TTL_MS) return hit.repo;
    const repo = this.load(path);
    if (this.recent.size >= 10_000) this.recent.clear();
    this.recent.set(path, { repo, at: now });
    repo.catch(() => this.recent.delete(path));
    return repo;
  }

  /**
   * The row read now, whatever is cached, and cached from here: for the once-a-second check of
   * reused answers, which must not take a cached row for the answer it is checking (a repo removed
   * and another made at its path from the CLI kept its old files served a second longer).
   */
  async byPathNow(path: RepoPath): Promise<Repo | undefined> {
    const repo = this.load(path);
    if (this.recent.size >= 10_000) this.recent.clear();
    this.recent.set(path, { repo, at: this.now() });
    repo.catch(() => this.recent.delete(path));
    return repo;
  }

  /** Forgets everything (a repo was changed, removed or moved in this process). */
  clear(): void {
    this.recent.clear();
  }

  private async load(path: string): Promise<Repo | undefined> {
    const r = await row(await this.db.q(), sql<RepoRow>`SELECT ${REPO_COLUMNS} FROM repos WHERE path = ${path} COLLATE NOCASE`);
    return r && repoFromRow(r);
  }
}
