/**
 * Security regressions of issue 11 (access that outlives its grant, key holders named, the
 * failed-login limiter): one test per bug, named after it, each driving real clients.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addUser, makeClient, makeHgRepo, run, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

/** An OpenSSH ControlMaster connection for `client`; its commands reuse one authenticated connection. */
interface Multiplexed {
  readonly sshCommand: string[];
  hg(args: readonly string[]): ReturnType<typeof run>;
  git(args: readonly string[], cwd?: string): ReturnType<typeof run>;
  ssh(args: readonly string[]): ReturnType<typeof run>;
  /** Whether the master connection is still up (the same TCP connection, no new login). */
  alive(): Promise<boolean>;
  close(): void;
}

async function controlMaster(client: Client): Promise<Multiplexed> {
  const controlPath = join(tempDir('ferry-cm-'), 'cm');
  const base = [...client.sshCommand, '-o', `ControlPath=${controlPath}`];
  const master: ChildProcess = spawn(base[0] as string, [...base.slice(1), '-o', 'ControlMaster=yes', '-o', 'ControlPersist=60', '-N', '127.0.0.1'], {
    env: client.env,
    stdio: 'ignore',
  });
  for (let i = 0; i < 100 && !existsSync(controlPath); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(existsSync(controlPath), 'the ControlMaster connection came up');
  // ControlMaster=no: a command that cannot use the master fails instead of logging in anew.
  const sshCommand = [...base, '-o', 'ControlMaster=no'];
  const env = { ...client.env, GIT_SSH_COMMAND: sshCommand.join(' ') };
  const alive = async () => (await run(base[0] as string, [...base.slice(1), '-O', 'check', '127.0.0.1'], { env })).code === 0;
  return {
    sshCommand,
    hg: (args) => run('hg', ['--config', `ui.ssh=${sshCommand.join(' ')}`, ...args], { env }),
    git: (args, cwd) => run('git', args, { env, ...(cwd === undefined ? {} : { cwd }) }),
    ssh: (args) => run(sshCommand[0] as string, [...sshCommand.slice(1), ...args], { env }),
    alive,
    close: () => {
      void run(base[0] as string, [...base.slice(1), '-O', 'exit', '127.0.0.1'], { env });
      master.kill();
    },
  };
}

/** GETs `path` with Basic auth over one keep-alive socket; says whether the socket was reused. */
function getKeepAlive(agent: Agent, port: number, path: string, token: string): Promise<{ status: number; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('security: access decided afresh, keys, limiter', () => {
  let server: FerryServer;
  const masters: Multiplexed[] = [];

  before(async () => {
    server = await startFerry();
    const seed = await addUser(server, 'seed', { admin: true });
    await server.cliOk(['repo', 'create', 'team/secret']);
    await server.cliOk(['repo', 'create', 'team/code', '--git']);
    const hgRepo = await makeHgRepo(seed, 2);
    const pushed = await seed.hg(['-R', hgRepo, 'push', seed.sshUrl('team/secret')]);
    assert.equal(pushed.code, 0, pushed.stderr);
  });
  after(async () => {
    for (const m of masters) m.close();
    await server?.stop();
  });

  it('a user whose name matches an existing namespace silently owns its repos (new user, or a removed user re-added)', async () => {
    // Repos made by others under grp/: a new user "grp" would own (and administer) them.
    await server.cliOk(['repo', 'create', 'grp/y']);
    const named = await server.cli(['user', 'add', 'grp']);
    assert.equal(named.code, 1, named.stderr);
    assert.match(named.stderr, /^ferry: repositories already exist under grp\/ \(grp\/y\): a user named grp would own them; choose another name, or move them first \(ferry repo mv\)\n$/);
    assert.match((await server.cli(['user', 'add', 'GRP'])).stderr, /already exist under GRP\//, 'matched without regard to case');
    assert.doesNotMatch((await server.cliOk(['user', 'list'])).stdout, /^grp\s/im, 'nothing was added');
    // A removed user's repos do not pass to the next person given that name.
    const bob = await addUser(server, 'nsbob');
    assert.equal((await bob.hg(['init', bob.sshUrl('nsbob/app')])).code, 0);
    await server.cliOk(['user', 'rm', 'nsbob']);
    const again = await server.cli(['user', 'add', 'nsbob']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exist under nsbob\/ \(nsbob\/app\)/);
  });

  it('a removed admin keeps every right on a live SSH connection (ControlMaster): user rm and key rm take effect on the next command', async () => {
    const root = await addUser(server, 'root', { admin: true });
    const cm = await controlMaster(root);
    masters.push(cm);
    const url = (path: string) => `ssh://hg@127.0.0.1:${server.sshPort}/${path}`;
    // Before: the multiplexed connection works for an admin.
    const hello = await cm.ssh(['127.0.0.1']);
    assert.match(hello.stdout, /signed in to Ferry as user root \(admin\)/);
    const work = tempDir('ferry-cm-work-');
    assert.equal((await cm.hg(['clone', url('team/secret'), join(work, 'before')])).code, 0);

    await server.cliOk(['user', 'rm', 'root']);
    assert.ok(await cm.alive(), 'the same ControlMaster connection is still up');

    const clone = await cm.hg(['clone', url('team/secret'), join(work, 'after')]);
    assert.notEqual(clone.code, 0, 'a removed admin cannot clone a private repo');
    assert.match(clone.stderr, /no longer registered/);
    const create = await cm.hg(['init', url('root-made/new')]);
    assert.notEqual(create.code, 0, 'a removed admin cannot create a repo');
    assert.equal((await server.cliOk(['repo', 'list'])).stdout.includes('root-made/new'), false);
    writeFileSync(join(work, 'before', 'x.txt'), 'x\n');
    await cm.hg(['-R', join(work, 'before'), 'commit', '-A', '-m', 'x', '--config', 'ui.username=root']);
    const push = await cm.hg(['-R', join(work, 'before'), 'push', url('team/secret')]);
    assert.notEqual(push.code, 0, 'a removed admin cannot push');
    const gitClone = await cm.git(['clone', url('team/code'), join(work, 'git')]);
    assert.notEqual(gitClone.code, 0, 'nor use git');
    const greet = await cm.ssh(['127.0.0.1']);
    assert.doesNotMatch(greet.stdout, /root/, 'nor is greeted by name');
    assert.notEqual(greet.code, 0);

    // A removed key, not user: bob keeps his account but loses this key.
    const bob = await addUser(server, 'bob');
    await server.cliOk(['grant', 'bob', 'team/secret', 'read']);
    const bobCm = await controlMaster(bob);
    masters.push(bobCm);
    assert.equal((await bobCm.hg(['clone', url('team/secret'), join(work, 'bob1')])).code, 0);
    await server.cliOk(['key', 'rm', 'bob', bob.key.fingerprint]);
    assert.ok(await bobCm.alive());
    const afterKeyRm = await bobCm.hg(['clone', url('team/secret'), join(work, 'bob2')]);
    assert.notEqual(afterKeyRm.code, 0, 'a removed key cannot clone on its live connection');
    assert.doesNotMatch((await bobCm.ssh(['127.0.0.1'])).stdout, /bob/);
  });

  it('a removed token keeps working on an HTTP keep-alive connection', async () => {
    await server.cliOk(['user', 'add', 'carol']);
    await server.cliOk(['grant', 'carol', 'team/secret', 'read']);
    const token = (await server.cliOk(['token', 'add', 'carol'])).stdout.match(/ferry_[A-Za-z0-9_-]+/)?.[0] as string;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await getKeepAlive(agent, server.httpPort, '/team/secret?cmd=capabilities', token);
      assert.equal(first.status, 200);
      const list = (await server.cliOk(['token', 'list', 'carol'])).stdout;
      const id = /^\s*(\d+)/m.exec(list.split('\n').slice(1).join('\n'))?.[1] as string;
      await server.cliOk(['token', 'rm', 'carol', id]);
      const second = await getKeepAlive(agent, server.httpPort, '/team/secret?cmd=capabilities', token);
      assert.equal(second.reused, true, 'the same keep-alive connection');
      assert.equal(second.status, 401, 'a removed token is refused on the next request');
    } finally {
      agent.destroy();
    }
  });

  it('grants survive a rename and pass to a stranger\'s repo (grants and deploy keys belong to the repo id; prefix grants stay prefixes)', async () => {
    const owner = await addUser(server, 'owner', { admin: true });
    const bob = await addUser(server, 'bobr');
    const alice = await addUser(server, 'alicer');
    await server.cliOk(['grant', 'alicer', 'proj/', 'write']);
    await server.cliOk(['repo', 'create', 'proj/old']);
    await server.cliOk(['grant', 'bobr', 'proj/old', 'read']);
    const deploy = await makeClient(server, 'deployr');
    await server.cliOk(['deploy-key', 'add', 'proj/old', deploy.key.publicPath]);
    const content = await makeHgRepo(owner, 1);
    assert.equal((await owner.hg(['-R', content, 'push', owner.sshUrl('proj/old')])).code, 0);

    await server.cliOk(['repo', 'mv', 'proj/old', 'proj/new']);
    const work = tempDir('ferry-rename-');
    // The grant and the deploy key moved with the repo; alice's prefix grant still covers proj/.
    assert.equal((await bob.hg(['clone', bob.sshUrl('proj/new'), join(work, 'bob-new')])).code, 0, 'bob reads the repo at its new path');
    assert.equal((await deploy.hg(['clone', deploy.sshUrl('proj/new'), join(work, 'deploy-new')])).code, 0, 'the deploy key moved too');
    assert.match((await server.cliOk(['grant', 'list'])).stdout, /bobr\s+proj\/new\s+read/);

    // alice creates a private repo at the old path: nothing of the old repo's access passes to it.
    const created = await alice.hg(['init', alice.sshUrl('proj/old')]);
    assert.equal(created.code, 0, created.stderr);
    const secret = await makeHgRepo(alice, 1);
    assert.equal((await alice.hg(['-R', secret, 'push', '-f', alice.sshUrl('proj/old')])).code, 0);
    const bobOld = await bob.hg(['clone', bob.sshUrl('proj/old'), join(work, 'bob-old')]);
    assert.notEqual(bobOld.code, 0, 'bob may not read the stranger\'s repo at the old path');
    assert.match(bobOld.stderr, /does not exist or you may not see it/);
    const deployOld = await deploy.hg(['clone', deploy.sshUrl('proj/old'), join(work, 'deploy-old')]);
    assert.notEqual(deployOld.code, 0, 'nor may the deploy key');
    const bobToken = (await server.cliOk(['token', 'add', 'bobr'])).stdout.trim();
    const http = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-u', `bobr:${bobToken}`, `${server.baseUrl}/proj/old?cmd=capabilities`]);
    assert.equal(http.stdout, '404', 'nor over HTTP');
    assert.doesNotMatch((await bob.ssh(['127.0.0.1'])).stdout, /proj\/old/);

    // Removing the repo removes its grants: a later repo at proj/new inherits nothing either.
    await server.cliOk(['repo', 'rm', 'proj/new']);
    assert.doesNotMatch((await server.cliOk(['grant', 'list'])).stdout, /bobr/);
    await server.cliOk(['repo', 'create', 'proj/new']);
    assert.notEqual((await bob.hg(['clone', bob.sshUrl('proj/new'), join(work, 'bob-new2')])).code, 0);
  });

  it('adding a key that is already registered names its holder (key add, deploy-key add: the one store message the web settings page shows too)', async () => {
    const dave = await addUser(server, 'dave');
    await server.cliOk(['user', 'add', 'eve']);
    for (const args of [
      ['key', 'add', 'eve', dave.key.publicPath],
      ['deploy-key', 'add', 'team/secret', dave.key.publicPath],
    ]) {
      const r = await server.cli(args);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /already in use/);
      assert.doesNotMatch(r.stderr, /dave|to user|team\/secret|deploy key of/, `${args.join(' ')} must not name the holder: ${r.stderr}`);
    }
    // The key as a deploy key elsewhere, then added by a user: the repo is not named either.
    const deployOnly = await addUser(server, 'frank');
    await server.cliOk(['key', 'rm', 'frank', deployOnly.key.fingerprint]);
    await server.cliOk(['deploy-key', 'add', 'team/secret', deployOnly.key.publicPath]);
    const asUser = await server.cli(['key', 'add', 'eve', deployOnly.key.publicPath]);
    assert.equal(asUser.code, 1);
    assert.doesNotMatch(asUser.stderr, /team\/secret|deploy key of/);
  });
});

/** One request on a fresh connection from `localAddress` (so the CDN workers share them out). */
function once(port: number, localAddress: string, path: string, auth?: { user: string; secret: string }): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const headers: Record<string, string> = { connection: 'close' };
    if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.user}:${auth.secret}`).toString('base64')}`;
    const req = request({ host: '127.0.0.1', port, path, headers, localAddress, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
    });
    req.on('error', reject);
    req.end();
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

describe('security: the failed-login limiter', () => {
  let server: FerryServer;
  const tokens: Record<string, string> = {};

  before(async () => {
    server = await startFerry({ env: { FERRY_CDN_WORKERS: '2' } });
    await server.cliOk(['repo', 'create', 'team/site', '--git']);
    for (const name of ['victim', 'mallory', 'carol', 'dora']) {
      await server.cliOk(['user', 'add', name]);
      await server.cliOk(['user', 'passwd', name], { input: `${name} has a long password\n` });
      await server.cliOk(['grant', name, 'team/site', 'read']);
      tokens[name] = (await server.cliOk(['token', 'add', name])).stdout.trim();
    }
  });
  after(async () => {
    await server?.stop();
  });

  it('the failed-login limiter: CDN workers keep their own count, a success resets it, unknown users answer fast, and a limited address refuses valid credentials of others', async () => {
    const port = server.httpPort;
    const wire = '/team/site/info/refs?service=git-upload-pack';
    const cdn = '/cdn/team/site@main/x.js';
    const guess = (i: number) => ({ user: 'victim', secret: `guess-${i}` });

    // 1. One count for the primary and every CDN worker: 25 guesses, alternating /cdn (answered by
    //    the workers) and the wire (by the primary), each on a new connection: at most 10 evaluated.
    const spread: number[] = [];
    for (let i = 0; i < 25; i++) spread.push((await once(port, '127.0.0.2', i % 2 === 0 ? cdn : wire, guess(i))).status);
    assert.equal(spread.filter((s) => s !== 429).length, 10, `guesses evaluated: ${spread.join(' ')}`);
    assert.ok(spread.slice(10).every((s) => s === 429), spread.join(' '));

    // 2. A success (the attacker's own token, or own password) resets nothing.
    const reset: number[] = [];
    for (let i = 0; i < 8; i++) reset.push((await once(port, '127.0.0.3', wire, guess(i))).status);
    assert.equal((await once(port, '127.0.0.3', wire, { user: 'mallory', secret: tokens.mallory as string })).status, 200);
    assert.equal((await once(port, '127.0.0.3', wire, { user: 'mallory', secret: 'mallory has a long password' })).status, 200);
    for (let i = 8; i < 16; i++) reset.push((await once(port, '127.0.0.3', wire, guess(i))).status);
    assert.deepEqual(reset, [...Array<number>(10).fill(401), ...Array<number>(6).fill(429)], `after a success: ${reset.join(' ')}`);

    // 3. Equal time for a wrong password of an existing user and of an unknown one (no user enumeration).
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      known.push((await once(port, '127.0.0.4', wire, { user: 'dora', secret: `wrong-${i}` })).ms);
      unknown.push((await once(port, '127.0.0.4', wire, { user: `nobody${i}`, secret: `wrong-${i}` })).ms);
    }
    assert.ok(median(unknown) > median(known) / 2, `unknown user ${median(unknown)} ms vs known ${median(known)} ms`);

    // 4. From an address limited by guesses at other accounts, valid credentials of others still work.
    for (let i = 0; i < 40; i++) await once(port, '127.0.0.5', wire, { user: `target${i % 4}`, secret: `g${i}` });
    assert.equal((await once(port, '127.0.0.5', wire, { user: 'target0', secret: 'again' })).status, 429, 'the address is limited');
    assert.equal((await once(port, '127.0.0.5', wire, { user: 'carol', secret: tokens.carol as string })).status, 200, "another account's token");
    assert.equal((await once(port, '127.0.0.5', cdn, { user: 'carol', secret: tokens.carol as string })).status !== 429, true, 'also at a CDN worker');
    // The victim, whose account took 20 guesses from elsewhere, still signs in from another address.
    assert.equal((await once(port, '127.0.0.6', wire, { user: 'victim', secret: 'victim has a long password' })).status, 200);
    assert.equal((await once(port, '127.0.0.6', wire, { user: 'victim', secret: tokens.victim as string })).status, 200);
  });
});
