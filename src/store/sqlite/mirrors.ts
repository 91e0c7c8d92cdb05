import type { SqliteDatabase } from '../../db/sqlite.js';
import type { Mirror, MirrorStore } from '../types.js';
import { repoFromRow, type RepoRow } from './repos.js';

interface MirrorRow {
  repo_id: number;
  url: string;
  interval_ms: number;
  allow_force: number;
  credentials: string | null;
  webhook_secret: string;
  last_attempt_at: string | null;
  last_success_at: string | null;
  last_error: string | null;
  failures: number;
  next_run_at: number;
  m_created_at: string;
}

const SELECT = `SELECT m.repo_id, m.url, m.interval_ms, m.allow_force, m.credentials, m.webhook_secret, m.last_attempt_at,
  m.last_success_at, m.last_error, m.failures, m.next_run_at, m.created_at AS m_created_at,
  r.id, r.path, r.kind, r.is_public, r.created_at
  FROM mirrors m JOIN repos r ON r.id = m.repo_id`;

function fromRow(row: MirrorRow & RepoRow): Mirror {
  return {
    repo: repoFromRow(row),
    url: row.url,
    intervalMs: row.interval_ms,
    allowForce: row.allow_force === 1,
    sealedCredentials: row.credentials,
    sealedWebhookSecret: row.webhook_secret,
    lastAttemptAt: row.last_attempt_at,
    lastSuccessAt: row.last_success_at,
    lastError: row.last_error,
    failures: row.failures,
    nextRunAt: row.next_run_at,
    createdAt: row.m_created_at,
  };
}

export class SqliteMirrorStore implements MirrorStore {
  constructor(private readonly db: SqliteDatabase) {}

  async create(
    repoId: number,
    m: { url: string; intervalMs: number; allowForce: boolean; sealedCredentials: string | null; sealedWebhookSecret: string; nextRunAt: number },
  ): Promise<void> {
    this.db
      .prepare('INSERT INTO mirrors (repo_id, url, interval_ms, allow_force, credentials, webhook_secret, next_run_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(repoId, m.url, m.intervalMs, m.allowForce ? 1 : 0, m.sealedCredentials, m.sealedWebhookSecret, m.nextRunAt);
  }

  async byRepoId(repoId: number): Promise<Mirror | undefined> {
    const row = this.db.prepare(`${SELECT} WHERE m.repo_id = ?`).get(repoId) as (MirrorRow & RepoRow) | undefined;
    return row && fromRow(row);
  }

  async list(): Promise<Mirror[]> {
    return (this.db.prepare(`${SELECT} ORDER BY r.path`).all() as (MirrorRow & RepoRow)[]).map(fromRow);
  }

  async due(now: number): Promise<Mirror[]> {
    return (this.db.prepare(`${SELECT} WHERE m.next_run_at <= ? ORDER BY m.next_run_at`).all(now) as (MirrorRow & RepoRow)[]).map(fromRow);
  }

  async recordSuccess(repoId: number, at: string, nextRunAt: number): Promise<void> {
    this.db
      .prepare('UPDATE mirrors SET last_attempt_at = ?, last_success_at = ?, last_error = NULL, failures = 0, next_run_at = ? WHERE repo_id = ?')
      .run(at, at, nextRunAt, repoId);
  }

  async recordFailure(repoId: number, at: string, error: string, nextRunAt: number): Promise<void> {
    this.db
      .prepare('UPDATE mirrors SET last_attempt_at = ?, last_error = ?, failures = failures + 1, next_run_at = ? WHERE repo_id = ?')
      .run(at, error, nextRunAt, repoId);
  }

  async setWebhookSecret(repoId: number, sealed: string): Promise<void> {
    this.db.prepare('UPDATE mirrors SET webhook_secret = ? WHERE repo_id = ?').run(sealed, repoId);
  }

  async setInterval(repoId: number, intervalMs: number, nextRunAt: number): Promise<void> {
    this.db.prepare('UPDATE mirrors SET interval_ms = ?, next_run_at = ? WHERE repo_id = ?').run(intervalMs, nextRunAt, repoId);
  }

  async remove(repoId: number): Promise<boolean> {
    return this.db.prepare('DELETE FROM mirrors WHERE repo_id = ?').run(repoId).changes > 0;
  }
}
