import type { SqliteDatabase } from '../db/sqlite.js';
import type { RepoPath } from '../domain/repo-path.js';
import { REPO_COLUMNS, repoFromRow, type RepoRow } from '../store/sqlite/repos.js';
import type { Repo } from '../store/types.js';

/** How long a looked-up repo row is reused: the longest a visibility change waits to reach the CDN. */
export const REPO_LOOKUP_TTL_MS = 1_000;

/**
 * The CDN's hot-path repo lookup. Under load the SQLite read was the largest single cost of a
 * CDN request (~18% of CPU), so rows are reused for REPO_LOOKUP_TTL_MS: a repo made private,
 * moved or removed by another process (the CLI) is answered correctly at most a second later.
 * Paths match without regard to case, as in the repo store.
 */
export class CdnRepoLookup {
  private readonly byPathStatement;
  private readonly recent = new Map<string, { repo: Repo | undefined; at: number }>();

  constructor(
    db: SqliteDatabase,
    private readonly now: () => number = Date.now,
  ) {
    this.byPathStatement = db.prepare(`SELECT ${REPO_COLUMNS} FROM repos WHERE path = ? COLLATE NOCASE`);
  }

  async byPath(path: RepoPath): Promise<Repo | undefined> {
    const now = this.now();
    const hit = this.recent.get(path);
    if (hit && now - hit.at < REPO_LOOKUP_TTL_MS) return hit.repo;
    const row = this.byPathStatement.get(path) as RepoRow | undefined;
    const repo = row && repoFromRow(row);
    if (this.recent.size >= 10_000) this.recent.clear();
    this.recent.set(path, { repo, at: now });
    return repo;
  }

  /** Forgets everything (a repo was removed or moved in this process). */
  clear(): void {
    this.recent.clear();
  }
}
