import { NotFoundError } from '../../domain/errors.js';
import type { SqliteDatabase } from '../../db/sqlite.js';
import type { Token, TokenStore } from '../types.js';

interface TokenRow {
  id: number;
  user_id: number;
  read_only: number;
  label: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
}

const COLUMNS = 'id, user_id, read_only, label, created_at, last_used_at, expires_at';

function tokenFromRow(row: TokenRow): Token {
  return { id: row.id, userId: row.user_id, readOnly: row.read_only === 1, label: row.label, createdAt: row.created_at, lastUsedAt: row.last_used_at, expiresAt: row.expires_at };
}

export class SqliteTokenStore implements TokenStore {
  constructor(private readonly db: SqliteDatabase) {}

  async create(userId: number, hash: string, options: { readOnly: boolean; label: string; expiresAt?: Date | null }): Promise<Token> {
    const row = this.db
      .prepare(`INSERT INTO tokens (user_id, hash, read_only, label, expires_at) VALUES (?, ?, ?, ?, ?) RETURNING ${COLUMNS}`)
      .get(userId, hash, options.readOnly ? 1 : 0, options.label, options.expiresAt ? options.expiresAt.toISOString() : null) as TokenRow;
    return tokenFromRow(row);
  }

  async byHash(hash: string): Promise<Token | undefined> {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM tokens WHERE hash = ?`).get(hash) as TokenRow | undefined;
    return row && tokenFromRow(row);
  }

  async listForUser(userId: number): Promise<Token[]> {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM tokens WHERE user_id = ? ORDER BY id`).all(userId) as TokenRow[]).map(tokenFromRow);
  }

  async remove(userId: number, id: number): Promise<void> {
    const info = this.db.prepare('DELETE FROM tokens WHERE user_id = ? AND id = ?').run(userId, id);
    if (info.changes === 0) throw new NotFoundError(`no token ${id} for that user`, 'FERRY_TOKEN_NOT_FOUND', { id });
  }

  async touch(id: number): Promise<void> {
    this.db.prepare("UPDATE tokens SET last_used_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?").run(id);
  }
}
