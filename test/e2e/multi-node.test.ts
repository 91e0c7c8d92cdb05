/**
 * Several nodes as one (issue 18): a throwaway PostgreSQL, three `ferry serve` nodes sharing one
 * data dir, and haproxy in front with deploy/haproxy.cfg. One cluster serves every case (CI has
 * two cores); the cases that kill a node come last.
 */
import { strict as assert } from 'node:assert';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchChromium } from './browser.js';
import { signIn } from './browser.js';
import { startCluster, type Cluster } from './cluster.js';
import { PLAIN_GIT_ENV, expectOk, makeClient, run, tempDir, type Client, type FerryServer } from './harness.js';

/** A client of `name` (one key) for each node, and one through haproxy. */
async function clientsOf(cluster: Cluster, name: string): Promise<{ lb: Client; node: Client[] }> {
  const lb = await makeClient({ sshPort: cluster.lbSshPort }, name);
  await cluster.cliOk(['key', 'add', name, lb.key.publicPath]);
  const node = await Promise.all(cluster.nodes.map((n) => makeClient(n, name, lb.key)));
  return { lb, node };
}

async function cdnText(node: FerryServer, path: string): Promise<string> {
  const r = await fetch(`${node.baseUrl}/cdn/${path}`);
  return `${r.status} ${await r.text()}`;
}

const git = (dir: string, args: string[]) => expectOk(run('git', ['-C', dir, ...args], { env: PLAIN_GIT_ENV }), `git ${args.join(' ')}`);

describe('multi-node: three nodes on one PostgreSQL and one data dir, behind haproxy', { timeout: 600_000 }, () => {
  let cluster: Cluster;
  let alice: { lb: Client; node: Client[] };

  before(async () => {
    cluster = await startCluster({ env: { FERRY_WEBHOOKS_ALLOWED_HOSTS: 'loopback', FERRY_WEBHOOKS_MAX_ATTEMPTS: '1' } });
    await cluster.cliOk(['user', 'add', 'alice', '--admin']);
    alice = await clientsOf(cluster, 'alice');
  });

  after(async () => {
    await cluster?.stop();
  });

  it('serves one host key from every node and through haproxy', async () => {
    const keys = await Promise.all([...cluster.nodes.map((n) => n.sshPort), cluster.lbSshPort].map((port) => run('ssh-keyscan', ['-t', 'ed25519', '-p', String(port), '127.0.0.1'])));
    const lines = new Set(keys.map((k) => k.stdout.trim().split(' ').slice(1).join(' ')));
    assert.equal(lines.size, 1, `one key: ${[...lines].join(' | ')}`);
  });

  it('a push through one node leaves the CDN of every other node, and clones through them, fresh', async () => {
    await cluster.cliOk(['repo', 'create', 'team/site', '--git', '--public']);
    const work = join(tempDir('ferry-mn-site-'), 'site');
    await expectOk(run('git', ['init', '-q', '-b', 'main', work], { env: PLAIN_GIT_ENV }));
    writeFileSync(join(work, 'index.html'), 'v1\n');
    await git(work, ['add', '-A']);
    await git(work, ['commit', '-q', '-m', 'v1']);
    const [n1, n2, n3] = cluster.nodes as [FerryServer, FerryServer, FerryServer];
    await expectOk(alice.node[0]!.git(['-C', work, 'push', '-q', `ssh://git@127.0.0.1:${n1.sshPort}/team/site`, 'main']), 'first push');
    // Every node has served v1 (so each has it cached) before the next push.
    for (const n of cluster.nodes) assert.equal(await cdnText(n, 'team/site/index.html'), '200 v1\n');
    for (let round = 2; round <= 3; round++) {
      writeFileSync(join(work, 'index.html'), `v${round}\n`);
      await git(work, ['commit', '-q', '-am', `v${round}`]);
      await expectOk(alice.node[0]!.git(['-C', work, 'push', '-q', `ssh://git@127.0.0.1:${n1.sshPort}/team/site`, 'main']), `push ${round}`);
      const pushed = Date.now();
      // Fresh before the push returned, or within 200 ms after (issue 18).
      for (const n of [n2, n3]) {
        let seen = await cdnText(n, 'team/site/index.html');
        while (seen !== `200 v${round}\n` && Date.now() - pushed < 200) seen = await cdnText(n, 'team/site/index.html');
        assert.equal(seen, `200 v${round}\n`, `node on port ${n.httpPort} serves the pushed content (${Date.now() - pushed} ms after the push)`);
      }
    }
    for (const [i, url] of [`${n3.baseUrl}/team/site`, `${cluster.lbUrl}/team/site`].entries()) {
      const clone = join(tempDir('ferry-mn-clone-'), `c${i}`);
      await expectOk(run('git', ['clone', '-q', url, clone], { env: PLAIN_GIT_ENV }), `git clone ${url}`);
      assert.equal((await run('cat', [join(clone, 'index.html')])).stdout, 'v3\n');
    }
  });

  it('concurrent pushes to one repo through two nodes each land or are refused cleanly; hg verify and git fsck pass', async () => {
    const [n1, n2] = cluster.nodes as [FerryServer, FerryServer];
    // hg: two competing heads of default, pushed at once through two nodes.
    await cluster.cliOk(['repo', 'create', 'team/busy-hg']);
    const base = join(tempDir('ferry-mn-hg-'), 'base');
    await expectOk(alice.lb.hg(['init', base]));
    writeFileSync(join(base, 'a.txt'), 'a\n');
    await expectOk(alice.lb.hg(['-R', base, 'commit', '-A', '-q', '-m', 'base']));
    await expectOk(alice.node[0]!.hg(['-R', base, 'push', '-q', `ssh://hg@127.0.0.1:${n1.sshPort}/team/busy-hg`]));
    const copies = await Promise.all(
      [0, 1].map(async (i) => {
        const dir = join(tempDir('ferry-mn-hgc-'), `c${i}`);
        await expectOk(alice.lb.hg(['clone', '-q', base, dir]));
        writeFileSync(join(dir, `f${i}.txt`), `${i}\n`);
        await expectOk(alice.lb.hg(['-R', dir, 'commit', '-A', '-q', '-m', `change ${i}`]));
        return dir;
      }),
    );
    const hgPushes = await Promise.all(copies.map((dir, i) => alice.node[i]!.hg(['-R', dir, 'push', '-q', `ssh://hg@127.0.0.1:${(i === 0 ? n1 : n2).sshPort}/team/busy-hg`])));
    assert.ok(hgPushes.some((r) => r.code === 0), `at least one lands: ${hgPushes.map((r) => r.stderr).join(' | ')}`);
    for (const r of hgPushes) if (r.code !== 0) assert.match(r.stderr, /head|abort/i, 'a refused push says why');
    const hgDir = join(cluster.dataDir, 'repos', 'team', 'busy-hg');
    await expectOk(run('hg', ['-R', hgDir, 'verify', '-q'], { env: { ...process.env, HGRCPATH: join(cluster.dataDir, 'etc', 'hgrc') } }), 'hg verify');

    // git: a new branch and an update of main through one node, another update of main through the other, at once.
    await cluster.cliOk(['repo', 'create', 'team/busy-git', '--git']);
    const work = join(tempDir('ferry-mn-git-'), 'w');
    await expectOk(run('git', ['init', '-q', '-b', 'main', work], { env: PLAIN_GIT_ENV }));
    writeFileSync(join(work, 'a.txt'), 'a\n');
    await git(work, ['add', '-A']);
    await git(work, ['commit', '-q', '-m', 'base']);
    await expectOk(alice.node[0]!.git(['-C', work, 'push', '-q', `ssh://git@127.0.0.1:${n1.sshPort}/team/busy-git`, 'main']));
    for (let i = 0; i < 2; i++) {
      await git(work, ['checkout', '-q', '-B', `w${i}`, 'main']);
      writeFileSync(join(work, `f${i}.txt`), `${i}\n`);
      await git(work, ['add', '-A']);
      await git(work, ['commit', '-q', '-m', `change ${i}`]);
    }
    const gitPushes = await Promise.all([
      alice.node[0]!.git(['-C', work, 'push', '-q', `ssh://git@127.0.0.1:${n1.sshPort}/team/busy-git`, 'w0:refs/heads/main', 'w0:refs/heads/feature']),
      alice.node[1]!.git(['-C', work, 'push', '-q', `ssh://git@127.0.0.1:${n2.sshPort}/team/busy-git`, 'w1:refs/heads/main']),
    ]);
    assert.ok(gitPushes.some((r) => r.code === 0), `at least one update of main lands: ${gitPushes.map((r) => r.stderr).join(' | ')}`);
    for (const r of gitPushes) if (r.code !== 0) assert.match(r.stderr, /rejected|lock|fast-forward|failed/i, 'a refused push says why');
    await expectOk(run('git', ['-C', join(cluster.dataDir, 'repos', 'team', 'busy-git'), 'fsck', '--no-progress'], { env: PLAIN_GIT_ENV }), 'git fsck');
  });

  it('a web session made on one node works on the others', async () => {
    await cluster.cliOk(['user', 'passwd', 'alice'], { input: 'alice-password\n' });
    await cluster.cliOk(['repo', 'create', 'team/private-page']);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await signIn(page, cluster.nodes[0]!.baseUrl, 'alice', 'alice-password');
      // Cookies are per host, not per port: the same session goes to every node.
      for (const n of cluster.nodes.slice(1)) {
        const me = await page.request.get(`${n.baseUrl}/api/v1/user`);
        assert.equal(me.status(), 200);
        assert.equal(((await me.json()) as { login: string }).login, 'alice');
        const r = await page.goto(`${n.baseUrl}/team/private-page`);
        assert.equal(r?.status(), 200, 'a private repo page, signed in on another node');
      }
    } finally {
      await browser.close();
    }
  });

  it('ten failed sign-ins spread over the nodes get 429 on every node', async () => {
    await cluster.cliOk(['user', 'add', 'bob']);
    await cluster.cliOk(['user', 'passwd', 'bob'], { input: 'bob-password\n' });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await fetch(`${cluster.nodes[i % 3]!.baseUrl}/api/v1/user`, { headers: { authorization: `Basic ${Buffer.from(`bob:wrong${i}`).toString('base64')}` } });
      statuses.push(r.status);
    }
    assert.deepEqual(statuses, Array<number>(10).fill(401));
    for (const n of cluster.nodes) {
      const r = await fetch(`${n.baseUrl}/api/v1/user`, { headers: { authorization: `Basic ${Buffer.from('bob:bob-password').toString('base64')}` } });
      assert.equal(r.status, 429, `node on port ${n.httpPort} refuses even the right password now`);
    }
  });

  it('a user removed through one node is refused by every node on the next command', async () => {
    await cluster.cliOk(['user', 'add', 'carol']);
    const carol = await clientsOf(cluster, 'carol');
    const token = (await cluster.cliOk(['token', 'add', 'carol'])).stdout.trim().split(/\s+/).pop() as string;
    for (const c of carol.node) assert.equal((await c.ssh(['127.0.0.1'])).code, 0, 'carol signs in before');
    await cluster.cliOk(['user', 'rm', 'carol']); // an operator on node 1
    for (const [i, c] of carol.node.entries()) {
      const r = await c.ssh(['127.0.0.1']);
      assert.notEqual(r.code, 0, `node ${i + 1} refuses carol's key`);
      const api = await fetch(`${cluster.nodes[i]!.baseUrl}/api/v1/user`, { headers: { authorization: `token ${token}` } });
      assert.equal(api.status, 401, `node ${i + 1} refuses carol's token`);
    }
  });

  it('kill -9 of the node sending a webhook: another node delivers it, and the delivery log shows it once', async () => {
    const requests: { guid: string; res: ServerResponse }[] = [];
    const receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      requests.push({ guid: String(req.headers['x-github-delivery']), res });
      // The first request is held (its sender dies); the next is answered.
      if (requests.length > 1) res.end('ok');
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    try {
      await cluster.cliOk(['repo', 'create', 'team/hooked', '--git']);
      await cluster.cliOk(['hook', 'add', 'team/hooked', `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, '--events', 'push']);
      const work = join(tempDir('ferry-mn-hook-'), 'w');
      await expectOk(run('git', ['init', '-q', '-b', 'main', work], { env: PLAIN_GIT_ENV }));
      writeFileSync(join(work, 'a.txt'), 'a\n');
      await git(work, ['add', '-A']);
      await git(work, ['commit', '-q', '-m', 'hooked']);
      await expectOk(alice.lb.git(['-C', work, 'push', '-q', alice.lb.sshUrl('team/hooked'), 'main']), 'push through haproxy');
      const deadline = Date.now() + 20_000;
      while (requests.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(requests.length, 1, 'one node started the delivery');
      const holder = await lockHolder(cluster, 'webhook-delivery:');
      const victim = cluster.nodes[holder]!;
      await victim.stop('SIGKILL');
      while (requests.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(requests.length, 2, 'another node took the delivery over');
      assert.equal(requests[1]!.guid, requests[0]!.guid, 'the same delivery');
      const hooks = (await cluster.cliOk(['hook', 'list', 'team/hooked'])).stdout;
      const hookId = /^\s*(\d+)/m.exec(hooks)?.[1] ?? '1';
      let log = '';
      while (Date.now() < deadline) {
        log = (await cluster.cliOk(['hook', 'deliveries', 'team/hooked', hookId, '--full'])).stdout.trim();
        if (/"delivered"/.test(log)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const rows = log.split('\n').map((l) => JSON.parse(l) as { state: string; attempts: number });
      assert.equal(rows.length, 1, `one delivery in the log: ${log}`);
      assert.equal(rows[0]!.state, 'delivered');
      assert.equal(rows[0]!.attempts, 1, 'attempted once in the log');
      assert.equal(requests.length, 2);
    } finally {
      for (const r of requests) r.res.destroy();
      receiver.close();
    }
  });
});

/** The node whose connection holds an advisory lock named `prefix…` (pg_locks, pg_stat_activity). */
async function lockHolder(cluster: Cluster, prefix: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const out = await cluster.pg.psql(
      `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'ferry-locks %'`,
    );
    for (const line of out.trim().split('\n').filter(Boolean)) {
      const pid = Number(line.split(' ')[1]?.split(':')[1]);
      if (Number.isInteger(pid)) return cluster.nodeByPid(pid);
    }
    if (Date.now() > deadline) throw new Error(`no node holds a ${prefix} lock`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
