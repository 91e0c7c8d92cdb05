import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { addUser, expectOk, makeClient, startFerry, tempDir, type Client, type FerryServer } from './harness.js';
import { makeGitSource } from './git-source.js';
import { startGitHttp } from './remotes.js';
import { startReceiver, type Receiver } from './webhook-receiver.js';

const SECRET = 'It’s a Secret to Everybody';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface PushCommit {
  id: string;
  message: string;
  added: string[];
  removed: string[];
  modified: string[];
  url: string;
  author: { name: string; email: string };
  timestamp: string;
}

function commitsOf(json: Record<string, unknown>): PushCommit[] {
  return json.commits as PushCommit[];
}

async function gitWork(client: Client): Promise<string> {
  const dir = join(tempDir(), 'work');
  await expectOk(client.git(['init', '-q', '-b', 'main', dir]));
  return dir;
}

async function gitCommit(client: Client, dir: string, file: string, text: string, message: string): Promise<string> {
  writeFileSync(join(dir, file), text);
  await expectOk(client.git(['-C', dir, 'add', '-A']));
  await expectOk(client.git(['-C', dir, 'commit', '-q', '-m', message]));
  return (await expectOk(client.git(['-C', dir, 'rev-parse', 'HEAD']))).stdout.trim();
}

/** The webhooks added to a repo, as `ferry hook list` prints them (first line is the header). */
async function hookLines(server: FerryServer, path: string): Promise<string[]> {
  return (await server.cliOk(['hook', 'list', path])).stdout.trim().split('\n').slice(1);
}

async function addHook(server: FerryServer, path: string, url: string, extra: string[] = []): Promise<string> {
  const out = (await server.cliOk(['hook', 'add', path, url, '--secret', SECRET, ...extra])).stdout;
  return /added webhook (\d+)/.exec(out)?.[1] as string;
}

describe('outbound webhooks: pushes over SSH and HTTP (hg and git) fire signed, GitHub/Gitea-shaped events', () => {
  let server: FerryServer;
  let alice: Client;
  let token: string;
  let receiver: Receiver;

  before(async () => {
    // In ferry.toml, so that the CLI (which checks hook URLs) and the server read the same settings.
    server = await startFerry({ toml: '[webhooks]\nallowed_hosts = "loopback"\nretry_delay = "300ms"\nmax_attempts = 3\ndisable_after = 3\n' });
    alice = await addUser(server, 'alice');
    await server.cliOk(['grant', 'alice', 'team/', 'write']);
    token = (await server.cliOk(['token', 'add', 'alice'])).stdout.trim().split(/\s+/).pop() as string;
    receiver = await startReceiver(SECRET);
  });
  after(async () => {
    await receiver.close();
    await server.stop();
  });

  for (const transport of ['ssh', 'http'] as const) {
    it(`git push over ${transport} delivers a push event listing the pushed commits, signed`, async () => {
      const path = `team/git-${transport}`;
      await server.cliOk(['repo', 'create', path, '--git']);
      await addHook(server, path, receiver.url);
      const url = transport === 'ssh' ? alice.sshUrl(path) : `http://alice:${token}@127.0.0.1:${server.httpPort}/${path}`;
      const dir = await gitWork(alice);
      const first = await gitCommit(alice, dir, 'a.txt', 'one\n', 'first');
      await expectOk(alice.git(['-C', dir, 'push', '-q', url, 'main']));
      const second = await gitCommit(alice, dir, 'a.txt', 'two\n', 'second\n\nwith a body');
      writeFileSync(join(dir, 'b.txt'), 'b\n');
      const third = await gitCommit(alice, dir, 'b.txt', 'b\n', 'third');
      await expectOk(alice.git(['-C', dir, 'rm', '-q', 'a.txt']));
      await expectOk(alice.git(['-C', dir, 'commit', '-q', '-m', 'fourth']));
      const fourth = (await alice.git(['-C', dir, 'rev-parse', 'HEAD'])).stdout.trim();
      await expectOk(alice.git(['-C', dir, 'push', '-q', '-o', 'ci.skip', url, 'main']));
      const pushes = await receiver.waitFor((r) => r.headers['x-github-event'] === 'push' && (r.json.repository as { full_name: string }).full_name === path, 2);
      const [created, moved] = pushes;
      assert.ok(created && moved);
      for (const r of pushes) {
        assert.equal(r.signatureValid, true, 'X-Hub-Signature-256 verifies with @octokit/webhooks-methods');
        assert.equal(r.headers['x-gitea-signature'], createHmac('sha256', SECRET).update(r.body).digest('hex'));
        assert.equal(r.headers['x-gitea-event'], 'push');
        assert.match(String(r.headers['x-github-delivery']), UUID);
        assert.equal(r.headers['x-gitea-delivery'], r.headers['x-github-delivery']);
        assert.equal(r.json.ref, 'refs/heads/main');
        assert.equal((r.json.pusher as { login: string }).login, 'alice');
        const repo = r.json.repository as Record<string, unknown>;
        assert.equal(repo.private, true);
        assert.equal(repo.name, `git-${transport}`);
        assert.equal((repo.owner as { login: string }).login, 'team');
        assert.match(String(repo.ssh_url), new RegExp(`^ssh://.*/${path}$`));
        assert.match(String(repo.clone_url), new RegExp(`^http://.*/${path}\\.git$`));
        assert.match(String(repo.html_url), new RegExp(`/${path}$`));
      }
      assert.equal(created.json.created, true);
      assert.equal(created.json.before, '0'.repeat(40));
      assert.equal(created.json.after, first);
      assert.deepEqual(commitsOf(created.json).map((c) => c.id), [first]);
      assert.equal(moved.json.created, false);
      assert.equal(moved.json.deleted, false);
      assert.equal(moved.json.forced, false);
      assert.equal(moved.json.before, first);
      assert.equal(moved.json.after, fourth);
      const commits = commitsOf(moved.json);
      assert.deepEqual(commits.map((c) => c.id), [second, third, fourth]);
      assert.equal(commits[0]?.message, 'second\n\nwith a body');
      assert.deepEqual(commits[0]?.modified, ['a.txt']);
      assert.deepEqual(commits[1]?.added, ['b.txt']);
      assert.deepEqual(commits[2]?.removed, ['a.txt']);
      assert.equal(commits[0]?.author.email, 'alice@test');
      assert.match(String(commits[0]?.url), new RegExp(`/${path}/-/commit/${second}$`));
      assert.equal((moved.json.head_commit as { id: string }).id, fourth);
      assert.deepEqual(moved.json.push_options, ['ci.skip']);
      // A force push says so.
      await expectOk(alice.git(['-C', dir, 'reset', '-q', '--hard', first]));
      const rewritten = await gitCommit(alice, dir, 'c.txt', 'c\n', 'rewritten');
      await expectOk(alice.git(['-C', dir, 'push', '-q', '--force', url, 'main']));
      const [forced] = await receiver.waitFor((r) => r.json.after === rewritten);
      assert.equal(forced?.json.forced, true);
      assert.deepEqual(commitsOf(forced?.json ?? {}).map((c) => c.id), [rewritten]);
    });

    it(`hg push over ${transport} delivers a push event listing the pushed changesets, signed`, async () => {
      const path = `team/hg-${transport}`;
      await server.cliOk(['repo', 'create', path]);
      await addHook(server, path, receiver.url, ['--events', 'push']);
      const url = transport === 'ssh' ? alice.sshUrl(path) : `http://alice:${token}@127.0.0.1:${server.httpPort}/${path}`;
      const dir = join(tempDir(), 'hgwork');
      await expectOk(alice.hg(['init', dir]));
      writeFileSync(join(dir, 'x.txt'), 'x\n');
      await expectOk(alice.hg(['-R', dir, 'commit', '-A', '-m', 'hg one']));
      writeFileSync(join(dir, 'x.txt'), 'xx\n');
      writeFileSync(join(dir, 'y.txt'), 'y\n');
      await expectOk(alice.hg(['-R', dir, 'commit', '-A', '-m', 'hg two']));
      const ids = (await expectOk(alice.hg(['-R', dir, 'log', '-r', '0:', '-T', '{node}\\n']))).stdout.trim().split('\n');
      await expectOk(alice.hg(['-R', dir, 'push', url]));
      const [push] = await receiver.waitFor((r) => (r.json.repository as { full_name: string }).full_name === path);
      assert.ok(push);
      assert.equal(push.signatureValid, true);
      assert.equal(push.headers['x-github-event'], 'push');
      assert.equal(push.json.ref, 'refs/heads/branch/default');
      assert.equal(push.json.created, true);
      assert.equal(push.json.after, ids[1]);
      const commits = commitsOf(push.json);
      assert.deepEqual(commits.map((c) => c.id), ids);
      assert.deepEqual(commits[0]?.added, ['x.txt']);
      assert.deepEqual(commits[1]?.added, ['y.txt']);
      assert.deepEqual(commits[1]?.modified, ['x.txt']);
      assert.equal(commits[1]?.message, 'hg two');
      assert.equal(commits[1]?.author.name, 'alice');
      assert.equal(commits[1]?.author.email, 'alice@test');
      assert.equal((push.json.repository as { vcs: string }).vcs, 'hg');
    });
  }

  it('branch and tag creation and deletion fire create and delete events (and push events with created/deleted)', async () => {
    const path = 'team/refs';
    await server.cliOk(['repo', 'create', path, '--git']);
    const url = alice.sshUrl(path);
    const dir = await gitWork(alice);
    const first = await gitCommit(alice, dir, 'a.txt', 'a\n', 'first');
    await expectOk(alice.git(['-C', dir, 'push', '-q', url, 'main']));
    await addHook(server, path, receiver.url, ['--events', 'create,delete,push']);
    await expectOk(alice.git(['-C', dir, 'tag', '-a', '-m', 'release', 'v1.0']));
    await expectOk(alice.git(['-C', dir, 'push', '-q', url, 'main:feature', 'v1.0']));
    const ofRepo = (event: string) => (r: { headers: Record<string, unknown>; json: Record<string, unknown> }) => r.headers['x-github-event'] === event && (r.json.repository as { full_name: string }).full_name === path;
    const creates = await receiver.waitFor(ofRepo('create'), 2);
    assert.deepEqual(creates.map((r) => [r.json.ref_type, r.json.ref, r.json.sha]).sort(), [['branch', 'feature', first], ['tag', 'v1.0', first]]);
    assert.ok(creates.every((r) => r.signatureValid && r.headers['x-gitea-event'] === 'create'));
    const pushes = await receiver.waitFor(ofRepo('push'), 2);
    assert.deepEqual(pushes.map((r) => [r.json.ref, r.json.created, r.json.deleted]).sort(), [['refs/heads/feature', true, false], ['refs/tags/v1.0', true, false]]);
    await expectOk(alice.git(['-C', dir, 'push', '-q', url, ':feature', ':refs/tags/v1.0']));
    const deletes = await receiver.waitFor(ofRepo('delete'), 2);
    assert.deepEqual(deletes.map((r) => [r.json.ref_type, r.json.ref]).sort(), [['branch', 'feature'], ['tag', 'v1.0']]);
    const deletedPushes = await receiver.waitFor((r) => ofRepo('push')(r) && r.json.deleted === true, 2);
    assert.ok(deletedPushes.every((r) => r.json.after === '0'.repeat(40) && commitsOf(r.json).length === 0 && r.json.head_commit === null));
  });

  it('a failing receiver gets retries with back-off, then the hook is disabled and shown so; deliveries keep request and response', async () => {
    const failing = await startReceiver(SECRET);
    failing.answer = { status: 503 };
    try {
      const path = 'team/failing';
      await server.cliOk(['repo', 'create', path, '--git']);
      const id = await addHook(server, path, failing.url);
      const dir = await gitWork(alice);
      await gitCommit(alice, dir, 'a.txt', 'a\n', 'first');
      await expectOk(alice.git(['-C', dir, 'push', '-q', alice.sshUrl(path), 'main']));
      // create + push: each is tried max_attempts (3) times; after 3 failed attempts in a row the hook is disabled.
      const got = await failing.waitFor(() => true, 3);
      await sleep(1500);
      assert.ok(got.length >= 3);
      const [line] = await hookLines(server, path);
      assert.match(String(line), /disabled since/);
      const full = (await server.cliOk(['hook', 'deliveries', path, id, '--full'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.ok(full.length >= 1);
      assert.ok(full.every((d) => d.state === 'failed'), JSON.stringify(full.map((d) => [d.state, d.error])));
      const tried = full.find((d) => (d.attempts as number) > 0) as { id: number; attempts: number; response: { status: number; body: string }; request: { headers: Record<string, string>; body: string } };
      assert.equal(tried.response.status, 503);
      assert.equal(tried.response.body, 'thanks');
      assert.match(tried.request.headers['x-hub-signature-256'] ?? '', /^sha256=[0-9a-f]{64}$/);
      // The same delivery id on every retry of one delivery.
      const guids = new Set(got.map((r) => r.headers['x-github-delivery']));
      assert.ok(guids.size < got.length, 'retries carry the delivery id they retry');
      // Redelivery on demand, once the receiver is fixed, delivers and enables the hook again.
      failing.answer = { status: 200 };
      const before = failing.received.length;
      await server.cliOk(['hook', 'redeliver', path, String(tried.id)]);
      await failing.waitFor(() => true, before + 1);
      for (let i = 0; i < 50 && /disabled/.test(String((await hookLines(server, path))[0])); i++) await sleep(100);
      assert.match(String((await hookLines(server, path))[0]), /active/);
    } finally {
      await failing.close();
    }
  });
});

describe('outbound webhooks: a restart loses no pending delivery', () => {
  it('a delivery pending when ferry stops arrives after the next start', async () => {
    let server = await startFerry({ toml: '[webhooks]\nallowed_hosts = "loopback"\nretry_delay = "1s"\n' });
    const dataDir = server.dataDir;
    const alice = await addUser(server, 'alice');
    await server.cliOk(['grant', 'alice', 'team/', 'write']);
    await server.cliOk(['repo', 'create', 'team/app', '--git']);
    // Nothing listens on the hook's port yet: the delivery is attempted (or not) and stays pending.
    const probe = await startReceiver(SECRET);
    const port = probe.port;
    await probe.close();
    await addHook(server, 'team/app', `http://127.0.0.1:${port}/hook`, ['--events', 'push']);
    const dir = await gitWork(alice);
    const id = await gitCommit(alice, dir, 'a.txt', 'a\n', 'first');
    await expectOk(alice.git(['-C', dir, 'push', '-q', alice.sshUrl('team/app'), 'main']));
    assert.equal(await server.stop(), 0);
    const receiver = await startReceiver(SECRET, '127.0.0.1', port);
    try {
      server = await startFerry({ dataDir });
      const [got] = await receiver.waitFor((r) => r.json.after === id, 1, 30_000);
      assert.equal(got?.signatureValid, true);
      assert.deepEqual(commitsOf(got?.json ?? {}).map((c) => c.id), [id]);
    } finally {
      await receiver.close();
      await server.stop();
    }
  });
});

describe('outbound webhooks: a mirror sync fires push events too', () => {
  it('ferry mirror sync (another process) queues the deliveries; the running server sends them', async () => {
    const server = await startFerry({ toml: '[webhooks]\nallowed_hosts = "loopback"\n' });
    const author = await makeClient({ sshPort: 0 }, 'author');
    const source = await makeGitSource(author);
    const http = await startGitHttp(source.root);
    const receiver = await startReceiver(SECRET);
    try {
      await server.cliOk(['import', `${http.url}src.git`, 'mirrors/lib', '--mirror', '--every', '1h']);
      await addHook(server, 'mirrors/lib', receiver.url, ['--events', 'push']);
      const id = await source.commit('upstream change');
      await server.cliOk(['mirror', 'sync', 'mirrors/lib']);
      const [push] = await receiver.waitFor((r) => r.json.after === id);
      assert.equal(push?.signatureValid, true);
      assert.equal(push?.json.ref, 'refs/heads/main');
      assert.deepEqual(commitsOf(push?.json ?? {}).map((c) => [c.id, c.message]), [[id, 'upstream change']]);
    } finally {
      await receiver.close();
      await http.stop();
      await server.stop();
    }
  });
});
