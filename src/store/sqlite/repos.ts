import { ConflictError, NotFoundError } from '../../domain/errors.js';
import type { RepoKind } from '../../domain/repo-kind.js';
import type { RepoPath } from '../../domain/repo-path.js';
import { translateSqliteError, type SqliteDatabase } from '../../db/sqlite.js';
import type { Repo, RepoStore } from '../types.js';

export interface RepoRow {
  id: number;
  path: string;
  kind: string;
  is_public: number;
  created_at: string;
}

export const REPO_COLUMNS = 'id, path, kind, is_public, created_at';

export function repoFromRow(row: RepoRow): Repo {
  return {
    id: row.id,
    path: row.path as RepoPath,
    kind: row.kind as RepoKind,
    isPublic: row.is_public === 1,
    createdAt: row.created_at,
  };
}

const exists = (path: string) => new ConflictError(`repository ${path} already exists`, 'FERRY_REPO_EXISTS', { path, clash: path });

/**
 * Repos by id, found by path without regard to case (`Team/App` finds `team/app`; each keeps the
 * case it was created with, and two may not differ only in case). Each check-then-write runs in
 * one IMMEDIATE transaction, so the CLI and the server cannot race past the check.
 */
export class SqliteRepoStore implements RepoStore {
  constructor(private readonly db: SqliteDatabase) {}

  async create(path: RepoPath, kind: RepoKind, options: { isPublic: boolean }): Promise<Repo> {
    const insert = this.db.transaction(() => {
      const clash = this.row(path);
      if (clash) throw exists(clash.path);
      // A repo created where another was moved away from ends that redirect.
      this.db.prepare('DELETE FROM repo_redirects WHERE path = ?').run(path);
      return this.db
        .prepare(`INSERT INTO repos (path, kind, is_public) VALUES (?, ?, ?) RETURNING ${REPO_COLUMNS}`)
        .get(path, kind, options.isPublic ? 1 : 0) as RepoRow;
    });
    try {
      return repoFromRow(insert.immediate());
    } catch (err) {
      return translateSqliteError(err, () => exists(path));
    }
  }

  async byPath(path: RepoPath): Promise<Repo | undefined> {
    const row = this.row(path);
    return row && repoFromRow(row);
  }

  async movedFrom(path: RepoPath): Promise<Repo | undefined> {
    const row = this.db
      .prepare(`SELECT ${REPO_COLUMNS.split(', ').map((c) => `r.${c}`).join(', ')} FROM repo_redirects d JOIN repos r ON r.id = d.repo_id WHERE d.path = ?`)
      .get(path) as RepoRow | undefined;
    return row && !this.row(path) ? repoFromRow(row) : undefined;
  }

  async byId(id: number): Promise<Repo | undefined> {
    const row = this.db.prepare(`SELECT ${REPO_COLUMNS} FROM repos WHERE id = ?`).get(id) as RepoRow | undefined;
    return row && repoFromRow(row);
  }

  async list(): Promise<Repo[]> {
    return (this.db.prepare(`SELECT ${REPO_COLUMNS} FROM repos ORDER BY path`).all() as RepoRow[]).map(repoFromRow);
  }

  async overlapping(path: RepoPath): Promise<Repo | undefined> {
    const prefixes = path.split('/').map((_, i, all) => all.slice(0, i + 1).join('/').toLowerCase());
    const row = this.db
      .prepare(
        `SELECT ${REPO_COLUMNS} FROM repos
         WHERE lower(path) IN (SELECT value FROM json_each(?)) OR lower(substr(path, 1, ?)) = ?
         ORDER BY length(path) LIMIT 1`,
      )
      .get(JSON.stringify(prefixes), path.length + 1, `${path}/`.toLowerCase()) as RepoRow | undefined;
    return row && repoFromRow(row);
  }

  async remove(path: RepoPath): Promise<void> {
    const info = this.db.prepare('DELETE FROM repos WHERE path = ? COLLATE NOCASE').run(path);
    if (info.changes === 0) throw new NotFoundError(`no repository at ${path}`, 'FERRY_REPO_NOT_FOUND', { path });
  }

  async rename(from: RepoPath, to: RepoPath): Promise<Repo> {
    const move = this.db.transaction(() => {
      const repo = this.row(from);
      if (!repo) throw new NotFoundError(`no repository at ${from}`, 'FERRY_REPO_NOT_FOUND', { path: from });
      const clash = this.row(to);
      if (clash && clash.id !== repo.id) throw exists(clash.path);
      const row = this.db.prepare(`UPDATE repos SET path = ? WHERE id = ? RETURNING ${REPO_COLUMNS}`).get(to, repo.id) as RepoRow;
      this.db.prepare('DELETE FROM repo_redirects WHERE path = ?').run(to);
      // Only a change of more than case needs a redirect: lookups ignore case anyway.
      if (repo.path.toLowerCase() !== to.toLowerCase()) {
        this.db.prepare('INSERT OR REPLACE INTO repo_redirects (path, repo_id) VALUES (?, ?)').run(repo.path, repo.id);
      }
      return row;
    });
    try {
      return repoFromRow(move.immediate());
    } catch (err) {
      return translateSqliteError(err, () => exists(to));
    }
  }

  async setPublic(path: RepoPath, isPublic: boolean): Promise<Repo> {
    const row = this.db.prepare(`UPDATE repos SET is_public = ? WHERE path = ? COLLATE NOCASE RETURNING ${REPO_COLUMNS}`).get(isPublic ? 1 : 0, path) as
      | RepoRow
      | undefined;
    if (!row) throw new NotFoundError(`no repository at ${path}`, 'FERRY_REPO_NOT_FOUND', { path });
    return repoFromRow(row);
  }

  private row(path: string): RepoRow | undefined {
    return this.db.prepare(`SELECT ${REPO_COLUMNS} FROM repos WHERE path = ? COLLATE NOCASE`).get(path) as RepoRow | undefined;
  }
}
