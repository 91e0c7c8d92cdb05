import type { Kysely } from 'kysely';
import { ConflictError, NotFoundError } from '../../domain/errors.js';
import type { RepoKind } from '../../domain/repo-kind.js';
import type { RepoPath } from '../../domain/repo-path.js';
import { changes, inTransaction, row, rows, sql, translateDbError, type Db, type Tables } from '../../db/database.js';
import type { Repo, RepoStore } from '../types.js';

export interface RepoRow {
  id: number;
  path: string;
  kind: string;
  is_public: number;
  created_at: string;
}

export const REPO_COLUMNS = sql.raw('id, path, kind, is_public, created_at');
const R_COLUMNS = sql.raw('r.id, r.path, r.kind, r.is_public, r.created_at');

export function repoFromRow(r: RepoRow): Repo {
  return { id: r.id, path: r.path as RepoPath, kind: r.kind as RepoKind, isPublic: r.is_public === 1, createdAt: r.created_at };
}

const exists = (path: string) => new ConflictError(`repository ${path} already exists`, 'FERRY_REPO_EXISTS', { path, clash: path });

/** The repo at `path`, matched without regard to case (NOCASE on both engines). */
export async function repoRowAt(q: Kysely<Tables>, path: string): Promise<RepoRow | undefined> {
  return row(q, sql<RepoRow>`SELECT ${REPO_COLUMNS} FROM repos WHERE path = ${path} COLLATE NOCASE`);
}

/**
 * Repos by id, found by path without regard to case (`Team/App` finds `team/app`; each keeps the
 * case it was created with, and two may not differ only in case). Each check-then-write runs in
 * one transaction (BEGIN IMMEDIATE on SQLite); on PostgreSQL the case-insensitive unique index
 * catches a race past the check, with the same ConflictError.
 */
export class SqlRepoStore implements RepoStore {
  constructor(private readonly db: Db) {}

  async create(path: RepoPath, kind: RepoKind, options: { isPublic: boolean }): Promise<Repo> {
    try {
      const created = await inTransaction(this.db, async (trx) => {
        const clash = await repoRowAt(trx, path);
        if (clash) throw exists(clash.path);
        // A repo created where another was moved away from ends that redirect.
        await sql`DELETE FROM repo_redirects WHERE path = ${path}`.execute(trx);
        return (await row(trx, sql<RepoRow>`INSERT INTO repos (path, kind, is_public) VALUES (${path}, ${kind}, ${options.isPublic ? 1 : 0}) RETURNING ${REPO_COLUMNS}`)) as RepoRow;
      });
      return repoFromRow(created);
    } catch (err) {
      return translateDbError(err, () => exists(path));
    }
  }

  async byPath(path: RepoPath): Promise<Repo | undefined> {
    const r = await repoRowAt(await this.db.q(), path);
    return r && repoFromRow(r);
  }

  async movedFrom(path: RepoPath): Promise<Repo | undefined> {
    const q = await this.db.q();
    const r = await row(q, sql<RepoRow>`SELECT ${R_COLUMNS} FROM repo_redirects d JOIN repos r ON r.id = d.repo_id WHERE d.path = ${path}`);
    return r && !(await repoRowAt(q, path)) ? repoFromRow(r) : undefined;
  }

  async byId(id: number): Promise<Repo | undefined> {
    const r = await row(await this.db.q(), sql<RepoRow>`SELECT ${REPO_COLUMNS} FROM repos WHERE id = ${id}`);
    return r && repoFromRow(r);
  }

  async list(): Promise<Repo[]> {
    return (await rows(await this.db.q(), sql<RepoRow>`SELECT ${REPO_COLUMNS} FROM repos ORDER BY path`)).map(repoFromRow);
  }

  async overlapping(path: RepoPath): Promise<Repo | undefined> {
    const prefixes = path.split('/').map((_, i, all) => all.slice(0, i + 1).join('/').toLowerCase());
    const r = await row(
      await this.db.q(),
      sql<RepoRow>`SELECT ${REPO_COLUMNS} FROM repos
        WHERE lower(path) IN (${sql.join(prefixes)}) OR lower(substr(path, 1, ${path.length + 1})) = ${`${path}/`.toLowerCase()}
        ORDER BY length(path) LIMIT 1`,
    );
    return r && repoFromRow(r);
  }

  async remove(path: RepoPath): Promise<void> {
    if ((await changes(await this.db.q(), sql`DELETE FROM repos WHERE path = ${path} COLLATE NOCASE`)) === 0) {
      throw new NotFoundError(`no repository at ${path}`, 'FERRY_REPO_NOT_FOUND', { path });
    }
  }

  async rename(from: RepoPath, to: RepoPath): Promise<Repo> {
    try {
      const moved = await inTransaction(this.db, async (trx) => {
        const repo = await repoRowAt(trx, from);
        if (!repo) throw new NotFoundError(`no repository at ${from}`, 'FERRY_REPO_NOT_FOUND', { path: from });
        const clash = await repoRowAt(trx, to);
        if (clash && clash.id !== repo.id) throw exists(clash.path);
        const r = (await row(trx, sql<RepoRow>`UPDATE repos SET path = ${to} WHERE id = ${repo.id} RETURNING ${REPO_COLUMNS}`)) as RepoRow;
        await sql`DELETE FROM repo_redirects WHERE path = ${to}`.execute(trx);
        // Only a change of more than case needs a redirect: lookups ignore case anyway.
        if (repo.path.toLowerCase() !== to.toLowerCase()) {
          await sql`INSERT INTO repo_redirects (path, repo_id) VALUES (${repo.path}, ${repo.id})
            ON CONFLICT (path) DO UPDATE SET repo_id = excluded.repo_id`.execute(trx);
        }
        return r;
      });
      return repoFromRow(moved);
    } catch (err) {
      return translateDbError(err, () => exists(to));
    }
  }

  async setPublic(path: RepoPath, isPublic: boolean): Promise<Repo> {
    const r = await row(await this.db.q(), sql<RepoRow>`UPDATE repos SET is_public = ${isPublic ? 1 : 0} WHERE path = ${path} COLLATE NOCASE RETURNING ${REPO_COLUMNS}`);
    if (!r) throw new NotFoundError(`no repository at ${path}`, 'FERRY_REPO_NOT_FOUND', { path });
    return repoFromRow(r);
  }
}
