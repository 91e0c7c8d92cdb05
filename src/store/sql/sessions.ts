import { row, sql, type Db } from '../../db/database.js';
import type { SessionStore, WebSession } from '../sessions.js';

interface SessionRow {
  user_id: number;
  csrf: string;
  expires_at: string;
}

/** Web sessions in the database, so every node sharing it knows every session. */
export class SqlSessionStore implements SessionStore {
  constructor(private readonly db: Db) {}

  async create(idHash: string, userId: number, csrf: string, expiresAt: Date): Promise<void> {
    await sql`INSERT INTO web_sessions (id_hash, user_id, csrf, expires_at) VALUES (${idHash}, ${userId}, ${csrf}, ${expiresAt.toISOString()})`.execute(await this.db.q());
  }

  async byHash(idHash: string, now: Date): Promise<WebSession | undefined> {
    const r = await row(await this.db.q(), sql<SessionRow>`SELECT user_id, csrf, expires_at FROM web_sessions WHERE id_hash = ${idHash} AND expires_at > ${now.toISOString()}`);
    return r && { userId: r.user_id, csrf: r.csrf, expiresAt: r.expires_at };
  }

  async remove(idHash: string): Promise<void> {
    await sql`DELETE FROM web_sessions WHERE id_hash = ${idHash}`.execute(await this.db.q());
  }

  async removeForUser(userId: number, exceptIdHash?: string): Promise<void> {
    await sql`DELETE FROM web_sessions WHERE user_id = ${userId} AND id_hash <> ${exceptIdHash ?? ''}`.execute(await this.db.q());
  }

  async removeExpired(now: Date): Promise<void> {
    await sql`DELETE FROM web_sessions WHERE expires_at <= ${now.toISOString()}`.execute(await this.db.q());
  }
}
