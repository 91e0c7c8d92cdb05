import type { GrantLevel } from '../../domain/access-level.js';
import { NotFoundError } from '../../domain/errors.js';
import type { UserName } from '../../domain/user-name.js';
import type { SqliteDatabase } from '../../db/sqlite.js';
import type { Grant, GrantStore } from '../types.js';

interface GrantRow {
  user_id: number;
  name: string;
  repo_id: number | null;
  path: string | null;
  prefix: string | null;
  level: string;
}

function grantFromRow(row: GrantRow): Grant {
  return {
    userId: row.user_id,
    user: row.name as UserName,
    repoId: row.repo_id,
    target: row.prefix ?? (row.path as string),
    level: row.level as GrantLevel,
  };
}

const SELECT = `SELECT g.user_id, u.name, g.repo_id, r.path, g.prefix, g.level
  FROM repo_grants g JOIN users u ON u.id = g.user_id LEFT JOIN repos r ON r.id = g.repo_id`;

/**
 * Grants on one repo hold its id (so they follow `repo mv` and die with `repo rm`); grants on a
 * group hold the `prefix/`. A target path is resolved to the repo at it, without regard to case.
 */
export class SqliteGrantStore implements GrantStore {
  constructor(private readonly db: SqliteDatabase) {}

  async set(userId: number, target: string, level: GrantLevel): Promise<void> {
    if (target.endsWith('/')) {
      this.db
        .prepare('INSERT INTO repo_grants (user_id, prefix, level) VALUES (?, ?, ?) ON CONFLICT (user_id, prefix) WHERE prefix IS NOT NULL DO UPDATE SET level = excluded.level, prefix = excluded.prefix')
        .run(userId, target, level);
      return;
    }
    const repoId = this.repoIdAt(target);
    this.db
      .prepare('INSERT INTO repo_grants (user_id, repo_id, level) VALUES (?, ?, ?) ON CONFLICT (user_id, repo_id) WHERE repo_id IS NOT NULL DO UPDATE SET level = excluded.level')
      .run(userId, repoId, level);
  }

  async remove(userId: number, target: string): Promise<boolean> {
    if (target.endsWith('/')) return this.db.prepare('DELETE FROM repo_grants WHERE user_id = ? AND prefix = ?').run(userId, target).changes > 0;
    const repo = this.db.prepare('SELECT id FROM repos WHERE path = ? COLLATE NOCASE').get(target) as { id: number } | undefined;
    return repo !== undefined && this.db.prepare('DELETE FROM repo_grants WHERE user_id = ? AND repo_id = ?').run(userId, repo.id).changes > 0;
  }

  async forUser(userId: number): Promise<Grant[]> {
    return (this.db.prepare(`${SELECT} WHERE g.user_id = ? ORDER BY coalesce(g.prefix, r.path)`).all(userId) as GrantRow[]).map(grantFromRow);
  }

  async list(): Promise<Grant[]> {
    return (this.db.prepare(`${SELECT} ORDER BY coalesce(g.prefix, r.path), u.name`).all() as GrantRow[]).map(grantFromRow);
  }

  private repoIdAt(path: string): number {
    const row = this.db.prepare('SELECT id FROM repos WHERE path = ? COLLATE NOCASE').get(path) as { id: number } | undefined;
    if (!row) {
      throw new NotFoundError(`no repository at ${path}: grant on an existing repository, or on a group with a trailing / (${path}/)`, 'FERRY_REPO_NOT_FOUND', { path });
    }
    return row.id;
  }
}
