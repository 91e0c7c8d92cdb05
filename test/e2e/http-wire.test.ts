import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { addUser, makeClient, makeHgRepo, run, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

function url(server: FerryServer, path: string, credentials?: { user: string; secret: string }): string {
  const auth = credentials ? `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.secret)}@` : '';
  return `http://${auth}127.0.0.1:${server.httpPort}/${path}`;
}

async function token(server: FerryServer, user: string, readOnly = false): Promise<string> {
  return (await server.cliOk(['token', 'add', user, ...(readOnly ? ['--read-only'] : [])])).stdout.trim();
}

async function gitCommit(client: Client, dir: string, file: string, text: string): Promise<void> {
  writeFileSync(join(dir, file), text);
  await runOk('git', ['-C', dir, 'add', file], { env: client.env });
  await runOk('git', ['-C', dir, 'commit', '-q', '-m', `change ${file}`], { env: client.env });
}

describe('hg and git over HTTP', () => {
  let server: FerryServer;
  let alice: Client;
  let bob: Client;
  let aliceToken: string;
  let bobToken: string;

  before(async () => {
    server = await startFerry();
    alice = await addUser(server, 'alice');
    bob = await addUser(server, 'bob');
    await server.cliOk(['grant', 'alice', 'team/', 'write']);
    await server.cliOk(['grant', 'bob', 'team/', 'read']);
    aliceToken = await token(server, 'alice');
    bobToken = await token(server, 'bob');
    await server.cliOk(['user', 'passwd', 'alice'], { input: 'correct horse battery\n' });
  });
  after(async () => {
    await server.stop();
  });

  it('hg clones (also --stream), pulls and pushes changesets and bookmarks with a token or a password', async () => {
    await server.cliOk(['repo', 'create', 'team/hg-app', '--public']);
    const local = await makeHgRepo(alice, 3);
    await runOk('hg', ['-R', local, 'bookmark', 'feature'], { env: alice.env });
    const pushed = await alice.hg(['-R', local, 'push', '-B', 'feature', url(server, 'team/hg-app', { user: 'alice', secret: aliceToken })]);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(pushed.stdout, /added 3 changesets/);

    const work = tempDir();
    const anon = await makeClient(server, 'anon');
    const clone = await anon.hg(['clone', '-U', url(server, 'team/hg-app'), join(work, 'c1')]);
    assert.equal(clone.code, 0, clone.stderr);
    assert.equal((await runOk('hg', ['-R', join(work, 'c1'), 'log', '-T', '{rev}\n'], { env: anon.env })).stdout.trim().split('\n').length, 3);
    assert.match((await runOk('hg', ['-R', join(work, 'c1'), 'bookmarks'], { env: anon.env })).stdout, /feature/);
    const stream = await anon.hg(['clone', '-U', '--stream', url(server, 'team/hg-app'), join(work, 'c2')]);
    assert.equal(stream.code, 0, stream.stderr);
    assert.match(stream.stdout + stream.stderr, /streaming all changes/);

    writeFileSync(join(local, 'more.txt'), 'more\n');
    await runOk('hg', ['-R', local, 'commit', '-A', '-m', 'more'], { env: alice.env });
    const byPassword = await alice.hg(['-R', local, 'push', url(server, 'team/hg-app', { user: 'alice', secret: 'correct horse battery' })]);
    assert.equal(byPassword.code, 0, byPassword.stderr);
    const pulled = await anon.hg(['-R', join(work, 'c1'), 'pull', url(server, 'team/hg-app')]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(pulled.stdout, /added 1 changesets/);
  });

  it('git clones, fetches and pushes with protocol v0 and v2, with and without .git', async () => {
    await server.cliOk(['repo', 'create', 'team/git-app', '--git']);
    const creds = { user: 'alice', secret: aliceToken };
    const src = join(tempDir(), 'src');
    await runOk('git', ['init', '-q', src], { env: alice.env });
    await gitCommit(alice, src, 'a.txt', 'a\n');
    const push = await alice.git(['-C', src, 'push', url(server, 'team/git-app.git', creds), 'HEAD:refs/heads/main']);
    assert.equal(push.code, 0, push.stderr);
    const head = (await runOk('git', ['-C', src, 'rev-parse', 'HEAD'], { env: alice.env })).stdout.trim();

    const work = tempDir();
    for (const [version, path] of [
      ['0', 'team/git-app'],
      ['2', 'team/git-app.git'],
    ] as const) {
      const dir = join(work, `v${version}`);
      const clone = await alice.git(['-c', `protocol.version=${version}`, 'clone', '-q', url(server, path, creds), dir], { env: { GIT_TRACE_PACKET: '1' } });
      assert.equal(clone.code, 0, clone.stderr);
      if (version === '2') assert.match(clone.stderr, /version 2/);
      else assert.doesNotMatch(clone.stderr, /< version 2/);
      assert.equal((await runOk('git', ['-C', dir, 'rev-parse', 'HEAD'], { env: alice.env })).stdout.trim(), head);
    }

    await gitCommit(alice, src, 'b.txt', 'b\n');
    assert.equal((await alice.git(['-C', src, '-c', 'protocol.version=0', 'push', url(server, 'team/git-app', creds), 'HEAD:refs/heads/main'])).code, 0);
    const next = (await runOk('git', ['-C', src, 'rev-parse', 'HEAD'], { env: alice.env })).stdout.trim();
    const created = await alice.git(['-C', src, 'push', url(server, 'team/git-new.git', creds), 'HEAD:refs/heads/main']);
    assert.equal(created.code, 0, created.stderr);
    assert.match((await server.cliOk(['repo', 'list'])).stdout, /team\/git-new\s+git\s+private/);
    const notHers = await alice.git(['-C', src, 'push', url(server, 'elsewhere/git-new', creds), 'HEAD:refs/heads/main']);
    assert.notEqual(notHers.code, 0);
    assert.match(notHers.stderr, /repository elsewhere\/git-new does not exist or you may not see it/);
    for (const version of ['0', '2']) {
      const dir = join(work, `v${version}`);
      const fetched = await alice.git(['-C', dir, '-c', `protocol.version=${version}`, 'fetch', '-q', 'origin']);
      assert.equal(fetched.code, 0, fetched.stderr);
      assert.equal((await runOk('git', ['-C', dir, 'rev-parse', 'origin/main'], { env: alice.env })).stdout.trim(), next);
    }
  });

  it('accepts a gzip-encoded git request body', async () => {
    await server.cliOk(['repo', 'create', 'team/git-gz', '--git', '--public']);
    const src = join(tempDir(), 'src');
    await runOk('git', ['init', '-q', src], { env: alice.env });
    await gitCommit(alice, src, 'a.txt', 'a\n');
    await runOk('git', ['-C', src, 'push', '-q', url(server, 'team/git-gz', { user: 'alice', secret: aliceToken }), 'HEAD:refs/heads/main'], { env: alice.env });
    const pkt = (s: string) => `${(s.length + 4).toString(16).padStart(4, '0')}${s}`;
    const body = gzipSync(Buffer.from(`${pkt('command=ls-refs\n')}0001${pkt('peel\n')}0000`));
    const res = await fetch(`${url(server, 'team/git-gz')}/git-upload-pack`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-git-upload-pack-request', 'Content-Encoding': 'gzip', 'Git-Protocol': 'version=2' },
      body,
    });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /refs\/heads\/main/);
    const badProtocol = await fetch(`${url(server, 'team/git-gz')}/info/refs?service=git-upload-pack`, { headers: { 'Git-Protocol': 'version=2 --upload-pack=x' } });
    assert.equal(badProtocol.status, 400);
  });

  it('challenges the anonymous on a private repo (401), hides it from a signed-in stranger (404), refuses a reader push (403) with a message the client prints', async () => {
    await server.cliOk(['repo', 'create', 'secret/hg']);
    await server.cliOk(['repo', 'create', 'secret/git', '--git']);
    await server.cliOk(['repo', 'create', 'team/hg-ro', '--public']);
    await server.cliOk(['repo', 'create', 'team/git-ro', '--git']);

    for (const path of ['secret/hg?cmd=capabilities', 'secret/git/info/refs?service=git-upload-pack', 'nowhere/at-all?cmd=capabilities']) {
      const anon = await fetch(url(server, path));
      assert.equal(anon.status, 401, path);
      assert.match(anon.headers.get('www-authenticate') ?? '', /^Basic realm="Ferry"/);
      const stranger = await fetch(url(server, path), { headers: { Authorization: `Basic ${Buffer.from(`bob:${bobToken}`).toString('base64')}` } });
      assert.equal(stranger.status, 404, path);
    }
    const hgClone = await bob.hg(['clone', '-U', url(server, 'secret/hg', { user: 'bob', secret: bobToken }), join(tempDir(), 'x')]);
    assert.notEqual(hgClone.code, 0);
    assert.match(hgClone.stderr, /HTTP Error 404: repository secret\/hg does not exist or you may not see it/);

    const local = await makeHgRepo(bob, 1);
    const hgPush = await bob.hg(['-R', local, 'push', url(server, 'team/hg-ro', { user: 'bob', secret: bobToken })]);
    assert.notEqual(hgPush.code, 0);
    assert.match(hgPush.stderr, /HTTP Error 403: bob may only read team\/hg-ro$/m);
    const anonPush = await bob.hg(['-R', local, 'push', url(server, 'team/hg-ro')]);
    assert.notEqual(anonPush.code, 0);
    assert.match(anonPush.stderr, /authorization required/);

    const src = join(tempDir(), 'src');
    await runOk('git', ['init', '-q', src], { env: bob.env });
    await gitCommit(bob, src, 'a.txt', 'a\n');
    const gitPush = await bob.git(['-C', src, 'push', url(server, 'team/git-ro', { user: 'bob', secret: bobToken }), 'HEAD:refs/heads/main']);
    assert.notEqual(gitPush.code, 0);
    assert.match(gitPush.stderr, /remote: bob may only read team\/git-ro$/m);
    const readOnlyToken = await token(server, 'alice', true);
    const roPush = await alice.git(['-C', src, 'push', url(server, 'team/git-ro', { user: 'alice', secret: readOnlyToken }), 'HEAD:refs/heads/main']);
    assert.notEqual(roPush.code, 0);
    // The user may write; the token may not, and the refusal says so (not "alice may only read").
    assert.match(roPush.stderr, /remote: this token is read-only, so it may not write to team\/git-ro: make a token with write access/);
    const refs = await alice.git(['ls-remote', url(server, 'team/git-ro', { user: 'alice', secret: aliceToken })]);
    assert.equal(refs.code, 0, refs.stderr);
    assert.equal(refs.stdout, '', 'the refused pushes wrote nothing');
    const hgHeads = await run('hg', ['-R', join(server.dataDir, 'repos', 'team', 'hg-ro'), 'log', '-T', '{node}\n'], { env: { ...alice.env, HGRCPATH: '' } });
    assert.equal(hgHeads.stdout, '', 'the refused hg pushes wrote nothing');
  });

  it('a push over HTTP returns only once the CDN serves what it pushed', async () => {
    await server.cliOk(['repo', 'create', 'team/git-cdn', '--git', '--public']);
    await server.cliOk(['repo', 'create', 'team/hg-cdn', '--public']);
    const creds = { user: 'alice', secret: aliceToken };
    const src = join(tempDir(), 'src');
    await runOk('git', ['init', '-q', src], { env: alice.env });
    const hgLocal = await makeHgRepo(alice, 1);
    for (const version of ['one', 'two']) {
      await gitCommit(alice, src, 'page.txt', `${version}\n`);
      await runOk('git', ['-C', src, 'push', '-q', url(server, 'team/git-cdn', creds), 'HEAD:refs/heads/main'], { env: alice.env });
      assert.equal(await (await fetch(url(server, 'cdn/team/git-cdn@main/page.txt'))).text(), `${version}\n`);
      writeFileSync(join(hgLocal, 'page.txt'), `${version}\n`);
      await runOk('hg', ['-R', hgLocal, 'commit', '-A', '-m', version], { env: alice.env });
      await runOk('hg', ['-R', hgLocal, 'push', url(server, 'team/hg-cdn', creds)], { env: alice.env });
      assert.equal(await (await fetch(url(server, 'cdn/team/hg-cdn@default/page.txt'))).text(), `${version}\n`);
    }
  });

  it('leaves requests that are not wire protocol to the next route', async () => {
    await server.cliOk(['repo', 'create', 'team/web', '--public']);
    for (const path of ['team/web?cmd=changelog', 'team/web/info/refs', 'team/web/HEAD']) {
      const res = await fetch(url(server, path), { headers: { Accept: 'text/html' } });
      assert.equal(res.status, 404, path);
      assert.equal(await res.text(), 'not found\n', path);
    }
    // A browser at the repo's URL gets the web page (the web route comes after the wire route).
    const page = await fetch(url(server, 'team/web'), { headers: { Accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  });

  it('serves a repository removed and created again at the same path as the new one', async () => {
    await server.cliOk(['repo', 'create', 'team/hg-again', '--public']);
    const local = await makeHgRepo(alice, 2);
    await runOk('hg', ['-R', local, 'push', url(server, 'team/hg-again', { user: 'alice', secret: aliceToken })], { env: alice.env });
    const first = await alice.hg(['clone', '-U', url(server, 'team/hg-again'), join(tempDir(), 'c')]);
    assert.match(first.stdout, /added 2 changesets/);
    await server.cliOk(['repo', 'rm', 'team/hg-again']);
    await server.cliOk(['repo', 'create', 'team/hg-again', '--public']);
    const second = await alice.hg(['clone', '-U', url(server, 'team/hg-again'), join(tempDir(), 'c')]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /no changes found/);
  });

  it('counts requests, clones and pushes at /metrics', async () => {
    const res = await fetch(url(server, 'metrics'));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    assert.ok(value('ferry_transfers_total{vcs="hg",transport="http",op="clone"}') >= 3, text);
    assert.ok(value('ferry_transfers_total{vcs="hg",transport="http",op="push"}') >= 2, text);
    assert.ok(value('ferry_transfers_total{vcs="git",transport="http",op="clone"}') >= 2, text);
    assert.ok(value('ferry_transfers_total{vcs="git",transport="http",op="push"}') >= 2, text);
    assert.ok(value('ferry_http_requests_total{area="wire",status="200"}') >= 10, text);
    assert.ok(value('ferry_http_requests_total{area="wire",status="401"}') >= 3, text);
    assert.ok(value('ferry_http_requests_total{area="wire",status="403"}') >= 2, text);
    assert.ok(value('ferry_http_requests_total{area="none",status="404"}') >= 3, text);
    assert.doesNotMatch(text, /team\//, 'no repo paths in metrics');
  });

  it('hgweb itself refuses a push that Ferry did not mark as allowed', async () => {
    await server.cliOk(['repo', 'create', 'team/hg-direct', '--public']);
    assert.equal((await fetch(url(server, 'team/hg-direct?cmd=capabilities'))).status, 200);
    const socket = readdirSync(join(server.dataDir, 'run')).find((f) => /^hgweb-\d+\.sock$/.test(f)) as string;
    const direct = (push: string) =>
      new Promise<{ status: number; reason: string }>((resolve, reject) => {
        const req = httpRequest(
          { socketPath: join(server.dataDir, 'run', socket), method: 'POST', path: '/?cmd=unbundle&heads=force', headers: { 'X-Ferry-Repo': 'team/hg-direct', 'X-Ferry-Push': push, 'Content-Length': '0', 'Content-Type': 'application/mercurial-0.1' } },
          (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, reason: res.statusMessage ?? '' });
          },
        );
        req.on('error', reject);
        req.end();
      });
    const refused = await direct('0');
    assert.equal(refused.status, 401);
    assert.equal(refused.reason, 'push not authorized');
  });

  it('restarts the Mercurial HTTP server when it dies', async () => {
    await server.cliOk(['repo', 'create', 'team/hg-restart', '--public']);
    const caps = url(server, 'team/hg-restart?cmd=capabilities');
    assert.equal((await fetch(caps)).status, 200);
    const socket = join(server.dataDir, 'run', 'hgweb-');
    const pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && readCmdline(p).includes(socket));
    assert.equal(pids.length, 1, 'one hgweb server');
    process.kill(Number(pids[0]), 'SIGKILL');
    await waitFor(() => !readdirSync('/proc').includes(pids[0] as string));
    const again = await fetch(caps);
    assert.equal(again.status, 200);
    assert.match(await again.text(), /unbundle/);
  });
});

describe('HTTP sign-in limits', () => {
  it('answers 429 with Retry-After after 10 failed sign-ins for one account from one address, even to the right password; a token still works', async () => {
    const server = await startFerry();
    try {
      await server.cliOk(['user', 'add', 'carol']);
      await server.cliOk(['user', 'passwd', 'carol'], { input: 'correct horse battery\n' });
      await server.cliOk(['repo', 'create', 'carol/app', '--public']);
      const good = await token(server, 'carol');
      const statuses: string[] = [];
      for (let i = 0; i < 11; i++) {
        const r = await runOk('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-u', 'carol:wrong', url(server, 'carol/app?cmd=capabilities')]);
        statuses.push(r.stdout);
      }
      assert.deepEqual(statuses, [...Array<string>(10).fill('401'), '429']);
      const limited = await runOk('curl', ['-s', '-D', '-', '-o', '/dev/null', '-u', 'carol:correct horse battery', url(server, 'carol/app?cmd=capabilities')]);
      assert.match(limited.stdout, /^HTTP\/1\.1 429/);
      assert.match(limited.stdout, /retry-after: \d+/i);
      const byToken = await runOk('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-u', `carol:${good}`, url(server, 'carol/app?cmd=capabilities')]);
      assert.equal(byToken.stdout, '200', 'a valid token is never refused for failed guesses');
      const anonymous = await runOk('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', url(server, 'carol/app?cmd=capabilities')]);
      assert.equal(anonymous.stdout, '200', 'reading a public repo needs no sign-in');
    } finally {
      await server.stop();
    }
  });
});

function readCmdline(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 25));
}
