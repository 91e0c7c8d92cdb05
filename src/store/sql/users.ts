import { ConflictError, NotFoundError } from '../../domain/errors.js';
import type { UserName } from '../../domain/user-name.js';
import { changes, row, rows, sql, translateDbError, type Db } from '../../db/database.js';
import type { User, UserStore } from '../types.js';

export interface UserRow {
  id: number;
  name: string;
  is_admin: number;
  created_at: string;
}

export function userFromRow(r: UserRow): User {
  return { id: r.id, name: r.name as UserName, isAdmin: r.is_admin === 1, createdAt: r.created_at };
}

const COLUMNS = sql.raw('id, name, is_admin, created_at');

/** Users, names matched without regard to case (the column's NOCASE collation on both engines). */
export class SqlUserStore implements UserStore {
  constructor(private readonly db: Db) {}

  async create(name: UserName, options: { admin: boolean }): Promise<User> {
    const q = await this.db.q();
    try {
      return userFromRow((await row(q, sql<UserRow>`INSERT INTO users (name, is_admin) VALUES (${name}, ${options.admin ? 1 : 0}) RETURNING ${COLUMNS}`)) as UserRow);
    } catch (err) {
      return translateDbError(err, () => new ConflictError(`user ${name} already exists`, 'FERRY_USER_EXISTS', { name }));
    }
  }

  async byName(name: string): Promise<User | undefined> {
    const r = await row(await this.db.q(), sql<UserRow>`SELECT ${COLUMNS} FROM users WHERE name = ${name}`);
    return r && userFromRow(r);
  }

  async byId(id: number): Promise<User | undefined> {
    const r = await row(await this.db.q(), sql<UserRow>`SELECT ${COLUMNS} FROM users WHERE id = ${id}`);
    return r && userFromRow(r);
  }

  async list(): Promise<User[]> {
    return (await rows(await this.db.q(), sql<UserRow>`SELECT ${COLUMNS} FROM users ORDER BY name`)).map(userFromRow);
  }

  async count(): Promise<number> {
    return Number((await row(await this.db.q(), sql<{ n: number }>`SELECT count(*) AS n FROM users`))?.n ?? 0);
  }

  async remove(name: UserName): Promise<void> {
    if ((await changes(await this.db.q(), sql`DELETE FROM users WHERE name = ${name}`)) === 0) {
      throw new NotFoundError(`no user named ${name}`, 'FERRY_USER_NOT_FOUND', { name });
    }
  }

  async setAdmin(name: UserName, admin: boolean): Promise<void> {
    if ((await changes(await this.db.q(), sql`UPDATE users SET is_admin = ${admin ? 1 : 0} WHERE name = ${name}`)) === 0) {
      throw new NotFoundError(`no user named ${name}`, 'FERRY_USER_NOT_FOUND', { name });
    }
  }

  async setPasswordHash(userId: number, hash: string | null): Promise<void> {
    await sql`UPDATE users SET password_hash = ${hash} WHERE id = ${userId}`.execute(await this.db.q());
  }

  async passwordHash(userId: number): Promise<string | null> {
    return (await row(await this.db.q(), sql<{ password_hash: string | null }>`SELECT password_hash FROM users WHERE id = ${userId}`))?.password_hash ?? null;
  }
}
