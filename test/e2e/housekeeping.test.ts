import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { PLAIN_GIT_ENV, addUser, expectOk, makeHgRepo, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

const doneLines = (ferry: FerryServer, kind: string) => ferry.output().split('\n').filter((l) => l.includes(`housekeeping: ${kind} done`)).length;

/** Waits (bounded) until the server has logged `count` finished jobs of `kind`. */
async function waitForJobs(ferry: FerryServer, kind: string, count: number): Promise<void> {
  for (let i = 0; i < 300 && doneLines(ferry, kind) < count; i++) await sleep(100);
  assert.equal(doneLines(ferry, kind), count, ferry.output());
}

describe('housekeeping after pushes', () => {
  let ferry: FerryServer;
  let alice: Client;
  before(async () => {
    ferry = await startFerry({ env: { FERRY_LOG_LEVEL: 'info', FERRY_GIT_REPACK_AFTER_PUSHES: '3' } });
    alice = await addUser(ferry, 'alice', { admin: true });
  });
  after(() => ferry?.stop());

  it('repacks a git repo with a bitmap and a commit-graph after 3 pushes, and clones still match', async () => {
    const work = join(tempDir('ferry-hk-git-'), 'w');
    await runOk('git', ['init', '-q', '-b', 'main', work], { env: PLAIN_GIT_ENV });
    const pushOne = async (i: number) => {
      writeFileSync(join(work, `f${i}.txt`), `push ${i}\n`);
      await runOk('git', ['-C', work, 'add', '.'], { env: PLAIN_GIT_ENV });
      await runOk('git', ['-C', work, 'commit', '-q', '-m', `push ${i}`], { env: PLAIN_GIT_ENV });
      await expectOk(alice.git(['-C', work, 'push', '-q', alice.sshUrl('team/app'), 'main']), `git push ${i}`);
    };
    const repoDir = join(ferry.dataDir, 'repos', 'team', 'app');
    const packDir = () => readdirSync(join(repoDir, 'objects', 'pack'));
    await pushOne(1);
    await pushOne(2);
    await sleep(500);
    assert.equal(doneLines(ferry, 'git-repack'), 0, 'no repack before the third push');
    assert.ok(!packDir().some((n) => n.endsWith('.bitmap')));
    await pushOne(3);
    await waitForJobs(ferry, 'git-repack', 1);
    assert.equal(packDir().filter((n) => n.endsWith('.pack')).length, 1, packDir().join(' '));
    assert.equal(packDir().filter((n) => n.endsWith('.bitmap')).length, 1, packDir().join(' '));
    assert.ok(existsSync(join(repoDir, 'objects', 'info', 'commit-graph')), 'commit-graph written');
    const clone = join(tempDir('ferry-hk-clone-'), 'c');
    await expectOk(alice.git(['clone', '-q', alice.sshUrl('team/app'), clone]));
    assert.equal((await alice.git(['-C', clone, 'rev-parse', 'HEAD'])).stdout, (await runOk('git', ['-C', work, 'rev-parse', 'HEAD'])).stdout);
    assert.equal((await alice.git(['-C', clone, 'fsck', '--no-progress'])).code, 0);
  });

  it("warms an hg repo's caches (branchmap of every filter, tags, rev-branch-cache) after a push", async () => {
    await expectOk(alice.ssh(['127.0.0.1', 'hg', 'init', 'team/hgapp']));
    const work = await makeHgRepo(alice, 3);
    await expectOk(alice.hg(['-R', work, 'tag', 'v1']));
    await expectOk(alice.hg(['-R', work, 'push', alice.sshUrl('team/hgapp')]));
    await waitForJobs(ferry, 'hg-caches', 1);
    const cache = readdirSync(join(ferry.dataDir, 'repos', 'team', 'hgapp', '.hg', 'cache'));
    for (const file of ['branch2-immutable', 'branch2-served', 'hgtagsfnodes1', 'rbc-revs-v1', 'tags2-served']) assert.ok(cache.includes(file), `${file} in ${cache.join(' ')}`);
    const clone = join(tempDir('ferry-hk-hgclone-'), 'c');
    await expectOk(alice.hg(['clone', '-U', alice.sshUrl('team/hgapp'), clone]));
    assert.match((await alice.hg(['-R', clone, 'tags'])).stdout, /^v1 /m);
  });
});

describe('housekeeping and `ferry repo mv` / `rm` from a shell (another process)', () => {
  let ferry: FerryServer;
  let alice: Client;
  before(async () => {
    ferry = await startFerry({ env: { FERRY_LOG_LEVEL: 'info' } });
    alice = await addUser(ferry, 'alice', { admin: true });
  });
  after(() => ferry?.stop());

  /** An hg repo with many files changed over many changesets: its blame warm-up takes a while. */
  async function busyHgRepo(): Promise<string> {
    const work = await makeHgRepo(alice, 1);
    for (let c = 0; c < 12; c++) {
      for (let f = 0; f < 60; f++) writeFileSync(join(work, `f${f}.txt`), `${'line\n'.repeat(f)}change ${c}\n`);
      await expectOk(alice.hg(['-R', work, 'commit', '-A', '-m', `change ${c}`]));
    }
    return work;
  }

  it('a repo moved right after a push: its warm-up never writes back at the old path, which a new repo may take', async () => {
    const work = await busyHgRepo();
    for (let round = 0; round < 3; round++) {
      const from = `mv/old${round}`;
      const to = `mv/new${round}`;
      await expectOk(alice.ssh(['127.0.0.1', 'hg', 'init', from]));
      const before = doneLines(ferry, 'hg-caches');
      await expectOk(alice.hg(['-R', work, 'push', alice.sshUrl(from)]));
      // At once, from a shell: the server's warm-up of this push is running or queued.
      await ferry.cliOk(['repo', 'mv', from, to]);
      await waitForJobs(ferry, 'hg-caches', before + 1);
      await sleep(300);
      assert.equal(existsSync(join(ferry.dataDir, 'repos', 'mv', `old${round}`)), false, `nothing at ${from} after the move:\n${ferry.output()}`);
      assert.ok(existsSync(join(ferry.dataDir, 'repos', 'mv', `new${round}`, '.hg', 'store')));
      await expectOk(alice.ssh(['127.0.0.1', 'hg', 'init', from]), 'a new repo at the old path');
    }
  });

  it('a repo moved while a git push to it is in flight: the move waits for the push, which lands whole at the new path', async () => {
    await ferry.cliOk(['repo', 'create', 'inflight/git', '--git']);
    const work = join(tempDir('ferry-inflight-'), 'w');
    await runOk('git', ['init', '-q', '-b', 'main', work], { env: PLAIN_GIT_ENV });
    // Incompressible content: the push takes a while on the wire.
    for (let i = 0; i < 8; i++) writeFileSync(join(work, `blob${i}.bin`), randomBytes(10 * 1024 * 1024));
    await runOk('git', ['-C', work, 'add', '-A'], { env: PLAIN_GIT_ENV });
    await runOk('git', ['-C', work, 'commit', '-q', '-m', 'big'], { env: PLAIN_GIT_ENV });
    const pushed = (await runOk('git', ['-C', work, 'rev-parse', 'HEAD'], { env: PLAIN_GIT_ENV })).stdout.trim();
    const push = alice.git(['-C', work, '-c', 'pack.compression=0', 'push', '-q', alice.sshUrl('inflight/git'), 'main']);
    // Wait until the server is receiving (git's quarantine directory), then move from a shell.
    const objects = join(ferry.dataDir, 'repos', 'inflight', 'git', 'objects');
    for (let i = 0; i < 300 && !readdirSync(objects).some((n) => n.startsWith('incoming-')); i++) await sleep(20);
    const mv = ferry.cliOk(['repo', 'mv', 'inflight/git', 'inflight/moved']);
    const pushed1 = await push;
    await mv;
    assert.equal(pushed1.code, 0, `the push succeeded: ${pushed1.stderr}`);
    assert.equal(existsSync(join(ferry.dataDir, 'repos', 'inflight', 'git')), false);
    assert.equal((await runOk('git', ['-C', join(ferry.dataDir, 'repos', 'inflight', 'moved'), 'rev-parse', 'main'])).stdout.trim(), pushed);
    assert.doesNotMatch(ferry.output(), /could not read refs|not a git repository|"after":null/, 'no push read a moved directory, nor announced a deleted branch');
    assert.match(ferry.output(), new RegExp(`"after":"${pushed}"`), 'the push announced its commit');
  });

  it('a repo removed right after a push leaves no directory behind', async () => {
    const work = await busyHgRepo();
    await expectOk(alice.ssh(['127.0.0.1', 'hg', 'init', 'rm/gone']));
    await expectOk(alice.hg(['-R', work, 'push', alice.sshUrl('rm/gone')]));
    await ferry.cliOk(['repo', 'rm', 'rm/gone']);
    await sleep(1500);
    assert.equal(existsSync(join(ferry.dataDir, 'repos', 'rm', 'gone')), false, ferry.output());
    await expectOk(alice.ssh(['127.0.0.1', 'hg', 'init', 'rm/gone']), 'a new repo at the same path');
  });
});

describe('stale temp files at start', () => {
  it('removes what killed imports and clone bundle builds left, and keeps what is still being written', async () => {
    const data = tempDir('ferry-hk-stale-');
    const old = (Date.now() - 60 * 60 * 1000) / 1000;
    const deadImport = join(data, 'tmp', 'import-dead1');
    mkdirSync(join(deadImport, 'clone', '.hg'), { recursive: true });
    writeFileSync(join(deadImport, 'clone', '.hg', 'requires'), 'store\n');
    const deadBundle = join(data, 'hg-bundles', '7', '0123456789abcdef01234567.tmp');
    mkdirSync(join(data, 'hg-bundles', '7'), { recursive: true });
    writeFileSync(deadBundle, 'half a bundle');
    for (const p of [join(deadImport, 'clone', '.hg', 'requires'), join(deadImport, 'clone', '.hg'), join(deadImport, 'clone'), deadImport, deadBundle]) utimesSync(p, old, old);
    const liveImport = join(data, 'tmp', 'import-live1');
    mkdirSync(liveImport, { recursive: true });
    writeFileSync(join(liveImport, 'pack'), 'being written');
    const ferry = await startFerry({ dataDir: data, env: { FERRY_LOG_LEVEL: 'info' } });
    try {
      assert.ok(!existsSync(deadImport), 'the dead import is gone');
      assert.ok(!existsSync(deadBundle), 'the half bundle is gone');
      assert.ok(existsSync(join(liveImport, 'pack')), 'a live import is kept');
      assert.match(ferry.output(), /removed temp files of killed imports and clone bundle builds/);
    } finally {
      await ferry.stop();
    }
  });
});
