import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addUser, makeClient, makeHgRepo, makeKey, run, startFerry, tempDir, type Client, type FerryServer, expectOk } from './harness.js';

async function makeGitRepo(client: Client, count = 2): Promise<string> {
  const dir = join(tempDir('ferry-gitrepo-'), 'repo');
  assert.equal((await client.git(['init', '-q', '-b', 'main', dir])).code, 0);
  for (let i = 0; i < count; i++) {
    writeFileSync(join(dir, `f${i}.txt`), `line ${i}\n`);
    await expectOk(client.git(['-C', dir, 'add', '.']));
    await expectOk(client.git(['-C', dir, 'commit', '-q', '-m', `commit ${i}`]));
  }
  return dir;
}

describe('Git over SSH and deploy keys', () => {
  let server: FerryServer;
  let alice: Client;
  let bob: Client;

  before(async () => {
    server = await startFerry();
    alice = await addUser(server, 'alice');
    bob = await addUser(server, 'bob');
    await server.cliOk(['repo', 'create', 'team/lib', '--git']);
    await server.cliOk(['grant', 'alice', 'team/', 'write']);
    await server.cliOk(['grant', 'bob', 'team/lib', 'read']);
  });
  after(async () => {
    await server.stop();
  });

  it('pushes, clones with protocol v2, and maps a .git suffix to the repo', async () => {
    const local = await makeGitRepo(alice, 3);
    const push = await alice.git(['-C', local, 'push', alice.sshUrl('team/lib.git'), 'main']);
    assert.equal(push.code, 0, push.stderr);
    const clone = join(tempDir(), 'c');
    const r = await bob.git(['clone', bob.sshUrl('team/lib'), clone], { env: { GIT_TRACE_PACKET: '1' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /< version 2/);
    assert.equal((await bob.git(['-C', clone, 'log', '--format=%s'])).stdout, 'commit 2\ncommit 1\ncommit 0\n');
    const v0 = await bob.git(['-c', 'protocol.version=0', 'ls-remote', bob.sshUrl('team/lib.git')]);
    assert.equal(v0.code, 0, v0.stderr);
    assert.match(v0.stdout, /refs\/heads\/main/);
  });

  it('serves git upload-archive', async () => {
    const out = join(tempDir(), 'a.tar');
    const r = await bob.git(['archive', '--remote', bob.sshUrl('team/lib'), '-o', out, 'main']);
    assert.equal(r.code, 0, r.stderr);
    // The archive holds the pushed tree, file by file, byte for byte.
    const list = await run('tar', ['-tf', out]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(list.stdout.trim().split('\n').sort(), ['f0.txt', 'f1.txt', 'f2.txt']);
    for (let i = 0; i < 3; i++) {
      const file = await run('tar', ['-xOf', out, `f${i}.txt`]);
      assert.equal(file.stdout, `line ${i}\n`);
    }
  });

  it('refuses a push by a reader before anything runs', async () => {
    const local = await makeGitRepo(bob, 1);
    const push = await bob.git(['-C', local, 'push', bob.sshUrl('team/lib'), 'main:other']);
    assert.notEqual(push.code, 0);
    assert.match(push.stderr, /ferry: bob may only read team\/lib/);
  });

  it('creates a git repo on push where the user may create, and not elsewhere', async () => {
    const local = await makeGitRepo(alice, 1);
    const push = await alice.git(['-C', local, 'push', alice.sshUrl('alice/fresh.git'), 'main']);
    assert.equal(push.code, 0, push.stderr);
    assert.match((await server.cliOk(['repo', 'list'])).stdout, /alice\/fresh\s+git\s+private/);
    const refused = await bob.git(['-C', local, 'push', bob.sshUrl('team/bob-new'), 'main']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /ferry: repository team\/bob-new does not exist or you may not see it/);
  });

  it('tells a git client that an hg repo is not git', async () => {
    await server.cliOk(['repo', 'create', 'team/hgrepo']);
    const r = await alice.git(['ls-remote', alice.sshUrl('team/hgrepo')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /ferry: team\/hgrepo is a Mercurial repository/);
  });

  it('authenticates deploy keys for one repo: read-only unless --write (git)', async () => {
    const keys = tempDir();
    const ro = await makeKey(keys, 'deploy_ro');
    const rw = await makeKey(keys, 'deploy_rw');
    await server.cliOk(['deploy-key', 'add', 'team/lib', ro.publicPath]);
    await server.cliOk(['deploy-key', 'add', 'team/lib', rw.publicPath, '--write']);
    const reader = await makeClient(server, 'ci-ro', ro);
    const writer = await makeClient(server, 'ci-rw', rw);
    const clone = join(tempDir(), 'c');
    assert.equal((await reader.git(['clone', reader.sshUrl('team/lib'), clone])).code, 0);
    writeFileSync(join(clone, 'ci.txt'), 'ci\n');
    await expectOk(reader.git(['-C', clone, 'add', '.']));
    await expectOk(reader.git(['-C', clone, 'commit', '-q', '-m', 'ci']));
    const denied = await reader.git(['-C', clone, 'push', reader.sshUrl('team/lib'), 'HEAD:ci']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, new RegExp(`ferry: deploy key ${ro.fingerprint.replace(/[+/]/g, '\\$&')} of team/lib may only read team/lib`));
    const ok = await writer.git(['-C', clone, 'push', writer.sshUrl('team/lib'), 'HEAD:ci']);
    assert.equal(ok.code, 0, ok.stderr);
    const other = await writer.git(['ls-remote', writer.sshUrl('team/hgrepo')]);
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /does not exist or you may not see it/);
    const create = await writer.git(['-C', clone, 'push', writer.sshUrl('team/new-by-deploy'), 'HEAD:main']);
    assert.notEqual(create.code, 0);
  });

  it('authenticates deploy keys for one repo: read-only unless --write (hg)', async () => {
    await server.cliOk(['repo', 'create', 'team/hgdeploy']);
    const seed = await makeHgRepo(alice, 2);
    assert.equal((await alice.hg(['-R', seed, 'push', alice.sshUrl('team/hgdeploy')])).code, 0);
    const keys = tempDir();
    const ro = await makeKey(keys, 'hg_ro', 'ecdsa');
    const rw = await makeKey(keys, 'hg_rw', 'rsa');
    await server.cliOk(['deploy-key', 'add', 'team/hgdeploy', ro.publicPath]);
    await server.cliOk(['deploy-key', 'add', 'team/hgdeploy', rw.publicPath, '--write']);
    const reader = await makeClient(server, 'hg-ro', ro);
    const writer = await makeClient(server, 'hg-rw', rw);
    const clone = join(tempDir(), 'c');
    assert.equal((await reader.hg(['clone', reader.sshUrl('team/hgdeploy'), clone])).code, 0);
    writeFileSync(join(clone, 'ci.txt'), 'ci\n');
    await expectOk(reader.hg(['-R', clone, 'commit', '-A', '-m', 'ci']));
    const denied = await reader.hg(['-R', clone, 'push', reader.sshUrl('team/hgdeploy')]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stdout + denied.stderr, /remote: ferry: deploy key \S+ of team\/hgdeploy may only read team\/hgdeploy/);
    const ok = await writer.hg(['-R', clone, 'push', writer.sshUrl('team/hgdeploy')]);
    assert.equal(ok.code, 0, ok.stderr + ok.stdout);
    const init = await writer.hg(['init', writer.sshUrl('team/by-deploy')]);
    assert.notEqual(init.code, 0);
    assert.match(init.stdout + init.stderr, /ferry: deploy key \S+ of team\/hgdeploy may not create repositories/);
  });
});
