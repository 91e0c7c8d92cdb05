/**
 * Outbound webhooks (issue 16, docs/webhooks.md). A hook belongs to the repo's id: it moves with
 * `ferry repo mv` and is deleted with `ferry repo rm` (ON DELETE CASCADE), like grants.
 * - `webhooks.secret` is sealed with the data dir's secret box (src/mirrors/secret-box.ts).
 * - `webhooks.failures` counts consecutive failed deliveries; at the limit the hook is disabled
 *   (`disabled_at`) until it is edited or a redelivery succeeds.
 * - `webhook_deliveries` are the queue and the record at once: a row is written before anything is
 *   sent, so a restart loses no pending delivery (`state = 'pending'`, `next_attempt_at` in epoch ms).
 *   Request and response (headers, truncated bodies) stay for `ferry hook deliveries`. A redelivery
 *   is a new row with the same `guid` (as GitHub redelivers) and `redelivery_of` the old row.
 * Migration 7 is reserved for another branch of the same round.
 */
export const webhooksSchema = `
CREATE TABLE webhooks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  repo_id INTEGER NOT NULL REFERENCES repos(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  secret TEXT NOT NULL DEFAULT '',
  events TEXT NOT NULL,
  content_type TEXT NOT NULL DEFAULT 'json',
  active INTEGER NOT NULL DEFAULT 1,
  failures INTEGER NOT NULL DEFAULT 0,
  disabled_at TEXT,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX webhooks_repo ON webhooks(repo_id);

CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  hook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  guid TEXT NOT NULL,
  event TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  redelivery_of INTEGER,
  request_headers TEXT,
  response_status INTEGER,
  response_headers TEXT,
  response_body TEXT,
  error TEXT,
  duration_ms INTEGER,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  delivered_at TEXT
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(hook_id, id);
CREATE INDEX webhook_deliveries_guid ON webhook_deliveries(guid);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries(next_attempt_at) WHERE state = 'pending';
`;
