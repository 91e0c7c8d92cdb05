import { NotFoundError } from '../../domain/errors.js';
import { keyInUseError, type PublicKey } from '../../domain/public-key.js';
import { changes, nowIso, row, rows, sql, translateDbError, type Db } from '../../db/database.js';
import type { KeyOwner, KeyStore, SshKey } from '../types.js';
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

const SELECT = sql.raw(`
  SELECT k.id, k.type, k.fingerprint, k.comment, k.blob, k.created_at, k.last_used_at, k.deploy_write,
         u.id AS u_id, u.name AS u_name, u.is_admin AS u_is_admin, u.created_at AS u_created_at,
         r.id AS r_id, r.path AS r_path, r.kind AS r_kind, r.is_public AS r_is_public, r.created_at AS r_created_at
  FROM ssh_keys k LEFT JOIN users u ON u.id = k.user_id LEFT JOIN repos r ON r.id = k.repo_id`);

function keyFromRow(r: KeyRow): SshKey {
  const owner: KeyOwner =
    r.u_id !== null
      ? { kind: 'user', user: userFromRow({ id: r.u_id, name: r.u_name, is_admin: r.u_is_admin, created_at: r.u_created_at }) }
      : {
          kind: 'deploy',
          write: r.deploy_write === 1,
          repo: repoFromRow({ id: r.r_id as number, path: r.r_path, kind: r.r_kind, is_public: r.r_is_public, created_at: r.r_created_at }),
        };
  return { id: r.id, type: r.type, fingerprint: r.fingerprint, comment: r.comment, blob: Buffer.from(r.blob), owner, createdAt: r.created_at, lastUsedAt: r.last_used_at };
}

export class SqlKeyStore implements KeyStore {
  constructor(private readonly db: Db) {}

  async addUserKey(userId: number, key: PublicKey): Promise<SshKey> {
    return this.insert(key, userId, null, false);
  }

  async addDeployKey(repoId: number, key: PublicKey, write: boolean): Promise<SshKey> {
    return this.insert(key, null, repoId, write);
  }

  private async insert(key: PublicKey, userId: number | null, repoId: number | null, write: boolean): Promise<SshKey> {
    const q = await this.db.q();
    let id: number;
    try {
      const r = await row(
        q,
        sql<{ id: number }>`INSERT INTO ssh_keys (user_id, repo_id, deploy_write, type, blob, fingerprint, comment)
          VALUES (${userId}, ${repoId}, ${write ? 1 : 0}, ${key.type}, ${key.blob}, ${key.fingerprint}, ${key.comment}) RETURNING id`,
      );
      id = (r as { id: number }).id;
    } catch (err) {
      return translateDbError(err, () => keyInUseError(key.fingerprint, 'it was not added'));
    }
    return keyFromRow((await row(q, sql<KeyRow>`${SELECT} WHERE k.id = ${id}`)) as KeyRow);
  }

  async byBlob(blob: Buffer): Promise<SshKey | undefined> {
    const r = await row(await this.db.q(), sql<KeyRow>`${SELECT} WHERE k.blob = ${blob}`);
    return r && keyFromRow(r);
  }

  async listForUser(userId: number): Promise<SshKey[]> {
    return (await rows(await this.db.q(), sql<KeyRow>`${SELECT} WHERE k.user_id = ${userId} ORDER BY k.id`)).map(keyFromRow);
  }

  async listForRepo(repoId: number): Promise<SshKey[]> {
    return (await rows(await this.db.q(), sql<KeyRow>`${SELECT} WHERE k.repo_id = ${repoId} ORDER BY k.id`)).map(keyFromRow);
  }

  async removeUserKey(userId: number, fingerprint: string): Promise<void> {
    if ((await changes(await this.db.q(), sql`DELETE FROM ssh_keys WHERE user_id = ${userId} AND fingerprint = ${fingerprint}`)) === 0) {
      throw new NotFoundError(`no key ${fingerprint} for that user`, 'FERRY_KEY_NOT_FOUND', { fingerprint });
    }
  }

  async removeDeployKey(repoId: number, fingerprint: string): Promise<void> {
    if ((await changes(await this.db.q(), sql`DELETE FROM ssh_keys WHERE repo_id = ${repoId} AND fingerprint = ${fingerprint}`)) === 0) {
      throw new NotFoundError(`no deploy key ${fingerprint} on that repository`, 'FERRY_KEY_NOT_FOUND', { fingerprint });
    }
  }

  async touch(id: number): Promise<void> {
    await sql`UPDATE ssh_keys SET last_used_at = ${nowIso()} WHERE id = ${id}`.execute(await this.db.q());
  }
}
