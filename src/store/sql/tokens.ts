import { NotFoundError } from '../../domain/errors.js';
import { changes, nowIso, row, rows, sql, type Db } from '../../db/database.js';
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

const COLUMNS = sql.raw('id, user_id, read_only, label, created_at, last_used_at, expires_at');

function tokenFromRow(r: TokenRow): Token {
  return { id: r.id, userId: r.user_id, readOnly: r.read_only === 1, label: r.label, createdAt: r.created_at, lastUsedAt: r.last_used_at, expiresAt: r.expires_at };
}

export class SqlTokenStore implements TokenStore {
  constructor(private readonly db: Db) {}

  async create(userId: number, hash: string, options: { readOnly: boolean; label: string; expiresAt?: Date | null }): Promise<Token> {
    const r = await row(
      await this.db.q(),
      sql<TokenRow>`INSERT INTO tokens (user_id, hash, read_only, label, expires_at)
        VALUES (${userId}, ${hash}, ${options.readOnly ? 1 : 0}, ${options.label}, ${options.expiresAt ? options.expiresAt.toISOString() : null}) RETURNING ${COLUMNS}`,
    );
    return tokenFromRow(r as TokenRow);
  }

  async byHash(hash: string): Promise<Token | undefined> {
    const r = await row(await this.db.q(), sql<TokenRow>`SELECT ${COLUMNS} FROM tokens WHERE hash = ${hash}`);
    return r && tokenFromRow(r);
  }

  async listForUser(userId: number): Promise<Token[]> {
    return (await rows(await this.db.q(), sql<TokenRow>`SELECT ${COLUMNS} FROM tokens WHERE user_id = ${userId} ORDER BY id`)).map(tokenFromRow);
  }

  async remove(userId: number, id: number): Promise<void> {
    if ((await changes(await this.db.q(), sql`DELETE FROM tokens WHERE user_id = ${userId} AND id = ${id}`)) === 0) {
      throw new NotFoundError(`no token ${id} for that user`, 'FERRY_TOKEN_NOT_FOUND', { id });
    }
  }

  async touch(id: number): Promise<void> {
    await sql`UPDATE tokens SET last_used_at = ${nowIso()} WHERE id = ${id}`.execute(await this.db.q());
  }
}
