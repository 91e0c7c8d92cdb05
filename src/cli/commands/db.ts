import { copySqliteToPostgres } from '../../db/copy.js';
import { isPostgresUrl, redactUrl } from '../../db/database.js';
import { openSqlite } from '../../db/sqlite.js';
import { FerryError, UsageError } from '../../domain/errors.js';
import type { App } from '../../main.js';
import { FERRY } from '../invocation.js';
import { parseCommand, print } from '../io.js';

const USAGE = `${FERRY} db copy --to postgres://USER@HOST/DATABASE`;

/**
 * `ferry db copy --to URL`: copies the data dir's SQLite database (ferry.db) into an empty
 * PostgreSQL database, verified per table (src/db/copy.ts), with progress lines; then the operator
 * sets `[database] url` to URL (README, "Switching to PostgreSQL").
 */
export async function dbCommand(app: App, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'copy') throw new UsageError(`unknown db command ${JSON.stringify(sub ?? '')}: ${USAGE}`);
  const { values } = parseCommand(rest, { to: { type: 'string' } }, USAGE, { min: 0, max: 0 });
  const url = values.to;
  if (url === undefined || !isPostgresUrl(url)) throw new UsageError(`--to needs a postgres:// URL of an empty database: ${USAGE}`);
  const source = app.db.sqlite ?? openSqlite(app.config.dbPath);
  if (app.db.engine === 'postgres' && url === app.config.database.url) {
    throw new FerryError('FERRY_INVALID_INPUT', `${redactUrl(url)} is the database this Ferry already uses ([database] url); give the empty database to copy into`);
  }
  const line = (s: string) => print(`ferry db copy: ${s}`);
  line(`copying ${app.config.dbPath} to ${redactUrl(url)} (stop ferry serve first: rows written during the copy are not in it)`);
  const started = Date.now();
  const tables = await copySqliteToPostgres(source, url, line);
  for (const t of tables) line(`${t.table}: ${t.sourceRows} rows, sha256 ${t.sourceSum.slice(0, 16)} = ${t.targetRows} rows, sha256 ${t.targetSum.slice(0, 16)}`);
  const rows = tables.reduce((n, t) => n + t.sourceRows, 0);
  line(`done: ${rows} rows in ${tables.length} tables, verified, in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  line(`now set [database] url = "${redactUrl(url)}" in ferry.toml (or FERRY_DATABASE_URL) and restart ferry serve`);
  return 0;
}
