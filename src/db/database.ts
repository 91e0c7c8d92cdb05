import { createRequire } from 'node:module';
import type { DatabaseConnection, Driver, Kysely, RawBuilder, SqliteDialectConfig } from 'kysely';
import type pg from 'pg';
import { loadPg } from './pg-module.js';
import { ConflictError, FerryError } from '../domain/errors.js';
import { openSqlite, type SqliteDatabase } from './sqlite.js';
import { migratePostgres } from './postgres/migrate.js';

/**
 * Kysely's CommonJS build, the one every module of Ferry uses (only this file loads it): node 20
 * loads its 265 files as CommonJS for about 0.1 s less CPU than as ES modules, on every `ferry`
 * command and server start (measured with /usr/bin/time, `require` against `import`).
 */
const K = createRequire(import.meta.url)('kysely') as typeof import('kysely');

/** Which engine holds Ferry's rows: SQLite in the data dir (one machine) or PostgreSQL. */
export type Engine = 'sqlite' | 'postgres';

/**
 * Kysely's database type. Stores write their queries with Kysely's `sql` template (parameters are
 * bound per dialect: `?` on SQLite, `$1` on PostgreSQL), so this stays an open record.
 */
export type Tables = Record<string, Record<string, unknown>>;

/**
 * Ferry's database on either engine: one query layer (Kysely) over better-sqlite3 or pg, so each
 * query is written once (docs/database.md).
 */
export interface Db {
  readonly engine: Engine;
  /** The query layer, once the schema is up to date (PostgreSQL migrates on first use). */
  q(): Promise<Kysely<Tables>>;
  /** The SQLite handle (backup, the login limiter); undefined on PostgreSQL. */
  readonly sqlite: SqliteDatabase | undefined;
  /** The PostgreSQL pool; undefined on SQLite. */
  readonly pool: pg.Pool | undefined;
  /** Closes the connections (the SQLite file, the pool); later queries fail. */
  close(): Promise<void>;
}

/** True for a `postgres://` or `postgresql://` URL, the values `[database] url` accepts besides empty. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/**
 * Opens the database `[database] url` names: empty means SQLite at `dbPath` (migrated now, as
 * before), `postgres://…` means PostgreSQL (migrated on the first query). Throws FerryError
 * FERRY_CONFIG for any other URL.
 */
export function openDatabase(options: { dbPath: string; url: string }): Db {
  if (options.url === '') return sqliteDb(openSqlite(options.dbPath));
  if (!isPostgresUrl(options.url)) {
    throw new FerryError('FERRY_CONFIG', `[database] url must be empty (SQLite in the data dir) or a postgres:// URL (got ${JSON.stringify(redactUrl(options.url))})`);
  }
  return postgresDb(options.url);
}

/** A Db over an open better-sqlite3 handle (tests may pass one migrated to an older version). */
export function sqliteDb(handle: SqliteDatabase): Db {
  const kysely = new K.Kysely<Tables>({ dialect: new ImmediateSqliteDialect({ database: handle }) });
  const ready = Promise.resolve(kysely);
  return {
    engine: 'sqlite',
    q: () => ready,
    sqlite: handle,
    pool: undefined,
    close: async () => {
      if (handle.open) handle.close();
    },
  };
}

/** A Db on PostgreSQL; the pool opens connections lazily, the schema is brought up to date once. */
export function postgresDb(url: string): Db {
  const pool = newPool(url);
  const kysely = new K.Kysely<Tables>({ dialect: new K.PostgresDialect({ pool }) });
  let ready: Promise<Kysely<Tables>> | undefined;
  return {
    engine: 'postgres',
    q: () => {
      ready ??= migratePostgres(pool).then(
        () => kysely,
        (err: unknown) => {
          ready = undefined; // the next query tries again (the server may come up later)
          throw new FerryError('FERRY_CONFIG', `could not open the PostgreSQL database ${redactUrl(url)}: ${(err as Error).message}`);
        },
      );
      return ready;
    },
    sqlite: undefined,
    pool,
    close: async () => {
      await kysely.destroy();
    },
  };
}

/**
 * A pg pool whose BIGINT (int8, count(*)) and NUMERIC values read back as JS numbers, as
 * better-sqlite3 gives them: Ferry's big integers are epoch milliseconds, far below 2^53.
 */
export function newPool(url: string, max = 10): pg.Pool {
  const { Pool, types } = loadPg();
  const parsers = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (oid === types.builtins.INT8 || oid === types.builtins.NUMERIC) return (v: string) => Number(v);
      return format === 'binary' ? types.getTypeParser(oid, 'binary') : types.getTypeParser(oid, 'text');
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
  const pool = new Pool({ connectionString: url, max, types: parsers, idleTimeoutMillis: 30_000 });
  // An idle client losing its server (a restart) must not kill the process; the next query reconnects.
  pool.on('error', () => {});
  return pool;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/, '$1:***@');
}

/** The current time as Ferry stores it on both engines: ISO 8601, UTC, milliseconds. */
export function nowIso(): string {
  return new Date().toISOString();
}

/**
 * Runs `fn` in one transaction: `BEGIN IMMEDIATE` on SQLite (a check-then-write cannot race
 * another process past its check), READ COMMITTED on PostgreSQL (unique indexes catch the races,
 * and translateDbError turns them into the same ConflictError).
 */
export async function inTransaction<T>(db: Db, fn: (trx: Kysely<Tables>) => Promise<T>): Promise<T> {
  return (await db.q()).transaction().execute(fn);
}

/** Rows of a query written once for both engines. */
export async function rows<R>(q: Kysely<Tables>, query: RawBuilder<R>): Promise<R[]> {
  return (await query.execute(q)).rows;
}

/** The first row of a query, or undefined. */
export async function row<R>(q: Kysely<Tables>, query: RawBuilder<R>): Promise<R | undefined> {
  return (await query.execute(q)).rows[0];
}

/** How many rows an INSERT, UPDATE or DELETE changed. */
export async function changes(q: Kysely<Tables>, query: RawBuilder<unknown>): Promise<number> {
  return Number((await query.execute(q)).numAffectedRows ?? 0n);
}

/**
 * Turns a driver error into a FerryError where it has a meaning for users (soft-serve's
 * WrapError), on either engine: a unique violation (SQLite SQLITE_CONSTRAINT_UNIQUE or
 * _PRIMARYKEY, PostgreSQL SQLSTATE 23505) becomes the ConflictError `onUnique` makes; anything else
 * is rethrown as it is.
 */
export function translateDbError(err: unknown, onUnique: () => ConflictError): never {
  if (isUniqueViolation(err)) throw onUnique();
  throw err;
}

/** True for a unique-constraint violation from better-sqlite3 or pg. */
export function isUniqueViolation(err: unknown): boolean {
  if (!(err instanceof Error) || !('code' in err) || typeof err.code !== 'string') return false;
  return err.code.startsWith('SQLITE_CONSTRAINT_UNIQUE') || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || err.code === '23505';
}

/** Kysely's `sql` template (the CommonJS build's, as every other Kysely value here). */
export const sql: typeof import('kysely').sql = K.sql;

/** Kysely's SQLite dialect, with transactions that take the write lock when they begin. */
class ImmediateSqliteDialect extends K.SqliteDialect {
  constructor(private readonly settings: SqliteDialectConfig) {
    super(settings);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.settings);
  }
}

class ImmediateSqliteDriver extends K.SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(K.CompiledQuery.raw('begin immediate'));
  }

  /** The handle is Ferry's: closed by Db.close, not when Kysely is destroyed. */
  override async destroy(): Promise<void> {}
}
