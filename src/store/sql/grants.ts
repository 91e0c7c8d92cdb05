import type { GrantLevel } from '../../domain/access-level.js';
import { NotFoundError } from '../../domain/errors.js';
import type { UserName } from '../../domain/user-name.js';
import { changes, rows, sql, type Db } from '../../db/database.js';
import type { Grant, GrantStore } from '../types.js';
import { repoRowAt } from './repos.js';

interface GrantRow {
  user_id: number;
  name: string;
  repo_id: number | null;
  path: string | null;
  prefix: string | null;
  level: string;
}

function grantFromRow(r: GrantRow): Grant {
  return { userId: r.user_id, user: r.name as UserName, repoId: r.repo_id, target: r.prefix ?? (r.path as string), level: r.level as GrantLevel };
}

const SELECT = sql.raw(`SELECT g.user_id, u.name, g.repo_id, r.path, g.prefix, g.level
  FROM repo_grants g JOIN users u ON u.id = g.user_id LEFT JOIN repos r ON r.id = g.repo_id`);

/**
 * Grants on one repo hold its id (so they follow `repo mv` and die with `repo rm`); grants on a
 * group hold the `prefix/`. A target path is resolved to the repo at it, without regard to case.
 */
export class SqlGrantStore implements GrantStore {
  constructor(private readonly db: Db) {}

  async set(userId: number, target: string, level: GrantLevel): Promise<void> {
    const q = await this.db.q();
    if (target.endsWith('/')) {
      await sql`INSERT INTO repo_grants (user_id, prefix, level) VALUES (${userId}, ${target}, ${level})
        ON CONFLICT (user_id, prefix) WHERE prefix IS NOT NULL DO UPDATE SET level = excluded.level, prefix = excluded.prefix`.execute(q);
      return;
    }
    const repo = await repoRowAt(q, target);
    if (!repo) {
      throw new NotFoundError(`no repository at ${target}: grant on an existing repository, or on a group with a trailing / (${target}/)`, 'FERRY_REPO_NOT_FOUND', { path: target });
    }
    await sql`INSERT INTO repo_grants (user_id, repo_id, level) VALUES (${userId}, ${repo.id}, ${level})
      ON CONFLICT (user_id, repo_id) WHERE repo_id IS NOT NULL DO UPDATE SET level = excluded.level`.execute(q);
  }

  async remove(userId: number, target: string): Promise<boolean> {
    const q = await this.db.q();
    if (target.endsWith('/')) return (await changes(q, sql`DELETE FROM repo_grants WHERE user_id = ${userId} AND prefix = ${target}`)) > 0;
    const repo = await repoRowAt(q, target);
    return repo !== undefined && (await changes(q, sql`DELETE FROM repo_grants WHERE user_id = ${userId} AND repo_id = ${repo.id}`)) > 0;
  }

  async forUser(userId: number): Promise<Grant[]> {
    return (await rows(await this.db.q(), sql<GrantRow>`${SELECT} WHERE g.user_id = ${userId} ORDER BY coalesce(g.prefix, r.path)`)).map(grantFromRow);
  }

  async list(): Promise<Grant[]> {
    return (await rows(await this.db.q(), sql<GrantRow>`${SELECT} ORDER BY coalesce(g.prefix, r.path), u.name`)).map(grantFromRow);
  }
}
