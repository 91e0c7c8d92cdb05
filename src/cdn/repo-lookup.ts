import type { SqliteDatabase } from '../db/sqlite.js';
import type { RepoPath } from '../domain/repo-path.js';
import { REPO_COLUMNS, repoFromRow, type RepoRow } from '../store/sqlite/repos.js';
import type { Repo } from '../store/types.js';

/**
 * The CDN's hot-path repo lookup: one statement prepared once (the shared store prepares per
 * call, which showed up at ~15% of CPU under load). Always asks the database, so a repo made
 * private or removed by another process is answered correctly on the very next request.
 */
export class CdnRepoLookup {
  private readonly byPathStatement;

  constructor(db: SqliteDatabase) {
    this.byPathStatement = db.prepare(`SELECT ${REPO_COLUMNS} FROM repos WHERE path = ?`);
  }

  async byPath(path: RepoPath): Promise<Repo | undefined> {
    const row = this.byPathStatement.get(path) as RepoRow | undefined;
    return row && repoFromRow(row);
  }
}
