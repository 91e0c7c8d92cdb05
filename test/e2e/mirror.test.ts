import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { addUser, makeClient, makeHgRepo, run, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';
import { assertStoredNowhere } from './secrets.js';
import { eventually, makeGitSource, type GitSource } from './git-source.js';
import { startGitHttp, type Remote } from './remotes.js';

async function head(dir: string, ref = 'refs/heads/main'): Promise<string> {
  return (await run('git', ['-C', dir, 'rev-parse', '--verify', '--quiet', ref])).stdout.trim();
}

function secretOf(output: string): string {
  const m = /webhook secret \(shown once; [^)]*\): (\S+)/.exec(output);
  assert.ok(m, output);
  return m[1] as string;
}

describe('pull mirrors', () => {
  let srv: FerryServer;
  let admin: Client;
  let author: Client;
  let source: GitSource;
  let http: Remote;
  let url: string;
  before(async () => {
    srv = await startFerry();
    admin = await addUser(srv, 'admin', { admin: true });
    author = await makeClient({ sshPort: 0 }, 'author');
    source = await makeGitSource(author);
    http = await startGitHttp(source.root);
    url = `${http.url}src.git`;
  });
  after(async () => {
    await srv.stop();
    await http.stop();
  });

  it('syncs a git mirror on schedule inside ferry serve, lists it, and refuses pushes (FERRY_MIRROR_READ_ONLY)', async () => {
    const r = await srv.cliOk(['import', url, 'mirrors/lib', '--mirror', '--every', '1s']);
    assert.match(r.stdout, /mirror: mirrors\/lib is read-only and syncs every 1s/);
    const dir = join(srv.dataDir, 'repos', 'mirrors', 'lib');
    const next = await source.commit('second');
    await eventually('the scheduled sync brings the new commit', async () => (await head(dir)) === next);
    const list = await srv.cliOk(['mirror', 'list']);
    assert.match(list.stdout, /^mirrors\/lib\s+git\s+http:\/\/127\.0\.0\.1:\d+\/src\.git\s+1s\s+20\d\d-\S+\s+20\d\d-\S+\s+0\s+20\d\d-\S+\s+-$/m);

    const work = join(tempDir('ferry-push-'), 'lib');
    await runOk('git', ['clone', '--quiet', admin.sshUrl('mirrors/lib'), work], { env: admin.env });
    writeFileSync(join(work, 'mine.txt'), 'mine\n');
    await runOk('git', ['-C', work, 'add', '-A'], { env: admin.env });
    await runOk('git', ['-C', work, 'commit', '--quiet', '-m', 'mine'], { env: admin.env });
    const push = await admin.git(['-C', work, 'push', 'origin', 'main']);
    assert.notEqual(push.code, 0);
    assert.match(push.stderr, /mirrors\/lib is a read-only mirror of http:\/\/127\.0\.0\.1:\d+\/src\.git: push there instead/);
    assert.equal(await head(dir), next);
  });

  it('syncs on a signed webhook (GitHub, Gitea, GitLab), refuses bad signatures, and rotates the secret', async () => {
    const created = await srv.cliOk(['import', url, 'mirrors/hooked', '--mirror', '--every', '1h']);
    const secret = secretOf(created.stdout);
    const dir = join(srv.dataDir, 'repos', 'mirrors', 'hooked');
    const hook = `${srv.baseUrl}/api/v1/mirrors/mirrors/hooked/sync`;
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const sign = (s: string) => createHmac('sha256', s).update(body).digest('hex');
    const post = (headers: Record<string, string>) => fetch(hook, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers } });

    assert.equal((await post({})).status, 401);
    // A wrong signature and a path with no mirror answer alike (issue 11, item 3).
    assert.equal((await post({ 'X-Hub-Signature-256': `sha256=${sign('wrong')}` })).status, 404);
    assert.equal((await fetch(`${srv.baseUrl}/api/v1/mirrors/nope/sync`, { method: 'POST', body })).status, 401);
    assert.equal((await fetch(`${srv.baseUrl}/api/v1/mirrors/nope/sync`, { method: 'POST', body, headers: { 'X-Hub-Signature-256': `sha256=${sign(secret)}` } })).status, 404);
    const next = await source.commit('third');
    const github = await post({ 'X-Hub-Signature-256': `sha256=${sign(secret)}`, 'X-GitHub-Event': 'push' });
    assert.equal(github.status, 202, await github.text());
    await eventually('the webhook sync brings the new commit', async () => (await head(dir)) === next);
    assert.equal((await post({ 'X-Gitea-Signature': sign(secret) })).status, 202);
    assert.equal((await post({ 'X-Gitlab-Token': secret })).status, 202);

    const rotated = await srv.cliOk(['mirror', 'secret', 'mirrors/hooked']);
    const fresh = secretOf(rotated.stdout);
    assert.notEqual(fresh, secret);
    assert.equal((await post({ 'X-Gitlab-Token': secret })).status, 404);
    assert.equal((await post({ Authorization: `Bearer ${fresh}` })).status, 202);
  });

  it('refuses upstream history rewrites and deleted refs unless --allow-force, keeping what the mirror had', async () => {
    await srv.cliOk(['import', url, 'mirrors/safe', '--mirror', '--every', '1h']);
    const dir = join(srv.dataDir, 'repos', 'mirrors', 'safe');
    const kept = await head(dir);
    await source.git('-C', source.work, 'checkout', '--quiet', 'main');
    await source.git('-C', source.work, 'reset', '--quiet', '--hard', 'HEAD~1');
    const rewritten = await source.commit('rewritten', { force: true });
    await source.git('-C', source.work, 'push', '--quiet', source.bare, ':feature');

    const refused = await srv.cli(['mirror', 'sync', 'mirrors/safe']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^ferry: sync of mirrors\/safe refused: upstream rewrote main \(non-fast-forward\); upstream deleted refs\/heads\/feature; the mirror kept its versions/m);
    assert.equal(await head(dir), kept);
    assert.notEqual(await head(dir, 'refs/heads/feature'), '');
    const list = await srv.cliOk(['mirror', 'list']);
    assert.match(list.stdout, /^mirrors\/safe\s+git\s+\S+\s+1h\s+20\d\d-\S+\s+never\s+1\s+\S+\s+sync of mirrors\/safe refused/m);

    const forced = await srv.cli(['mirror', 'sync', 'mirrors/safe', '--allow-force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(await head(dir), rewritten);
    assert.equal(await head(dir, 'refs/heads/feature'), '');

    await srv.cliOk(['mirror', 'rm', 'mirrors/safe']);
    assert.doesNotMatch((await srv.cliOk(['mirror', 'list'])).stdout, /mirrors\/safe/);
    assert.match((await srv.cliOk(['repo', 'list'])).stdout, /mirrors\/safe\s+git/);
  });

  it('imports and mirrors an hg repo from another Ferry over SSH with --identity, the key sealed at rest', async () => {
    const upstream = await startFerry();
    try {
      const owner = await addUser(upstream, 'owner', { admin: true });
      await upstream.cliOk(['repo', 'create', 'proj']);
      const local = await makeHgRepo(owner, 3);
      await runOk('hg', ['-R', local, 'push', owner.sshUrl('proj')], { env: owner.env });

      const r = await srv.cli(['import', owner.sshUrl('proj'), 'up/proj', '--identity', owner.key.privatePath, '--mirror']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^imported up\/proj from ssh:\/\/127\.0\.0\.1:\d+\/proj: hg 3 changesets, 1 branches, verified/m);
      // The server may be running the new mirror's first scheduled sync, with its own temporary
      // settings, at this moment: those go when it ends.
      for (let i = 0; i < 50 && readdirSync(join(srv.dataDir, 'tmp')).length > 0; i++) await sleep(100);
      assert.deepEqual(readdirSync(join(srv.dataDir, 'tmp')), [], 'the temporary ssh settings are gone');
      const keyText = readFileSync(owner.key.privatePath, 'utf8').split('\n')[1] as string;
      assertStoredNowhere(srv.dataDir, [keyText, Buffer.from(keyText, 'base64')], 'the private key is stored only sealed');
      assert.equal(statSync(join(srv.dataDir, 'secrets', 'mirror.key')).mode & 0o777, 0o600);

      writeFileSync(join(local, 'more.txt'), 'more\n');
      await runOk('hg', ['-R', local, 'commit', '-A', '-m', 'more'], { env: owner.env });
      await runOk('hg', ['-R', local, 'push', owner.sshUrl('proj')], { env: owner.env });
      const synced = await srv.cli(['mirror', 'sync', 'up/proj']);
      assert.equal(synced.code, 0, synced.stderr);
      assert.match(synced.stdout, /^synced up\/proj: 1 changeset\(s\) added$/m);
      const log = await runOk('hg', ['-R', join(srv.dataDir, 'repos', 'up', 'proj'), 'log', '-r', 'tip', '-T', '{desc}'], { env: owner.env });
      assert.equal(log.stdout, 'more');

      const work = join(tempDir('ferry-hgpush-'), 'proj');
      await runOk('hg', ['clone', admin.sshUrl('up/proj'), work], { env: admin.env });
      writeFileSync(join(work, 'mine.txt'), 'mine\n');
      await runOk('hg', ['-R', work, 'commit', '-A', '-m', 'mine'], { env: admin.env });
      const push = await admin.hg(['-R', work, 'push']);
      assert.notEqual(push.code, 0);
      assert.match(push.stdout + push.stderr, /up\/proj is a read-only mirror/);
    } finally {
      await upstream.stop();
    }
  });

  it('imports a git repo from another Ferry over SSH with --identity, every ref equal, no secret or remote kept', async () => {
    const upstream = await startFerry();
    try {
      const owner = await addUser(upstream, 'owner', { admin: true });
      const work = join(tempDir('ferry-gitsrc-'), 'lib');
      await runOk('git', ['init', '-q', '-b', 'main', work], { env: owner.env });
      for (const n of [1, 2, 3]) {
        writeFileSync(join(work, `f${n}.txt`), `${n}\n`);
        await runOk('git', ['-C', work, 'add', '-A'], { env: owner.env });
        await runOk('git', ['-C', work, 'commit', '-q', '-m', `c${n}`], { env: owner.env });
      }
      await runOk('git', ['-C', work, 'tag', '-a', 'v1.0.0', '-m', 'release'], { env: owner.env });
      await runOk('git', ['-C', work, 'branch', 'feature', 'HEAD~1'], { env: owner.env });
      const sshUrl = `ssh://git@127.0.0.1:${upstream.sshPort}/lib.git`;
      await runOk('git', ['-C', work, 'push', '-q', sshUrl, 'main', 'feature', 'v1.0.0'], { env: owner.env });

      const r = await srv.cli(['import', sshUrl, 'up/lib', '--identity', owner.key.privatePath]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^imported up\/lib from ssh:\/\/127\.0\.0\.1:\d+\/lib\.git: git .*verified/m);
      const copy = join(srv.dataDir, 'repos', 'up', 'lib');
      const refs = async (args: string[]) =>
        (await runOk('git', args, { env: owner.env })).stdout.trim().split('\n').map((l) => l.replace(/\s+/, ' ')).filter((l) => !/ HEAD$/.test(l)).sort();
      assert.deepEqual(
        await refs(['-C', copy, 'for-each-ref', '--format=%(objectname) %(refname)']),
        await refs(['ls-remote', sshUrl]).then((l) => l.filter((x) => !x.endsWith('^{}'))),
      );
      assert.equal((await run('git', ['-C', copy, 'fsck', '--no-progress'])).code, 0);
      assert.deepEqual(readdirSync(join(srv.dataDir, 'tmp')), [], 'the temporary ssh settings are gone');
      const config = readFileSync(join(copy, 'config'), 'utf8');
      assert.doesNotMatch(config, /127\.0\.0\.1|ssh:|remote/, 'the copy keeps no path to the old host');
      const keyText = readFileSync(owner.key.privatePath, 'utf8').split('\n')[1] as string;
      assertStoredNowhere(srv.dataDir, [keyText, Buffer.from(keyText, 'base64')], 'a one-off import keeps no copy of the key');
    } finally {
      await upstream.stop();
    }
  });
});

