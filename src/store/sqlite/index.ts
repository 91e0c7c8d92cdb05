import { sqliteDb } from '../../db/database.js';
import { openSqlite } from '../../db/sqlite.js';
import { openStores } from '../sql/index.js';
import type { Stores } from '../types.js';

/** The stores on a SQLite file (created and migrated if needed): openStores on SQLite. */
export function openSqliteStores(path: string): Stores {
  return openStores(sqliteDb(openSqlite(path)));
}
