import type { SqliteDatabase } from '../db/sqlite.js';

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

const COLUMNS = 'id, repo_id, ref, dir, commit_id, published_at';

function fromRow(r: Row): Publication {
  return { id: r.id, repoId: r.repo_id, ref: r.ref ?? undefined, dir: r.dir, commit: r.commit_id ?? undefined, publishedAt: r.published_at ?? undefined };
}

/** `ferry publish` registrations (migration 4). Written by the CLI, read by the running server. */
export class PublicationStore {
  constructor(private readonly db: SqliteDatabase) {}

  /** Registers DIR for REPO@REF, or points an existing registration of DIR at it. */
  register(repoId: number, ref: string | undefined, dir: string): Publication {
    const row = this.db
      .prepare(
        `INSERT INTO publications (repo_id, ref, dir) VALUES (?, ?, ?)
         ON CONFLICT(dir) DO UPDATE SET repo_id = excluded.repo_id, ref = excluded.ref,
           commit_id = CASE WHEN repo_id = excluded.repo_id AND ref IS excluded.ref THEN commit_id END
         RETURNING ${COLUMNS}`,
      )
      .get(repoId, ref ?? null, dir) as Row;
    return fromRow(row);
  }

  forRepo(repoId: number): Publication[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM publications WHERE repo_id = ? ORDER BY id`).all(repoId) as Row[]).map(fromRow);
  }

  list(): Publication[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM publications ORDER BY dir`).all() as Row[]).map(fromRow);
  }

  byDir(dir: string): Publication | undefined {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM publications WHERE dir = ?`).get(dir) as Row | undefined;
    return row && fromRow(row);
  }

  remove(id: number): void {
    this.db.prepare('DELETE FROM publications WHERE id = ?').run(id);
  }

  markPublished(id: number, commit: string): void {
    this.db.prepare("UPDATE publications SET commit_id = ?, published_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?").run(commit, id);
  }

  close(): void {
    this.db.close();
  }
}
