/**
 * FERRY_TEST_DATABASE=postgres runs any e2e file on PostgreSQL: each data dir the harness uses
 * (startFerry, ferryCli) gets its own empty database on one throwaway server per test process,
 * handed to `ferry` as FERRY_DATABASE_URL. Unset (or `sqlite`): SQLite in the data dir, as always.
 */
import { resolve } from 'node:path';
import { startPostgres, type ThrowawayPostgres } from './postgres.js';

const wanted = process.env.FERRY_TEST_DATABASE ?? 'sqlite';
if (wanted !== 'sqlite' && wanted !== 'postgres') throw new Error(`FERRY_TEST_DATABASE must be sqlite or postgres (got ${JSON.stringify(wanted)})`);

let server: Promise<ThrowawayPostgres> | undefined;
const byDataDir = new Map<string, Promise<string>>();
let count = 0;

/** The engine the e2e tests run on. */
export const TEST_DATABASE: 'sqlite' | 'postgres' = wanted;

/** The environment `ferry` needs for this data dir's database ({} on SQLite). */
export async function databaseEnv(dataDir: string): Promise<NodeJS.ProcessEnv> {
  if (TEST_DATABASE === 'sqlite') return {};
  const key = resolve(dataDir);
  let url = byDataDir.get(key);
  if (!url) {
    server ??= startPostgres();
    url = server.then((s) => s.createDatabase(`e2e_${process.pid}_${++count}`));
    byDataDir.set(key, url);
  }
  return { FERRY_DATABASE_URL: await url };
}
