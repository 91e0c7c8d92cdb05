/**
 * Per-repo Mercurial phase setting (`ferry repo set PATH --publishing|--non-publishing`). A row
 * exists only for repos an admin set; no row means publishing, hg's default. Its own table (keyed
 * by the repo id, so it moves with `ferry repo mv` and goes with `ferry repo rm`).
 */
export const hgPhasesSchema = `
CREATE TABLE hg_phases (
  repo_id INTEGER PRIMARY KEY REFERENCES repos(id) ON DELETE CASCADE,
  publishing INTEGER NOT NULL DEFAULT 1
);
`;
