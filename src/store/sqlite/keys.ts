import { NotFoundError } from '../../domain/errors.js';
import { keyInUseError, type PublicKey } from '../../domain/public-key.js';
import { translateSqliteError, type SqliteDatabase } from '../../db/sqlite.js';
import type { KeyOwner, SshKey, KeyStore } from '../types.js';
import { repoFromRow } from './repos.js';
import { userFromRow } from './users.js';

interface KeyRow {
  id: number;
  type: string;
  fingerprint: string;
  comment: string;
  blob: Buffer;
  created_at: string;
  last_used_at: string | null;
  deploy_write: number;
  u_id: number | null;
  u_name: string;
  u_is_admin: number;
  u_created_at: string;
  r_id: number | null;
  r_path: string;
  r_kind: string;
  r_is_public: number;
  r_created_at: string;
}

const SELECT = `
  SELECT k.id, k.type, k.fingerprint, k.comment, k.blob, k.created_at, k.last_used_at, k.deploy_write,
         u.id AS u_id, u.name AS u_name, u.is_admin AS u_is_admin, u.created_at AS u_created_at,
         r.id AS r_id, r.path AS r_path, r.kind AS r_kind, r.is_public AS r_is_public, r.created_at AS r_created_at
  FROM ssh_keys k LEFT JOIN users u ON u.id = k.user_id LEFT JOIN repos r ON r.id = k.repo_id`;

function keyFromRow(row: KeyRow): SshKey {
  const owner: KeyOwner =
    row.u_id !== null
      ? { kind: 'user', user: userFromRow({ id: row.u_id, name: row.u_name, is_admin: row.u_is_admin, created_at: row.u_created_at }) }
      : {
          kind: 'deploy',
          write: row.deploy_write === 1,
          repo: repoFromRow({ id: row.r_id as number, path: row.r_path, kind: row.r_kind, is_public: row.r_is_public, created_at: row.r_created_at }),
        };
  return {
    id: row.id,
    type: row.type,
    fingerprint: row.fingerprint,
    comment: row.comment,
    blob: row.blob,
    owner,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

export class SqliteKeyStore implements KeyStore {
  constructor(private readonly db: SqliteDatabase) {}

  async addUserKey(userId: number, key: PublicKey): Promise<SshKey> {
    return this.insert(key, userId, null, false);
  }

  async addDeployKey(repoId: number, key: PublicKey, write: boolean): Promise<SshKey> {
    return this.insert(key, null, repoId, write);
  }

  private insert(key: PublicKey, userId: number | null, repoId: number | null, write: boolean): SshKey {
    let id: number;
    try {
      id = Number(
        this.db
          .prepare('INSERT INTO ssh_keys (user_id, repo_id, deploy_write, type, blob, fingerprint, comment) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(userId, repoId, write ? 1 : 0, key.type, key.blob, key.fingerprint, key.comment).lastInsertRowid,
      );
    } catch (err) {
      return translateSqliteError(err, () => keyInUseError(key.fingerprint, 'it was not added'));
    }
    return keyFromRow(this.db.prepare(`${SELECT} WHERE k.id = ?`).get(id) as KeyRow);
  }

  async byBlob(blob: Buffer): Promise<SshKey | undefined> {
    const row = this.db.prepare(`${SELECT} WHERE k.blob = ?`).get(blob) as KeyRow | undefined;
    return row && keyFromRow(row);
  }

  async listForUser(userId: number): Promise<SshKey[]> {
    return (this.db.prepare(`${SELECT} WHERE k.user_id = ? ORDER BY k.id`).all(userId) as KeyRow[]).map(keyFromRow);
  }

  async listForRepo(repoId: number): Promise<SshKey[]> {
    return (this.db.prepare(`${SELECT} WHERE k.repo_id = ? ORDER BY k.id`).all(repoId) as KeyRow[]).map(keyFromRow);
  }

  async removeUserKey(userId: number, fingerprint: string): Promise<void> {
    const info = this.db.prepare('DELETE FROM ssh_keys WHERE user_id = ? AND fingerprint = ?').run(userId, fingerprint);
    if (info.changes === 0) throw new NotFoundError(`no key ${fingerprint} for that user`, 'FERRY_KEY_NOT_FOUND', { fingerprint });
  }

  async removeDeployKey(repoId: number, fingerprint: string): Promise<void> {
    const info = this.db.prepare('DELETE FROM ssh_keys WHERE repo_id = ? AND fingerprint = ?').run(repoId, fingerprint);
    if (info.changes === 0) throw new NotFoundError(`no deploy key ${fingerprint} on that repository`, 'FERRY_KEY_NOT_FOUND', { fingerprint });
  }

  async touch(id: number): Promise<void> {
    this.db.prepare("UPDATE ssh_keys SET last_used_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?").run(id);
  }
}
