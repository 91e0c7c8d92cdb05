import type { SqliteDatabase } from '../../db/sqlite.js';
import type { SessionStore, WebSession } from '../sessions.js';

interface SessionRow {
  user_id: number;
  csrf: string;
  expires_at: string;
}

export class SqliteSessionStore implements SessionStore {
  constructor(private readonly db: SqliteDatabase) {}

  async create(idHash: string, userId: number, csrf: string, expiresAt: Date): Promise<void> {
    this.db.prepare('INSERT INTO web_sessions (id_hash, user_id, csrf, expires_at) VALUES (?, ?, ?, ?)').run(idHash, userId, csrf, expiresAt.toISOString());
  }

  async byHash(idHash: string, now: Date): Promise<WebSession | undefined> {
    const row = this.db.prepare('SELECT user_id, csrf, expires_at FROM web_sessions WHERE id_hash = ? AND expires_at > ?').get(idHash, now.toISOString()) as
      | SessionRow
      | undefined;
    return row && { userId: row.user_id, csrf: row.csrf, expiresAt: row.expires_at };
  }

  async remove(idHash: string): Promise<void> {
    this.db.prepare('DELETE FROM web_sessions WHERE id_hash = ?').run(idHash);
  }

  async removeForUser(userId: number, exceptIdHash?: string): Promise<void> {
    this.db.prepare('DELETE FROM web_sessions WHERE user_id = ? AND id_hash <> ?').run(userId, exceptIdHash ?? '');
  }

  async removeExpired(now: Date): Promise<void> {
    this.db.prepare('DELETE FROM web_sessions WHERE expires_at <= ?').run(now.toISOString());
  }
}
