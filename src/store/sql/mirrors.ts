import { changes, row, rows, sql, type Db } from '../../db/database.js';
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

const SELECT = sql.raw(`SELECT m.repo_id, m.url, m.interval_ms, m.allow_force, m.credentials, m.webhook_secret, m.last_attempt_at,
  m.last_success_at, m.last_error, m.failures, m.next_run_at, m.created_at AS m_created_at,
  r.id, r.path, r.kind, r.is_public, r.created_at
  FROM mirrors m JOIN repos r ON r.id = m.repo_id`);

function fromRow(r: MirrorRow & RepoRow): Mirror {
  return {
    repo: repoFromRow(r),
    url: r.url,
    intervalMs: Number(r.interval_ms),
    allowForce: r.allow_force === 1,
    sealedCredentials: r.credentials,
    sealedWebhookSecret: r.webhook_secret,
    lastAttemptAt: r.last_attempt_at,
    lastSuccessAt: r.last_success_at,
    lastError: r.last_error,
    failures: r.failures,
    nextRunAt: Number(r.next_run_at),
    createdAt: r.m_created_at,
  };
}

export class SqlMirrorStore implements MirrorStore {
  constructor(private readonly db: Db) {}

  async create(
    repoId: number,
    m: { url: string; intervalMs: number; allowForce: boolean; sealedCredentials: string | null; sealedWebhookSecret: string; nextRunAt: number },
  ): Promise<void> {
    await sql`INSERT INTO mirrors (repo_id, url, interval_ms, allow_force, credentials, webhook_secret, next_run_at)
      VALUES (${repoId}, ${m.url}, ${m.intervalMs}, ${m.allowForce ? 1 : 0}, ${m.sealedCredentials}, ${m.sealedWebhookSecret}, ${m.nextRunAt})`.execute(await this.db.q());
  }

  async byRepoId(repoId: number): Promise<Mirror | undefined> {
    const r = await row(await this.db.q(), sql<MirrorRow & RepoRow>`${SELECT} WHERE m.repo_id = ${repoId}`);
    return r && fromRow(r);
  }

  async list(): Promise<Mirror[]> {
    return (await rows(await this.db.q(), sql<MirrorRow & RepoRow>`${SELECT} ORDER BY r.path`)).map(fromRow);
  }

  async due(now: number): Promise<Mirror[]> {
    return (await rows(await this.db.q(), sql<MirrorRow & RepoRow>`${SELECT} WHERE m.next_run_at <= ${now} ORDER BY m.next_run_at`)).map(fromRow);
  }

  async recordSuccess(repoId: number, at: string, nextRunAt: number): Promise<void> {
    await sql`UPDATE mirrors SET last_attempt_at = ${at}, last_success_at = ${at}, last_error = NULL, failures = 0, next_run_at = ${nextRunAt} WHERE repo_id = ${repoId}`.execute(await this.db.q());
  }

  async recordFailure(repoId: number, at: string, error: string, nextRunAt: number): Promise<void> {
    await sql`UPDATE mirrors SET last_attempt_at = ${at}, last_error = ${error}, failures = failures + 1, next_run_at = ${nextRunAt} WHERE repo_id = ${repoId}`.execute(await this.db.q());
  }

  async setWebhookSecret(repoId: number, sealed: string): Promise<void> {
    await sql`UPDATE mirrors SET webhook_secret = ${sealed} WHERE repo_id = ${repoId}`.execute(await this.db.q());
  }

  async setInterval(repoId: number, intervalMs: number, nextRunAt: number): Promise<void> {
    await sql`UPDATE mirrors SET interval_ms = ${intervalMs}, next_run_at = ${nextRunAt} WHERE repo_id = ${repoId}`.execute(await this.db.q());
  }

  async remove(repoId: number): Promise<boolean> {
    return (await changes(await this.db.q(), sql`DELETE FROM mirrors WHERE repo_id = ${repoId}`)) > 0;
  }
}
