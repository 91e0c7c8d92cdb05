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

export class SqliteRepoStore implements RepoStore {
  constructor(private readonly db: SqliteDatabase) {}

  async create(path: RepoPath, kind: RepoKind, options: { isPublic: boolean }): Promise<Repo> {
    try {
      const row = this.db
        .prepare(`INSERT INTO repos (path, kind, is_public) VALUES (?, ?, ?) RETURNING ${REPO_COLUMNS}`)
        .get(path, kind, options.isPublic ? 1 : 0) as RepoRow;
      return repoFromRow(row);
    } catch (err) {
      return translateSqliteError(err, () => new ConflictError(`repository ${path} already exists`, 'FERRY_REPO_EXISTS', { path }));
    }
  }

  async byPath(path: RepoPath): Promise<Repo | undefined> {
    const row = this.db.prepare(`SELECT ${REPO_COLUMNS} FROM repos WHERE path = ?`).get(path) as RepoRow | undefined;
    return row && repoFromRow(row);
  }

  async byId(id: number): Promise<Repo | undefined> {
    const row = this.db.prepare(`SELECT ${REPO_COLUMNS} FROM repos WHERE id = ?`).get(id) as RepoRow | undefined;
    return row && repoFromRow(row);
  }

  async list(): Promise<Repo[]> {
    return (this.db.prepare(`SELECT ${REPO_COLUMNS} FROM repos ORDER BY path`).all() as RepoRow[]).map(repoFromRow);
  }

  async overlapping(path: RepoPath): Promise<Repo | undefined> {
    const prefixes = path.split('/').map((_, i, all) => all.slice(0, i + 1).join('/'));
    const row = this.db
      .prepare(
        `SELECT ${REPO_COLUMNS} FROM repos
         WHERE path IN (SELECT value FROM json_each(?)) OR substr(path, 1, ?) = ?
         ORDER BY length(path) LIMIT 1`,
      )
      .get(JSON.stringify(prefixes), path.length + 1, `${path}/`) as RepoRow | undefined;
    return row && repoFromRow(row);
  }

  async remove(path: RepoPath): Promise<void> {
    const info = this.db.prepare('DELETE FROM repos WHERE path = ?').run(path);
    if (info.changes === 0) throw new NotFoundError(`no repository at ${path}`, 'FERRY_REPO_NOT_FOUND', { path });
  }

  async rename(from: RepoPath, to: RepoPath): Promise<Repo> {
    try {
      const row = this.db.prepare(`UPDATE repos SET path = ? WHERE path = ? RETURNING ${REPO_COLUMNS}`).get(to, from) as RepoRow | undefined;
      if (!row) throw new NotFoundError(`no repository at ${from}`, 'FERRY_REPO_NOT_FOUND', { path: from });
      return repoFromRow(row);
    } catch (err) {
      return translateSqliteError(err, () => new ConflictError(`repository ${to} already exists`, 'FERRY_REPO_EXISTS', { path: to }));
    }
  }

  async setPublic(path: RepoPath, isPublic: boolean): Promise<Repo> {
    const row = this.db.prepare(`UPDATE repos SET is_public = ? WHERE path = ? RETURNING ${REPO_COLUMNS}`).get(isPublic ? 1 : 0, path) as
      | RepoRow
      | undefined;
    if (!row) throw new NotFoundError(`no repository at ${path}`, 'FERRY_REPO_NOT_FOUND', { path });
    return repoFromRow(row);
  }
}
