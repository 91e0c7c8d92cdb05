import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addUser, expectOk, ferryCli, makeClient, makeHgRepo, run, startFerry, tempDir, type FerryServer } from './harness.js';
import { startPostgres, type ThrowawayPostgres } from '../support/postgres.js';

/** The CLI on SQLite whatever FERRY_TEST_DATABASE says: the copy's source is the data dir's ferry.db. */
const ON_SQLITE = { FERRY_DATABASE_URL: '' };

describe('ferry db copy --to postgres://…, then [database] url', () => {
  let pg: ThrowawayPostgres;
  let dataDir: string;
  let target: string;
  let token: string;
  let aliceHome: Awaited<ReturnType<typeof addUser>>;

  before(async () => {
    pg = await startPostgres();
    target = await pg.createDatabase('copied');
    const server = await startFerry({ env: ON_SQLITE });
    dataDir = server.dataDir;
    aliceHome = await addUser(server, 'alice');
    await server.cliOk(['repo', 'create', 'alice/notes', '--hg'], { env: ON_SQLITE });
    const local = await makeHgRepo(aliceHome, 2);
    await expectOk(aliceHome.hg(['-R', local, 'push', aliceHome.sshUrl('alice/notes')]), 'hg push on SQLite');
    token = /(ferry_[A-Za-z0-9_-]+)/.exec((await server.cliOk(['token', 'add', 'alice'], { env: ON_SQLITE })).stdout)?.[1] as string;
    assert.ok(token);
    assert.equal(await server.stop(), 0);
  });
  after(() => pg.stop());

  it('copies every table with progress and a verified row count and checksum per table, and refuses a non-empty target', async () => {
    const copy = await ferryCli(dataDir, ['db', 'copy', '--to', target], { env: ON_SQLITE });
    assert.equal(copy.code, 0, copy.stderr);
    const out = copy.stdout;
    assert.match(out, /^ferry db copy: users: 1 row copied$/m);
    assert.match(out, /^ferry db copy: repos: 1 row copied$/m);
    assert.match(out, /^ferry db copy: users: 1 rows, sha256 ([0-9a-f]{16}) = 1 rows, sha256 \1$/m);
    assert.match(out, /^ferry db copy: ssh_keys: 1 rows, sha256 ([0-9a-f]{16}) = 1 rows, sha256 \1$/m);
    assert.match(out, /^ferry db copy: tokens: 1 rows, sha256 ([0-9a-f]{16}) = 1 rows, sha256 \1$/m);
    assert.match(out, /^ferry db copy: done: \d+ rows in 15 tables, verified/m);
    assert.equal((await pg.psql("SELECT name FROM users", 'copied')).trim(), 'alice');

    const again = await ferryCli(dataDir, ['db', 'copy', '--to', target], { env: ON_SQLITE });
    assert.notEqual(again.code, 0);
    assert.equal(again.stderr.trim().split('\n').length, 1, again.stderr);
    assert.match(again.stderr, /is not empty \(users has 1 row\): copy into a new, empty database/);
  });

  it('serves the copied users, keys, repos and tokens once [database] url names the copy; backup refuses with pg_dump', async () => {
    const env = { FERRY_DATABASE_URL: target };
    const server: FerryServer = await startFerry({ dataDir, env });
    try {
      const alice = await makeClient(server, 'alice', aliceHome.key);
      const clone = join(tempDir(), 'clone');
      await expectOk(alice.hg(['clone', alice.sshUrl('alice/notes'), clone]), 'hg clone on PostgreSQL with the copied key');
      const log = await expectOk(alice.hg(['-R', clone, 'log', '-T', '{desc}\n']));
      assert.deepEqual(log.stdout.trim().split('\n'), ['commit 1', 'commit 0']);
      const me = await run('curl', ['-s', '-H', `Authorization: token ${token}`, `${server.baseUrl}/api/v1/user`]);
      assert.equal((JSON.parse(me.stdout) as { login: string }).login, 'alice');
      // New rows get ids after the copied ones (the identity sequences moved past them).
      await server.cliOk(['repo', 'create', 'alice/second', '--git'], { env });
      assert.equal((await pg.psql("SELECT id FROM repos WHERE path = 'alice/second'", 'copied')).trim(), '2');
      const backup = await ferryCli(dataDir, ['backup', join(tempDir(), 'b.tar')], { env });
      assert.notEqual(backup.code, 0);
      assert.equal(backup.stderr.trim().split('\n').length, 1, backup.stderr);
      assert.match(backup.stderr, /uses PostgreSQL \(\[database\] url\): back up the database with pg_dump/);
    } finally {
      await server.stop();
    }
  });
});
