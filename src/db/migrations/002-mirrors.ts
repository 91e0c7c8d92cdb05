export const mirrorsSchema = `
CREATE TABLE mirrors (
  repo_id INTEGER PRIMARY KEY REFERENCES repos(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  interval_ms INTEGER NOT NULL,
  allow_force INTEGER NOT NULL DEFAULT 0,
  credentials TEXT,
  webhook_secret TEXT NOT NULL,
  last_attempt_at TEXT,
  last_success_at TEXT,
  last_error TEXT,
  failures INTEGER NOT NULL DEFAULT 0,
  next_run_at INTEGER NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX mirrors_next_run ON mirrors(next_run_at);
`;
