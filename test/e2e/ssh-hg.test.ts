import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addUser, makeHgRepo, startFerry, tempDir, type Client, type FerryServer, expectOk } from './harness.js';

describe('Mercurial over SSH', () => {
  let server: FerryServer;
  let alice: Client;
  let bob: Client;

  before(async () => {
    server = await startFerry();
    alice = await addUser(server, 'alice');
    bob = await addUser(server, 'bob');
    await server.cliOk(['repo', 'create', 'team/web/app']);
    await server.cliOk(['grant', 'alice', 'team/', 'write']);
    await server.cliOk(['grant', 'bob', 'team/web/app', 'read']);
  });
  after(async () => {
    await server.stop();
  });

  it('prints the ssh line before ready', () => {
    const out = server.output();
    assert.ok(server.sshPort > 0);
    assert.ok(out.indexOf('ferry: ssh listening on') < out.indexOf('ferry: ready'));
  });

  it('pushes to and clones from a nested repo', async () => {
    const local = await makeHgRepo(alice, 3);
    const push = await alice.hg(['-R', local, 'push', alice.sshUrl('team/web/app')]);
    assert.equal(push.code, 0, push.stderr + push.stdout);
    const clone = join(tempDir(), 'c');
    const r = await bob.hg(['clone', bob.sshUrl('team/web/app'), clone]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(clone, 'file2.txt'), 'utf8'), 'content 2\n');
    const log = await bob.hg(['-R', clone, 'log', '-T', '{desc}\n']);
    assert.deepEqual(log.stdout.trim().split('\n'), ['commit 2', 'commit 1', 'commit 0']);
  });

  it('refuses a push from a reader with the policy message, writing nothing', async () => {
    const clone = join(tempDir(), 'c');
    assert.equal((await bob.hg(['clone', bob.sshUrl('team/web/app'), clone])).code, 0);
    writeFileSync(join(clone, 'bob.txt'), 'bob\n');
    await expectOk(bob.hg(['-R', clone, 'commit', '-A', '-m', 'from bob']));
    const before = readFileSync(join(server.dataDir, 'repos/team/web/app/.hg/store/00changelog.i'));
    const push = await bob.hg(['-R', clone, 'push', bob.sshUrl('team/web/app')]);
    assert.notEqual(push.code, 0);
    assert.match(push.stdout + push.stderr, /remote: ferry: bob may only read team\/web\/app/);
    assert.deepEqual(readFileSync(join(server.dataDir, 'repos/team/web/app/.hg/store/00changelog.i')), before);
  });

  it('answers unknown and invisible repos the same way', async () => {
    await server.cliOk(['repo', 'create', 'secret/thing']);
    const hidden = await bob.hg(['clone', bob.sshUrl('secret/thing'), join(tempDir(), 'x')]);
    const missing = await bob.hg(['clone', bob.sshUrl('secret/nothing'), join(tempDir(), 'y')]);
    assert.notEqual(hidden.code, 0);
    assert.match(hidden.stderr, /remote: ferry: repository secret\/thing does not exist or you may not see it/);
    assert.equal(missing.stderr.replace('nothing', 'thing'), hidden.stderr);
  });

  it('creates repos with hg init and hg clone where the user may create', async () => {
    const init = await alice.hg(['init', alice.sshUrl('alice/made/by-init')]);
    assert.equal(init.code, 0, init.stderr);
    assert.ok(existsSync(join(server.dataDir, 'repos/alice/made/by-init/.hg')));
    const local = await makeHgRepo(alice, 2);
    const clone = await alice.hg(['clone', local, alice.sshUrl('team/pushed-clone')]);
    assert.equal(clone.code, 0, clone.stderr);
    const list = await server.cliOk(['repo', 'list']);
    assert.match(list.stdout, /team\/pushed-clone\s+hg\s+private/);
    const back = join(tempDir(), 'back');
    assert.equal((await alice.hg(['clone', alice.sshUrl('team/pushed-clone'), back])).code, 0);
    const refused = await bob.hg(['init', bob.sshUrl('team/bobs')]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /^ferry: bob may not create team\/bobs/m);
    assert.ok(!existsSync(join(server.dataDir, 'repos/team/bobs')));
  });

  it('does not name a hidden repo when a new path would nest with it', async () => {
    await server.cliOk(['repo', 'create', 'secret/vault']);
    await server.cliOk(['grant', 'alice', 'secret/vault/', 'write']);
    const refused = await alice.hg(['init', alice.sshUrl('secret/vault/inner')]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /cannot create secret\/vault\/inner: another repository is at, above or below that path/);
    assert.doesNotMatch(refused.stderr, /secret\/vault[^/]/);
    // An admin, who sees every repo, is told which one.
    const admin = await server.cli(['repo', 'create', 'secret/vault/inner']);
    assert.match(admin.stderr, /secret\/vault is a repository that would contain/);
  });
});
