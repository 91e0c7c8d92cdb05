/**
 * A repo is an id, not a path (DESIGN.md, second round):
 * - grants on one repo hold its id (they move with `ferry repo mv` and die with `ferry repo rm`);
 *   grants on a group keep their `prefix/` (matched without regard to case). Rows of the old
 *   `grants (user_id, target)` table are carried over: a target naming an existing repo (exactly,
 *   as it was matched before) becomes that repo's id, a `prefix/` stays a prefix, and a target that
 *   names no repo is dropped (it would otherwise pass to whatever repo is created there later).
 * - `repo_redirects`: the paths a repo was moved away from, answered with the new path until a
 *   repo is created there; removed with the repo.
 * - paths are looked up without regard to case: an index for `path COLLATE NOCASE`.
 * - `login_failures`: the failed sign-in counts (src/http/login-limiter.ts), in the shape
 *   rate-limiter-flexible's SQLite store uses, so the primary and the CDN workers count together.
 */
export const repoIdentitySchema = `
CREATE TABLE repo_grants (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  repo_id INTEGER REFERENCES repos(id) ON DELETE CASCADE,
  prefix TEXT COLLATE NOCASE,
  level TEXT NOT NULL CHECK (level IN ('read', 'write', 'admin')),
  CHECK ((repo_id IS NULL) <> (prefix IS NULL)),
  CHECK (prefix IS NULL OR substr(prefix, -1) = '/')
);
CREATE UNIQUE INDEX repo_grants_user_repo ON repo_grants(user_id, repo_id) WHERE repo_id IS NOT NULL;
CREATE UNIQUE INDEX repo_grants_user_prefix ON repo_grants(user_id, prefix) WHERE prefix IS NOT NULL;
CREATE INDEX repo_grants_repo ON repo_grants(repo_id);
INSERT INTO repo_grants (user_id, repo_id, prefix, level)
  SELECT g.user_id, r.id, NULL, g.level FROM grants g JOIN repos r ON r.path = g.target WHERE substr(g.target, -1) <> '/';
INSERT OR REPLACE INTO repo_grants (user_id, repo_id, prefix, level)
  SELECT g.user_id, NULL, g.target, g.level FROM grants g WHERE substr(g.target, -1) = '/';
DROP TABLE grants;

CREATE TABLE repo_redirects (
  path TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
  repo_id INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX repo_redirects_repo ON repo_redirects(repo_id);

CREATE INDEX repos_path_nocase ON repos(path COLLATE NOCASE);

CREATE TABLE login_failures (
  key TEXT PRIMARY KEY,
  points INTEGER NOT NULL DEFAULT 0,
  expire INTEGER
);
`;
