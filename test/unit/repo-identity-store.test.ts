import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AccessPolicy } from '../../src/access/policy.js';
import type { Subject } from '../../src/access/subject.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { MIGRATIONS } from '../../src/db/migrations/index.js';
import { RepoMovedError } from '../../src/domain/errors.js';
import { parseRepoPath } from '../../src/domain/repo-path.js';
import { parseUserName } from '../../src/domain/user-name.js';
import { openSqliteStores } from '../../src/store/sqlite/index.js';
import type { User } from '../../src/store/types.js';
import { tempDir } from '../e2e/harness.js';
import { ENGINES } from '../support/engines.js';

const p = parseRepoPath;

describe('repo identity in the store', () => {
  it('migration 6 carries path grants over to repo ids, keeps prefix grants, drops grants on no repo', async () => {
    const file = join(tempDir(), 'ferry.db');
    const old = openSqlite(file, MIGRATIONS.filter((m) => m.version <= 4));
    old.exec(`INSERT INTO users (id, name) VALUES (1, 'bob'), (2, 'carol');
      INSERT INTO repos (id, path, kind) VALUES (10, 'proj/old', 'hg'), (11, 'team/app', 'git');
      INSERT INTO grants (user_id, target, level) VALUES (1, 'proj/old', 'read'), (1, 'team/', 'write'), (2, 'gone/repo', 'admin'), (2, 'team/app', 'admin');`);
    old.close();
    const stores = openSqliteStores(file);
    const bob = (await stores.grants.forUser(1)).map((g) => [g.target, g.repoId, g.level]);
    assert.deepEqual(bob, [
      ['proj/old', 10, 'read'],
      ['team/', null, 'write'],
    ]);
    assert.deepEqual((await stores.grants.forUser(2)).map((g) => [g.target, g.repoId]), [['team/app', 11]]);
    stores.close();
  });

});

for (const engine of ENGINES) {
  describe(`repo identity in the store (${engine.name})`, () => {
    it('grants follow a rename and die with the repo; a new repo at the old path inherits nothing and ends the redirect', async () => {
      const stores = await engine.openStores();
      const policy = new AccessPolicy(stores);
      const bob = await stores.users.create(parseUserName('bob'), { admin: false });
      const asBob: Subject = { kind: 'user', user: bob as User, readOnly: false };
      const old = await stores.repos.create(p('proj/old'), 'hg', { isPublic: false });
      await stores.grants.set(bob.id, 'proj/old', 'read');
      await stores.grants.set(bob.id, 'team/', 'write');
      const moved = await stores.repos.rename(p('proj/old'), p('proj/new'));
      assert.equal(moved.id, old.id);
      assert.deepEqual((await stores.grants.forUser(bob.id)).map((g) => g.target), ['proj/new', 'team/']);
      assert.equal(await policy.levelOn(asBob, moved), 'read');
      assert.equal((await stores.repos.movedFrom(p('PROJ/old')))?.path, 'proj/new');
      await assert.rejects(policy.authorize(asBob, p('proj/old'), 'read'), (err) => err instanceof RepoMovedError && err.message === 'proj/old moved to proj/new');

      const stranger = await stores.repos.create(p('proj/old'), 'hg', { isPublic: false });
      assert.equal(await stores.repos.movedFrom(p('proj/old')), undefined, 'a repo created there ends the redirect');
      assert.equal(await policy.levelOn(asBob, stranger), 'none', 'the new repo at the old path inherits no grant');
      await assert.rejects(policy.authorize(asBob, p('proj/old'), 'read'), /does not exist or you may not see it/);

      await stores.repos.remove(p('proj/new'));
      assert.deepEqual((await stores.grants.forUser(bob.id)).map((g) => g.target), ['team/']);
      await assert.rejects(stores.grants.set(bob.id, 'nothing/here', 'read'), /no repository at nothing\/here/);
      stores.close();
    });

    it('matches paths without regard to case, refuses two repos that differ only in case, keeps the case they were created with', async () => {
      const stores = await engine.openStores();
      const repo = await stores.repos.create(p('team/app'), 'git', { isPublic: false });
      assert.equal((await stores.repos.byPath(p('Team/App')))?.id, repo.id);
      await assert.rejects(stores.repos.create(p('Team/App'), 'hg', { isPublic: false }), /repository team\/app already exists/);
      assert.equal((await stores.repos.overlapping(p('TEAM/APP/sub')))?.id, repo.id);
      assert.equal((await stores.repos.overlapping(p('TEAM')))?.id, repo.id);
      await stores.repos.create(p('Other/Lib'), 'hg', { isPublic: true });
      await assert.rejects(stores.repos.rename(p('other/lib'), p('TEAM/app')), /already exists/);
      const recased = await stores.repos.rename(p('other/lib'), p('other/Lib'));
      assert.equal(recased.path, 'other/Lib');
      assert.equal(await stores.repos.movedFrom(p('Other/Lib')), undefined, 'a change of case leaves no redirect');
      assert.deepEqual((await stores.repos.list()).map((r) => r.path).sort(), ['other/Lib', 'team/app']);
      stores.close();
    });
  });
}
