import { row, rows, sql, type Db } from '../../db/database.js';
import type { HgPhaseStore } from '../types.js';

export class SqlHgPhaseStore implements HgPhaseStore {
  constructor(private readonly db: Db) {}

  async publishing(repoId: number): Promise<boolean> {
    const r = await row(await this.db.q(), sql<{ publishing: number }>`SELECT publishing FROM hg_phases WHERE repo_id = ${repoId}`);
    return r === undefined || r.publishing === 1;
  }

  async setPublishing(repoId: number, publishing: boolean): Promise<void> {
    await sql`INSERT INTO hg_phases (repo_id, publishing) VALUES (${repoId}, ${publishing ? 1 : 0})
      ON CONFLICT (repo_id) DO UPDATE SET publishing = excluded.publishing`.execute(await this.db.q());
  }

  async nonPublishing(): Promise<number[]> {
    return (await rows(await this.db.q(), sql<{ repo_id: number }>`SELECT repo_id FROM hg_phases WHERE publishing = 0`)).map((r) => r.repo_id);
  }
}
