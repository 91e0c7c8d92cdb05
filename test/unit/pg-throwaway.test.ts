import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import pg from 'pg';
import { startPostgres } from '../support/postgres.js';

describe('the throwaway PostgreSQL for tests', () => {
  it('starts on a Unix socket, answers on its postgres:// URL, and is removed when stopped', async () => {
    const server = await startPostgres();
    try {
      assert.match(server.url, /^postgres:\/\/postgres@%2F.*\/ferry$/);
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      const r = await client.query<{ v: string; listen: string; fsync: string }>(
        "SELECT current_database() AS v, current_setting('listen_addresses') AS listen, current_setting('fsync') AS fsync",
      );
      await client.end();
      assert.deepEqual(r.rows[0], { v: 'ferry', listen: '', fsync: 'off' });
      const other = await server.createDatabase('second');
      assert.equal((await server.psql('SELECT current_database()', 'second')).trim(), 'second');
      assert.match(other, /\/second$/);
    } finally {
      await server.stop();
    }
    assert.equal(existsSync(server.socketDir), false);
  });
});
