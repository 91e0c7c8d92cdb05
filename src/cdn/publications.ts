import { row, rows, sql, type Db } from '../db/database.js';

export interface Publication {
  readonly id: number;
  readonly repoId: number;
  /** undefined: the default branch. */
  readonly ref: string | undefined;
  /** Absolute path of the published directory (a symlink Ferry swaps). */
  readonly dir: string;
  readonly commit: string | undefined;
  readonly publishedAt: string | undefined;
}

interface Row {
  id: number;
  repo_id: number;
  ref: string | null;
  dir: string;
  commit_id: string | null;
  published_at: string | null;
}

const COLUMNS = sql.raw('id, repo_id, ref, dir, commit_id, published_at');

function fromRow(r: Row): Publication {
  return { id: r.id, repoId: r.repo_id, ref: r.ref ?? undefined, dir: r.dir, commit: r.commit_id ?? undefined, publishedAt: r.published_at ?? undefined };
}

/** `ferry publish` registrations (migration 4). Written by the CLI, read by the running server; on either engine. */
export class PublicationStore {
  constructor(private readonly db: Db) {}

  /** Registers DIR for REPO@REF, or points an existing registration of DIR at it. */
  async register(repoId: number, ref: string | undefined, dir: string): Promise<Publication> {
    const r = await row(
      await this.db.q(),
      sql<Row>`INSERT INTO publications (repo_id, ref, dir) VALUES (${repoId}, ${ref ?? null}, ${dir})
        ON CONFLICT (dir) DO UPDATE SET repo_id = excluded.repo_id, ref = excluded.ref,
          commit_id = CASE WHEN publications.repo_id = excluded.repo_id AND publications.ref IS NOT DISTINCT FROM excluded.ref THEN publications.commit_id END
        RETURNING ${COLUMNS}`,
    );
    return fromRow(r as Row);
  }

  async forRepo(repoId: number): Promise<Publication[]> {
    return (await rows(await this.db.q(), sql<Row>`SELECT ${COLUMNS} FROM publications WHERE repo_id = ${repoId} ORDER BY id`)).map(fromRow);
  }

  async list(): Promise<Publication[]> {
    return (await rows(await this.db.q(), sql<Row>`SELECT ${COLUMNS} FROM publications ORDER BY dir`)).map(fromRow);
  }

  async byDir(dir: string): Promise<Publication | undefined> {
    const r = await row(await this.db.q(), sql<Row>`SELECT ${COLUMNS} FROM publications WHERE dir = ${dir}`);
    return r && fromRow(r);
  }

  async remove(id: number): Promise<void> {
    await sql`DELETE FROM publications WHERE id = ${id}`.execute(await this.db.q());
  }

  async markPublished(id: number, commit: string): Promise<void> {
    await sql`UPDATE publications SET commit_id = ${commit}, published_at = ${new Date().toISOString()} WHERE id = ${id}`.execute(await this.db.q());
  }
}
