/**
 * The contract suite's engines: every store test runs once on SQLite and once on PostgreSQL (a
 * throwaway server per test file, test/support/postgres.ts, and a fresh database per open).
 * FERRY_TEST_ENGINES=sqlite (or =postgres) runs one engine only.
 */
import { join } from 'node:path';
import { after } from 'node:test';
import { openDatabase, sqliteDb, type Db } from '../../src/db/database.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { openStores } from '../../src/store/sql/index.js';
import type { Stores } from '../../src/store/types.js';
import { tempDir } from '../e2e/harness.js';
import { startPostgres, type ThrowawayPostgres } from './postgres.js';

export type EngineName = 'sqlite' | 'postgres';

export interface EngineUnderTest {
  readonly name: EngineName;
  /** A new, empty, migrated database. */
  openDb(): Promise<Db>;
  /** The stores on a new, empty database. */
  openStores(): Promise<Stores>;
  /** Another Db on the same database as `db` (a second process or node). */
  reopen(db: Db): Promise<Db>;
}

let server: Promise<ThrowawayPostgres> | undefined;
let databases = 0;
const urls = new WeakMap<Db, string>();
const files = new WeakMap<Db, string>();

/** The throwaway PostgreSQL of this test file, started on first use and stopped after the file. */
export function sharedPostgres(): Promise<ThrowawayPostgres> {
  server ??= startPostgres();
  return server;
}

// Registered at the top level of the test file (importing this module), so it runs after all of it.
after(async () => {
  if (server) await (await server).stop();
});

const sqlite: EngineUnderTest = {
  name: 'sqlite',
  async openDb() {
    const file = join(tempDir(), 'ferry.db');
    const db = sqliteDb(openSqlite(file));
    files.set(db, file);
    return db;
  },
  async openStores() {
    return openStores(await this.openDb());
  },
  async reopen(db) {
    return sqliteDb(openSqlite(files.get(db) as string));
  },
};

const postgres: EngineUnderTest = {
  name: 'postgres',
  async openDb() {
    const url = await (await sharedPostgres()).createDatabase(`test_${process.pid}_${++databases}`);
    const db = openDatabase({ dbPath: '', url });
    await db.q();
    urls.set(db, url);
    return db;
  },
  async openStores() {
    return openStores(await this.openDb());
  },
  async reopen(db) {
    const other = openDatabase({ dbPath: '', url: urls.get(db) as string });
    await other.q();
    return other;
  },
};

const only = process.env.FERRY_TEST_ENGINES;
/** The engines a contract test runs on (both unless FERRY_TEST_ENGINES names one). */
export const ENGINES: readonly EngineUnderTest[] = [sqlite, postgres].filter((e) => !only || only.split(',').includes(e.name));
