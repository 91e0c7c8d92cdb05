import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { addUser, expectOk, ferryCli, makeClient, makeHgRepo, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

const EVOLVE = ['--config', 'extensions.evolve=', '--config', 'experimental.evolution=all'];

async function hgOut(client: Client, args: readonly string[]): Promise<string> {
  return (await expectOk(client.hg([...EVOLVE, ...args]), `hg ${args.join(' ')}`)).stdout;
}

async function hgHeads(client: Client, repo: string): Promise<string[]> {
  return (await hgOut(client, ['-R', repo, 'log', '-r', 'heads(all())', '-T', '{node}\\n'])).split('\n').filter(Boolean).sort();
}

async function gitRefs(client: Client, url: string): Promise<string> {
  return (await expectOk(client.git(['ls-remote', '--symref', url]), `git ls-remote ${url}`)).stdout.trim();
}

/** A byte flipped inside the named entry's data: tar headers are 512-byte blocks whose name starts the block. */
function damageEntry(archive: string, name: string): string {
  const buf = readFileSync(archive);
  for (let off = 0; off + 512 <= buf.length; off += 512) {
    if (buf.toString('utf8', off, off + name.length + 1) === `${name}\0`) {
      const at = off + 512 + 100;
      buf[at] = (buf[at] as number) ^ 0xff;
      const copy = `${archive}.damaged.tar`;
      writeFileSync(copy, buf);
      return copy;
    }
  }
  throw new Error(`${name} not found in ${archive}`);
}

describe('ferry backup while pushes run, ferry restore into a new data dir (issue 17.4)', () => {
  let server: FerryServer;
  let restored: FerryServer | undefined;
  let alice: Client;
  const work = new Map<string, string>();
  const archive = join(tempDir('ferry-backup-'), 'ferry-backup.tar');

  before(async () => {
    server = await startFerry();
    alice = await addUser(server, 'alice', { admin: true });
    for (const p of ['ops/h1', 'ops/h2', 'ops/h3']) await server.cliOk(['repo', 'create', p]);
    await server.cliOk(['repo', 'set', 'ops/h1', '--non-publishing']);
    for (const p of ['ops/g1', 'ops/g2']) await server.cliOk(['repo', 'create', p, '--git']);
    // hg: a first push each; h1 (non-publishing) gets a draft, a bookmark and an obsolescence marker.
    for (const p of ['ops/h1', 'ops/h2', 'ops/h3']) {
      const repo = await makeHgRepo(alice, 2);
      if (p === 'ops/h1') {
        writeFileSync(join(repo, 'draft.txt'), 'v1\n');
        await hgOut(alice, ['-R', repo, 'commit', '-A', '-m', 'draft work']);
        writeFileSync(join(repo, 'draft.txt'), 'v2\n');
        await hgOut(alice, ['-R', repo, 'commit', '--amend', '-m', 'draft work, amended']);
        await hgOut(alice, ['-R', repo, 'bookmark', 'feature']);
      }
      await hgOut(alice, ['-R', repo, 'push', '-B', 'feature', alice.sshUrl(p)].filter((a) => p === 'ops/h1' || (a !== '-B' && a !== 'feature')));
      work.set(p, repo);
    }
    // git: g1's first branch is `dev`, so HEAD names dev (not main).
    for (const [p, branch] of [['ops/g1', 'dev'], ['ops/g2', 'main']] as const) {
      const repo = join(tempDir('ferry-gitwork-'), 'w');
      await runOk('git', ['init', '-q', '-b', branch, repo], { env: alice.env });
      writeFileSync(join(repo, 'a.txt'), 'a\n');
      await runOk('git', ['-C', repo, 'add', '.'], { env: alice.env });
      await runOk('git', ['-C', repo, 'commit', '-qm', 'a'], { env: alice.env });
      await runOk('git', ['-C', repo, 'push', '-q', alice.sshUrl(p), branch], { env: alice.env });
      work.set(p, repo);
    }
    // One more commit each, to push while the backup runs.
    for (const p of ['ops/h1', 'ops/h2', 'ops/h3']) {
      const repo = work.get(p) as string;
      writeFileSync(join(repo, 'late.txt'), `late ${p}\n`);
      await hgOut(alice, ['-R', repo, 'commit', '-A', '-m', 'late']);
    }
    for (const p of ['ops/g1', 'ops/g2']) {
      const repo = work.get(p) as string;
      writeFileSync(join(repo, 'late.txt'), `late ${p}\n`);
      await runOk('git', ['-C', repo, 'add', '.'], { env: alice.env });
      await runOk('git', ['-C', repo, 'commit', '-qm', 'late'], { env: alice.env });
    }
  });
  after(async () => {
    await restored?.stop();
    await server.stop();
  });

  it('backs up during 5 pushes over SSH; the restored server has each push wholly in or wholly out, with phases, bookmarks, markers and HEAD', async (t) => {
    const before = new Map<string, string[]>();
    const afterPush = new Map<string, string[]>();
    for (const p of ['ops/h1', 'ops/h2', 'ops/h3']) {
      const repo = work.get(p) as string;
      afterPush.set(p, await hgHeads(alice, repo));
      before.set(p, (await hgOut(alice, ['-R', repo, 'log', '-r', 'heads(all() - .)', '-T', '{node}\\n'])).split('\n').filter(Boolean).sort());
    }
    const gitRemote = new Map<string, string>();
    for (const p of ['ops/g1', 'ops/g2']) gitRemote.set(p, await gitRefs(alice, alice.sshUrl(p)));

    // The backup starts first; the pushes a few seconds later, once it copies repos (ordered by
    // path: ops/g1, ops/g2, ops/h1…), so some repos are copied before their push and some after.
    const backup = server.cli(['backup', archive], { timeoutMs: 300_000 });
    await sleep(4000);
    const pushes = [
      ...['ops/h1', 'ops/h2', 'ops/h3'].map(async (p) => ({ p, r: await alice.hg([...EVOLVE, '-R', work.get(p) as string, 'push', '-f', alice.sshUrl(p)]) })),
      ...['ops/g1', 'ops/g2'].map(async (p) => ({ p, r: await alice.git(['-C', work.get(p) as string, 'push', alice.sshUrl(p), p === 'ops/g1' ? 'dev' : 'main']) })),
    ];
    const results = await Promise.all(pushes);
    const b = await backup;
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stderr, /ferry backup: repo 5\/5: /);
    assert.match(b.stderr, /backup written to /);
    const pushed = new Map(results.map(({ p, r }) => [p, r.code === 0]));
    const gitAfter = new Map<string, string>();
    for (const p of ['ops/g1', 'ops/g2']) gitAfter.set(p, await gitRefs(alice, alice.sshUrl(p)));

    // Restore into a new directory, then serve it.
    const dataDir = join(tempDir('ferry-restored-'), 'data');
    const r = await ferryCli(dataDir, ['restore', archive], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /restored 5 repos .* 5 verified, 0 failed/);
    assert.doesNotMatch(r.stderr, /warning/);
    for (const f of readdirSync(join(server.dataDir, 'ssh'))) {
      if (f.startsWith('ssh_host') || f.endsWith('_key')) assert.deepEqual(readFileSync(join(dataDir, 'ssh', f)), readFileSync(join(server.dataDir, 'ssh', f)), `host key ${f}`);
    }
    restored = await startFerry({ dataDir });
    const client = await makeClient(restored, 'alice', alice.key);

    for (const p of ['ops/h1', 'ops/h2', 'ops/h3']) {
      const clone = join(tempDir('ferry-restored-clone-'), 'c');
      await hgOut(client, ['clone', '-U', client.sshUrl(p), clone]);
      const heads = await hgHeads(client, clone);
      const inNow = JSON.stringify(heads) === JSON.stringify(afterPush.get(p));
      const out = JSON.stringify(heads) === JSON.stringify(before.get(p));
      assert.ok(inNow || out, `${p}: restored heads ${heads} are neither before ${before.get(p)} nor after ${afterPush.get(p)}`);
      if (!pushed.get(p)) assert.ok(out, `${p}: a failed push is in the backup`);
      t.diagnostic(`${p}: push ${pushed.get(p) ? 'succeeded' : 'failed'}; ${inNow ? 'in' : 'not in'} the backup`);
      if (p === 'ops/h1') {
        assert.match(await hgOut(client, ['-R', clone, 'bookmarks', '-T', '{bookmark}\\n']), /^feature$/m);
        assert.match(await hgOut(client, ['-R', clone, 'log', '-r', 'bookmark(feature)', '-T', '{phase}']), /^draft$/);
        assert.ok((await hgOut(client, ['-R', clone, 'debugobsolete'])).trim().split('\n').length >= 1, 'the amend marker survived');
      }
    }
    for (const p of ['ops/g1', 'ops/g2']) {
      const refs = await gitRefs(client, client.sshUrl(p));
      assert.ok(refs === gitRemote.get(p) || refs === gitAfter.get(p), `${p}: restored refs\n${refs}\nare neither before\n${gitRemote.get(p)}\nnor after\n${gitAfter.get(p)}`);
      if (!pushed.get(p)) assert.equal(refs, gitRemote.get(p));
      t.diagnostic(`${p}: push ${pushed.get(p) ? 'succeeded' : 'failed'}; ${refs === gitAfter.get(p) && refs !== gitRemote.get(p) ? 'in' : 'not in'} the backup`);
      await expectOk(client.git(['clone', '-q', client.sshUrl(p), join(tempDir('ferry-restored-gclone-'), 'c')]), `git clone ${p}`);
    }
    assert.match(await gitRefs(client, client.sshUrl('ops/g1')), /^ref: refs\/heads\/dev\tHEAD$/m);
  });

  it('refuses to restore into a data dir that is not empty, with what to do', async () => {
    assert.ok(existsSync(archive), 'the first test wrote the archive');
    const r = await ferryCli(server.dataDir, ['restore', archive]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^ferry: cannot restore into .*: it is not empty \(.*\); restore into a new directory with --data NEW_DIR/m);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });

  it('refuses a damaged archive (SHA-256 mismatch) and leaves no data dir behind', async () => {
    const damaged = damageEntry(archive, 'db/ferry.db');
    const dataDir = join(tempDir('ferry-restored-'), 'data');
    const r = await ferryCli(dataDir, ['restore', damaged]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^ferry: .* is not a usable Ferry backup: the SHA-256 of db\/ferry\.db does not match its manifest .*; restore from another copy of the backup$/m);
    assert.equal(existsSync(dataDir), false);
  });

  it('reports a database row whose repository is gone from disk, at backup and at restore', async () => {
    await server.cliOk(['repo', 'create', 'ops/gone', '--git']);
    rmSync(join(server.dataDir, 'repos', 'ops', 'gone'), { recursive: true, force: true });
    const second = join(tempDir('ferry-backup-'), 'second.tar');
    const b = await server.cli(['backup', second], { timeoutMs: 300_000 });
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stderr, /^ferry backup: warning: ops\/gone has a database row but no repository on disk$/m);
    const dataDir = join(tempDir('ferry-restored-'), 'data');
    const r = await ferryCli(dataDir, ['restore', second], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^ferry restore: warning: ops\/gone has a database row but no repository on disk$/m);
    const missing = await ferryCli(join(tempDir('ferry-restored-'), 'data'), ['restore', join(tempDir(), 'no-such.tar')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^ferry: the backup .*no-such\.tar does not exist; check the path$/m);
  });
});
