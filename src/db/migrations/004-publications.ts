/** `ferry publish` registrations: the running server keeps each DIR in sync with REPO@REF. */
export const publicationsSchema = `
CREATE TABLE publications (
  id INTEGER PRIMARY KEY,
  repo_id INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  ref TEXT,
  dir TEXT NOT NULL UNIQUE,
  commit_id TEXT,
  published_at TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX publications_repo ON publications(repo_id);
`;
