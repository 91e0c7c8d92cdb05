import type { SqliteDatabase } from '../../db/sqlite.js';
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

const SELECT = `SELECT s.id, s.repo_id, s.sha, s.context, s.state, s.description, s.target_url, s.creator_id, u.name AS creator_name, s.created_at, s.updated_at
  FROM commit_statuses s LEFT JOIN users u ON u.id = s.creator_id`;

function statusFromRow(row: StatusRow): CommitStatus {
  return {
    id: row.id,
    repoId: row.repo_id,
    sha: row.sha,
    context: row.context,
    state: row.state as StatusState,
    description: row.description,
    targetUrl: row.target_url,
    creator: row.creator_id !== null && row.creator_name !== null ? { id: row.creator_id, name: row.creator_name } : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class SqliteCommitStatusStore implements CommitStatusStore {
  constructor(private readonly db: SqliteDatabase) {}

  async set(repoId: number, sha: string, status: { context: string; state: StatusState; description: string; targetUrl: string; creatorId: number | null }): Promise<CommitStatus> {
    this.db
      .prepare(
        `INSERT INTO commit_statuses (repo_id, sha, context, state, description, target_url, creator_id) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (repo_id, sha, context) DO UPDATE SET state = excluded.state, description = excluded.description,
           target_url = excluded.target_url, creator_id = excluded.creator_id, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`,
      )
      .run(repoId, sha, status.context, status.state, status.description, status.targetUrl, status.creatorId);
    return statusFromRow(this.db.prepare(`${SELECT} WHERE s.repo_id = ? AND s.sha = ? AND s.context = ?`).get(repoId, sha, status.context) as StatusRow);
  }

  async forCommit(repoId: number, sha: string): Promise<CommitStatus[]> {
    return (this.db.prepare(`${SELECT} WHERE s.repo_id = ? AND s.sha = ? ORDER BY s.updated_at DESC, s.id DESC`).all(repoId, sha) as StatusRow[]).map(statusFromRow);
  }
}

export class SqliteRepoDescriptionStore implements RepoDescriptionStore {
  constructor(private readonly db: SqliteDatabase) {}

  async get(repoId: number): Promise<string> {
    return (this.db.prepare('SELECT description FROM repo_descriptions WHERE repo_id = ?').get(repoId) as { description: string } | undefined)?.description ?? '';
  }

  async many(repoIds: readonly number[]): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    if (repoIds.length === 0) return out;
    const rows = this.db.prepare(`SELECT repo_id, description FROM repo_descriptions WHERE repo_id IN (${repoIds.map(() => '?').join(',')})`).all(...repoIds) as { repo_id: number; description: string }[];
    for (const r of rows) out.set(r.repo_id, r.description);
    return out;
  }

  async set(repoId: number, description: string): Promise<void> {
    this.db.prepare('INSERT INTO repo_descriptions (repo_id, description) VALUES (?, ?) ON CONFLICT (repo_id) DO UPDATE SET description = excluded.description').run(repoId, description);
  }
}
