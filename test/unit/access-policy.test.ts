import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import { AccessPolicy } from '../../src/access/policy.js';
import type { Subject } from '../../src/access/subject.js';
import { parseRepoPath } from '../../src/domain/repo-path.js';
import { parseUserName } from '../../src/domain/user-name.js';
import type { Repo, Stores, User } from '../../src/store/types.js';
import { ENGINES } from '../support/engines.js';

for (const engine of ENGINES) {
  describe(`AccessPolicy (${engine.name})`, () => {
    let stores: Stores;
    let policy: AccessPolicy;
    const users: Record<string, User> = {};
    const repos: Record<string, Repo> = {};
    const as = (name: string, readOnly = false): Subject => ({ kind: 'user', user: users[name] as User, readOnly });

    before(async () => {
      stores = await engine.openStores();
      policy = new AccessPolicy(stores);
      for (const name of ['root', 'alice', 'bob', 'carol']) {
        users[name] = await stores.users.create(parseUserName(name), { admin: name === 'root' });
      }
      for (const [path, isPublic] of [
        ['team/web/app', false],
        ['team/lib', true],
        ['alice/notes', false],
        ['teamx/other', false],
      ] as const) {
        repos[path] = await stores.repos.create(parseRepoPath(path), 'hg', { isPublic });
      }
      await stores.grants.set((users.bob as User).id, 'team/', 'read');
      await stores.grants.set((users.bob as User).id, 'team/web/app', 'write');
      await stores.grants.set((users.carol as User).id, 'team/', 'write');
    });

    const cases: [string, () => Subject, string, string][] = [
      ['admin', () => as('root'), 'team/web/app', 'admin'],
      ['owner namespace', () => as('alice'), 'alice/notes', 'admin'],
      ['no grant, private', () => as('alice'), 'team/web/app', 'none'],
      ['no grant, public', () => as('alice'), 'team/lib', 'read'],
      ['anonymous, public', () => ({ kind: 'anonymous' }), 'team/lib', 'read'],
      ['anonymous, private', () => ({ kind: 'anonymous' }), 'team/web/app', 'none'],
      ['exact grant beats prefix', () => as('bob'), 'team/web/app', 'write'],
      ['prefix grant', () => as('bob'), 'team/lib', 'read'],
      ['prefix does not match a longer first segment', () => as('carol'), 'teamx/other', 'none'],
      ['read-only token caps write', () => as('carol', true), 'team/web/app', 'read'],
      ['read-only token caps admin', () => as('root', true), 'team/web/app', 'read'],
    ];
    for (const [name, subject, path, expected] of cases) {
      it(`${name}: ${path} → ${expected}`, async () => {
        assert.equal(await policy.levelOn(subject(), repos[path] as Repo), expected);
      });
    }

    it('deploy keys reach only their own repo, read-only unless write', async () => {
      const ro: Subject = { kind: 'deploy-key', repo: repos['team/web/app'] as Repo, write: false, fingerprint: 'x' };
      const rw: Subject = { kind: 'deploy-key', repo: repos['team/web/app'] as Repo, write: true, fingerprint: 'y' };
      assert.equal(await policy.levelOn(ro, repos['team/web/app'] as Repo), 'read');
      assert.equal(await policy.levelOn(rw, repos['team/web/app'] as Repo), 'write');
      assert.equal(await policy.levelOn(rw, repos['alice/notes'] as Repo), 'none');
      assert.equal(await policy.levelOn(rw, repos['team/lib'] as Repo), 'read');
      assert.equal(await policy.canCreate(rw, parseRepoPath('team/new')), false);
    });

    it('answers a hidden repo exactly like a missing one', async () => {
      const hidden = await policy.authorize(as('alice'), parseRepoPath('team/web/app'), 'read').catch((e: Error) => e.message);
      const missing = await policy.authorize(as('alice'), parseRepoPath('team/web/nope'), 'read').catch((e: Error) => e.message);
      assert.equal(hidden, 'repository team/web/app does not exist or you may not see it');
      assert.equal(missing, 'repository team/web/nope does not exist or you may not see it');
    });

    it('says who may only read', async () => {
      await assert.rejects(policy.authorize(as('bob'), parseRepoPath('team/lib'), 'write'), {
        code: 'FERRY_ACCESS_DENIED',
        message: 'bob may only read team/lib',
      });
    });

    it('lets users create under their namespace and where they may write', async () => {
      assert.equal(await policy.canCreate(as('alice'), parseRepoPath('alice/new/deep')), true);
      assert.equal(await policy.canCreate(as('alice'), parseRepoPath('alice')), false);
      assert.equal(await policy.canCreate(as('alice'), parseRepoPath('team/new')), false);
      assert.equal(await policy.canCreate(as('carol'), parseRepoPath('team/new')), true);
      assert.equal(await policy.canCreate(as('bob'), parseRepoPath('team/new')), false);
      assert.equal(await policy.canCreate(as('carol', true), parseRepoPath('team/new')), false);
      assert.equal(await policy.canCreate({ kind: 'anonymous' }, parseRepoPath('x/y')), false);
      assert.equal(await policy.canCreate(as('root'), parseRepoPath('anything/here')), true);
    });

    it('lists what each subject can see', async () => {
      const seen = (await policy.visibleRepos(as('bob'))).map((r) => `${r.repo.path}:${r.level}`);
      assert.deepEqual(seen, ['team/lib:read', 'team/web/app:write']);
      const anon = (await policy.visibleRepos({ kind: 'anonymous' })).map((r) => r.repo.path);
      assert.deepEqual(anon, ['team/lib']);
    });
  });
}
