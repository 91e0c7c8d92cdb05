import { createHash } from 'node:crypto';
import { FerryError } from '../domain/errors.js';
import { postgresDb, redactUrl } from './database.js';
import type { SqliteDatabase } from './sqlite.js';
import { TABLES_IN_COPY_ORDER, TABLES_WITH_IDENTITY } from './postgres/schema.js';

/** One table's outcome: rows and a checksum on each side (equal when the copy is verified). */
export interface TableCopy {
  readonly table: string;
  readonly sourceRows: number;
  readonly targetRows: number;
  readonly sourceSum: string;
  readonly targetSum: string;
}

/** Rows inserted per INSERT statement. */
const BATCH = 500;

/**
 * Copies every row of a SQLite database into an empty PostgreSQL database (`ferry db copy --to`),
 * in one PostgreSQL transaction, reading SQLite in one read transaction (a consistent snapshot;
 * stop `ferry serve` first so nothing is written after it). The target's schema is created first
 * (the PostgreSQL migration); ids are kept and each identity sequence is moved past them. Then
 * every table is verified: its row count and a checksum (SHA-256 over the sorted SHA-256 of each
 * row's values, so it does not depend on either engine's row order) must be equal on both sides.
 * @param progress gets one line per step, for the operator
 * @throws FerryError FERRY_INVALID_INPUT when the target is not empty (nothing is written), or
 *   when a table differs after the copy (the transaction is rolled back)
 */
export async function copySqliteToPostgres(source: SqliteDatabase, url: string, progress: (line: string) => void): Promise<TableCopy[]> {
  const target = postgresDb(url);
  const pool = target.pool;
  if (!pool) throw new Error('unreachable: a PostgreSQL Db has a pool');
  try {
    progress(`checking that ${redactUrl(url)} is empty`);
    const foreign = (
      await pool.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
      )
    ).rows.map((r) => r.table_name).filter((t) => t !== 'schema_migrations' && !(TABLES_IN_COPY_ORDER as readonly string[]).includes(t));
    if (foreign.length > 0) throw notEmpty(url, `it has tables Ferry does not use (${foreign.slice(0, 3).join(', ')})`);
    await target.q(); // creates Ferry's tables when they are not there yet
    for (const table of TABLES_IN_COPY_ORDER) {
      const n = Number((await pool.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n ?? 0);
      if (n > 0) throw notEmpty(url, `${table} has ${n} row${n === 1 ? '' : 's'}`);
    }

    const client = await pool.connect();
    source.exec('BEGIN');
    try {
      await client.query('BEGIN');
      for (const table of TABLES_IN_COPY_ORDER) {
        const columns = await commonColumns(source, client, table);
        const select = source.prepare(`SELECT ${columns.join(', ')} FROM ${table}`).raw(true);
        let batch: unknown[][] = [];
        let copied = 0;
        const flush = async () => {
          if (batch.length === 0) return;
          const values: unknown[] = [];
          const tuples = batch.map((r) => `(${r.map((v) => (values.push(v), `$${values.length}`)).join(', ')})`);
          await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, values);
          copied += batch.length;
          batch = [];
          if (copied % 10_000 < BATCH) progress(`${table}: ${copied} rows copied`);
        };
        for (const r of select.iterate() as Iterable<unknown[]>) {
          batch.push(r);
          if (batch.length >= BATCH) await flush();
        }
        await flush();
        progress(`${table}: ${copied} row${copied === 1 ? '' : 's'} copied`);
      }
      for (const table of TABLES_WITH_IDENTITY) {
        await client.query(
          `SELECT setval(pg_get_serial_sequence('${table}', 'id'), GREATEST((SELECT max(id) FROM ${table}), 1), (SELECT max(id) FROM ${table}) IS NOT NULL)`,
        );
      }
      progress('verifying: row counts and a checksum per table');
      const results: TableCopy[] = [];
      for (const table of TABLES_IN_COPY_ORDER) {
        const columns = await commonColumns(source, client, table);
        const sourceRows = source.prepare(`SELECT ${columns.join(', ')} FROM ${table}`).raw(true).all() as unknown[][];
        const targetRows = (await client.query({ text: `SELECT ${columns.join(', ')} FROM ${table}`, rowMode: 'array' })).rows as unknown[][];
        results.push({ table, sourceRows: sourceRows.length, targetRows: targetRows.length, sourceSum: checksum(sourceRows), targetSum: checksum(targetRows) });
      }
      const bad = results.filter((r) => r.sourceRows !== r.targetRows || r.sourceSum !== r.targetSum);
      if (bad.length > 0) {
        throw new FerryError('FERRY_INVALID_INPUT', `the copy differs from the SQLite database in ${bad.map((r) => r.table).join(', ')}; nothing was kept (the PostgreSQL transaction was rolled back)`);
      }
      await client.query('COMMIT');
      return results;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      source.exec('COMMIT');
      client.release();
    }
  } finally {
    await target.close();
  }
}

function notEmpty(url: string, why: string): FerryError {
  return new FerryError('FERRY_INVALID_INPUT', `${redactUrl(url)} is not empty (${why}): copy into a new, empty database (e.g. createdb ferry_new), or empty this one first`);
}

/** The columns a table has on both sides, in SQLite's order. */
async function commonColumns(source: SqliteDatabase, client: { query: (q: string, v: unknown[]) => Promise<{ rows: { column_name: string }[] }> }, table: string): Promise<string[]> {
  const inSource = (source.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).map((r) => r.name);
  const inTarget = new Set(
    (await client.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`, [table])).rows.map((r) => r.column_name),
  );
  return inSource.filter((c) => inTarget.has(c));
}

/** SHA-256 over the sorted SHA-256 of each row (values as JSON, bytes as hex): independent of row order and engine. */
export function checksum(rows: readonly (readonly unknown[])[]): string {
  const each = rows.map((r) =>
    createHash('sha256')
      .update(JSON.stringify(r.map((v) => (Buffer.isBuffer(v) ? `\\x${v.toString('hex')}` : typeof v === 'bigint' ? Number(v) : v))))
      .digest('hex'),
  );
  each.sort();
  return createHash('sha256').update(each.join('\n')).digest('hex');
}
