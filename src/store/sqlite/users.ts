import { ConflictError, NotFoundError } from '../../domain/errors.js';
import type { UserName } from '../../domain/user-name.js';
import { translateSqliteError, type SqliteDatabase } from '../../db/sqlite.js';
import type { User, UserStore } from '../types.js';

interface UserRow {
  id: number;
  name: string;
  is_admin: number;
  created_at: string;
}

export function userFromRow(row: UserRow): User {
  return { id: row.id, name: row.name as UserName, isAdmin: row.is_admin === 1, createdAt: row.created_at };
}

const COLUMNS = 'id, name, is_admin, created_at';

export class SqliteUserStore implements UserStore {
  constructor(private readonly db: SqliteDatabase) {}

  async create(name: UserName, options: { admin: boolean }): Promise<User> {
    try {
      const row = this.db
        .prepare(`INSERT INTO users (name, is_admin) VALUES (?, ?) RETURNING ${COLUMNS}`)
        .get(name, options.admin ? 1 : 0) as UserRow;
      return userFromRow(row);
    } catch (err) {
      return translateSqliteError(err, () => new ConflictError(`user ${name} already exists`, 'FERRY_USER_EXISTS', { name }));
    }
  }

  async byName(name: string): Promise<User | undefined> {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM users WHERE name = ?`).get(name) as UserRow | undefined;
    return row && userFromRow(row);
  }

  async byId(id: number): Promise<User | undefined> {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM users WHERE id = ?`).get(id) as UserRow | undefined;
    return row && userFromRow(row);
  }

  async list(): Promise<User[]> {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM users ORDER BY name`).all() as UserRow[]).map(userFromRow);
  }

  async count(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
  }

  async remove(name: UserName): Promise<void> {
    const info = this.db.prepare('DELETE FROM users WHERE name = ?').run(name);
    if (info.changes === 0) throw new NotFoundError(`no user named ${name}`, 'FERRY_USER_NOT_FOUND', { name });
  }

  async setAdmin(name: UserName, admin: boolean): Promise<void> {
    const info = this.db.prepare('UPDATE users SET is_admin = ? WHERE name = ?').run(admin ? 1 : 0, name);
    if (info.changes === 0) throw new NotFoundError(`no user named ${name}`, 'FERRY_USER_NOT_FOUND', { name });
  }

  async setPasswordHash(userId: number, hash: string | null): Promise<void> {
    this.db.prepare('UPDATE users SET password_hash = ? WHERE id = ?').run(hash, userId);
  }

  async passwordHash(userId: number): Promise<string | null> {
    const row = this.db.prepare('SELECT password_hash FROM users WHERE id = ?').get(userId) as { password_hash: string | null } | undefined;
    return row?.password_hash ?? null;
  }
}
