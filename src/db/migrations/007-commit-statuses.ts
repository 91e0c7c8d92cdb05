/**
 * Commit statuses posted by CI through the API (`POST /api/v1/repos/{o}/{r}/statuses/{sha}`,
 * Gitea's shape): one row per (repo, commit, context), the latest post wins. Also each repo's
 * description (set with the API's PATCH). Both keyed by the repo id, so they move with
 * `ferry repo mv` and go with `ferry repo rm`.
 */
export const commitStatusesSchema = `
CREATE TABLE commit_statuses (
  id INTEGER PRIMARY KEY,
  repo_id INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  sha TEXT NOT NULL,
  context TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'success', 'error', 'failure', 'warning')),
  description TEXT NOT NULL DEFAULT '',
  target_url TEXT NOT NULL DEFAULT '',
  creator_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  UNIQUE (repo_id, sha, context)
);
CREATE TABLE repo_descriptions (
  repo_id INTEGER PRIMARY KEY REFERENCES repos(id) ON DELETE CASCADE,
  description TEXT NOT NULL
);
`;
