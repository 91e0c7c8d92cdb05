import type { SqliteDatabase } from '../../db/sqlite.js';
import type { HgPhaseStore } from '../types.js';

export class SqliteHgPhaseStore implements HgPhaseStore {
  constructor(private readonly db: SqliteDatabase) {}

  async publishing(repoId: number): Promise<boolean> {
    const row = this.db.prepare('SELECT publishing FROM hg_phases WHERE repo_id = ?').get(repoId) as { publishing: number } | undefined;
    return row === undefined || row.publishing === 1;
  }

  async setPublishing(repoId: number, publishing: boolean): Promise<void> {
    this.db
      .prepare('INSERT INTO hg_phases (repo_id, publishing) VALUES (?, ?) ON CONFLICT (repo_id) DO UPDATE SET publishing = excluded.publishing')
      .run(repoId, publishing ? 1 : 0);
  }

  async nonPublishing(): Promise<number[]> {
    return (this.db.prepare('SELECT repo_id FROM hg_phases WHERE publishing = 0').all() as { repo_id: number }[]).map((r) => r.repo_id);
  }
}
