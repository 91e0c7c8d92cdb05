import { nowIso, row, rows, sql, type Db } from '../../db/database.js';
import type { CommitStatus, CommitStatusStore, RepoDescriptionStore, StatusState } from '../repo-meta.js';

interface StatusRow {
  id: number;
  repo_id: number;
  sha: string;
  context: string;
  state: string;
  description: string;
  target_url: string;
  creator_id: number | null;
  creator_name: string | null;
  created_at: string;
  updated_at: string;
}

const SELECT = sql.raw(`SELECT s.id, s.repo_id, s.sha, s.context, s.state, s.description, s.target_url, s.creator_id, u.name AS creator_name, s.created_at, s.updated_at
  FROM commit_statuses s LEFT JOIN users u ON u.id = s.creator_id`);

function statusFromRow(r: StatusRow): CommitStatus {
  return {
    id: r.id,
    repoId: r.repo_id,
    sha: r.sha,
    context: r.context,
    state: r.state as StatusState,
    description: r.description,
    targetUrl: r.target_url,
    creator: r.creator_id !== null && r.creator_name !== null ? { id: r.creator_id, name: r.creator_name } : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class SqlCommitStatusStore implements CommitStatusStore {
  constructor(private readonly db: Db) {}

  async set(repoId: number, sha: string, status: { context: string; state: StatusState; description: string; targetUrl: string; creatorId: number | null }): Promise<CommitStatus> {
    const q = await this.db.q();
    await sql`INSERT INTO commit_statuses (repo_id, sha, context, state, description, target_url, creator_id)
      VALUES (${repoId}, ${sha}, ${status.context}, ${status.state}, ${status.description}, ${status.targetUrl}, ${status.creatorId})
      ON CONFLICT (repo_id, sha, context) DO UPDATE SET state = excluded.state, description = excluded.description,
        target_url = excluded.target_url, creator_id = excluded.creator_id, updated_at = ${nowIso()}`.execute(q);
    return statusFromRow((await row(q, sql<StatusRow>`${SELECT} WHERE s.repo_id = ${repoId} AND s.sha = ${sha} AND s.context = ${status.context}`)) as StatusRow);
  }

  async forCommit(repoId: number, sha: string): Promise<CommitStatus[]> {
    return (await rows(await this.db.q(), sql<StatusRow>`${SELECT} WHERE s.repo_id = ${repoId} AND s.sha = ${sha} ORDER BY s.updated_at DESC, s.id DESC`)).map(statusFromRow);
  }
}

export class SqlRepoDescriptionStore implements RepoDescriptionStore {
  constructor(private readonly db: Db) {}

  async get(repoId: number): Promise<string> {
    return (await row(await this.db.q(), sql<{ description: string }>`SELECT description FROM repo_descriptions WHERE repo_id = ${repoId}`))?.description ?? '';
  }

  async many(repoIds: readonly number[]): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    if (repoIds.length === 0) return out;
    const found = await rows(await this.db.q(), sql<{ repo_id: number; description: string }>`SELECT repo_id, description FROM repo_descriptions WHERE repo_id IN (${sql.join([...repoIds])})`);
    for (const r of found) out.set(r.repo_id, r.description);
    return out;
  }

  async set(repoId: number, description: string): Promise<void> {
    await sql`INSERT INTO repo_descriptions (repo_id, description) VALUES (${repoId}, ${description})
      ON CONFLICT (repo_id) DO UPDATE SET description = excluded.description`.execute(await this.db.q());
  }
}
