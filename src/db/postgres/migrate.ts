import type pg from 'pg';
import { FerryError } from '../../domain/errors.js';
import { POSTGRES_SCHEMA_VERSION, postgresSchema } from './schema.js';

/**
 * Numbered PostgreSQL migrations. The first equals SQLite's schema at version 10 (all its
 * migrations at once, src/db/postgres/schema.ts); later ones are added for both engines together,
 * with the same number as the SQLite migration they mirror.
 */
export const POSTGRES_MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  { version: POSTGRES_SCHEMA_VERSION, name: 'schema of SQLite version 10', sql: postgresSchema },
];

/** Key of the advisory lock that lets one node at a time migrate (several may start at once). */
const MIGRATION_LOCK = 0x66657272; // "ferr"

/**
 * Brings the PostgreSQL schema up to date, in one transaction per migration under an advisory
 * lock. Throws FerryError FERRY_CONFIG when the database is newer than this Ferry.
 */
export async function migratePostgres(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const newest = Math.max(0, ...applied);
    const known = Math.max(0, ...POSTGRES_MIGRATIONS.map((m) => m.version));
    if (newest > known) {
      throw new FerryError('FERRY_CONFIG', `the database is at schema version ${newest}, newer than this Ferry knows (${known}): upgrade Ferry`);
    }
    for (const m of [...POSTGRES_MIGRATIONS].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version) || m.version <= newest) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, new Date().toISOString()]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
