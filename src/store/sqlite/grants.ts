import type { GrantLevel } from '../../domain/access-level.js';
import type { UserName } from '../../domain/user-name.js';
import type { SqliteDatabase } from '../../db/sqlite.js';
import type { Grant, GrantStore } from '../types.js';

interface GrantRow {
  user_id: number;
  name: string;
  target: string;
  level: string;
}

function grantFromRow(row: GrantRow): Grant {
  return { userId: row.user_id, user: row.name as UserName, target: row.target, level: row.level as GrantLevel };
}

const SELECT = 'SELECT g.user_id, u.name, g.target, g.level FROM grants g JOIN users u ON u.id = g.user_id';

export class SqliteGrantStore implements GrantStore {
  constructor(private readonly db: SqliteDatabase) {}

  async set(userId: number, target: string, level: GrantLevel): Promise<void> {
    this.db
      .prepare('INSERT INTO grants (user_id, target, level) VALUES (?, ?, ?) ON CONFLICT (user_id, target) DO UPDATE SET level = excluded.level')
      .run(userId, target, level);
  }

  async remove(userId: number, target: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM grants WHERE user_id = ? AND target = ?').run(userId, target).changes > 0;
  }

  async forUser(userId: number): Promise<Grant[]> {
    return (this.db.prepare(`${SELECT} WHERE g.user_id = ? ORDER BY g.target`).all(userId) as GrantRow[]).map(grantFromRow);
  }

  async list(): Promise<Grant[]> {
    return (this.db.prepare(`${SELECT} ORDER BY g.target, u.name`).all() as GrantRow[]).map(grantFromRow);
  }
}
