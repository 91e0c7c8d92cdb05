import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { FerryError } from '../domain/errors.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

export type SqliteDatabase = Database.Database;

/** Opens (creating if needed) the embedded database and brings its schema up to date. */
export function openSqlite(path: string, migrations: readonly Migration[] = MIGRATIONS): SqliteDatabase {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  migrate(db, migrations);
  return db;
}

function migrate(db: SqliteDatabase, migrations: readonly Migration[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  const newest = Math.max(0, ...applied);
  const known = Math.max(0, ...migrations.map((m) => m.version));
  if (newest > known) {
    throw new FerryError('FERRY_CONFIG', `the database is at schema version ${newest}, newer than this Ferry knows (${known}): upgrade Ferry`);
  }
  const apply = db.transaction((m: Migration) => {
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
  });
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (!applied.has(m.version)) apply.immediate(m);
  }
}

/** The one driver-error translation, under its older name (src/db/database.ts: translateDbError). */
export { translateDbError as translateSqliteError } from './database.js';
