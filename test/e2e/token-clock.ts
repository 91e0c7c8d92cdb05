import Database from 'better-sqlite3';
import { join } from 'node:path';

/**
 * Moves a token's expiry into the past, as if its time had passed: tokens last at least an hour
 * (`ferry token add --expires`), longer than a test may wait. Writes the SQLite database of a
 * running server's data dir; the server reads expiries on every request.
 * @returns the new expiry (ISO 8601)
 */
export function expireToken(dataDir: string, label: string, agoMs = 60_000): string {
  const db = new Database(join(dataDir, 'ferry.db'));
  try {
    const when = new Date(Date.now() - agoMs).toISOString();
    const changed = db.prepare('UPDATE tokens SET expires_at = ? WHERE label = ?').run(when, label).changes;
    if (changed !== 1) throw new Error(`expected one token labelled ${label}, changed ${changed}`);
    return when;
  } finally {
    db.close();
  }
}
