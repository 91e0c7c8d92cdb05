/**
 * Security regression tests for issue 11, items 10–12: what a repo's content, a killed server and
 * a full disk can do. One test per item, named after the bug.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, utimesSync, writeFileSync, writeSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it, type TestContext } from 'node:test';
import { addUser, makeClient, makeHgRepo, PLAIN_GIT_ENV, run, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

/** Every symlink under `root` (not descending into linked directories). */
function symlinksUnder(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, rel))) {
    const path = rel === '' ? name : `${rel}/${name}`;
    const info = lstatSync(join(root, path));
    if (info.isSymbolicLink()) out.push(path);
    else if (info.isDirectory()) out.push(...symlinksUnder(root, path));
  }
  return out;
}

/** Where a link leads on disk, or why it leads nowhere. */
function realTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch (err) {
    return `(${(err as NodeJS.ErrnoException).code})`;
  }
}

/** Polls `check` every `everyMs` until it holds or `timeoutMs` passes; returns whether it held. */
async function waitFor(check: () => boolean, timeoutMs: number, everyMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(everyMs);
  }
  return check();
}

/** Processes (other than this one) whose command line mentions `text`. */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(text)) found.push(`${pid}: ${cmdline}`);
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

function spoolFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.startsWith('hg-unbundle-'));
  } catch {
    return [];
  }
}

/** Commits a file of `mb` MB of random bytes (incompressible) in the hg repo at `local`. */
async function bigHgCommit(client: Client, local: string, name: string, mb: number): Promise<void> {
  writeFileSync(join(local, name), randomBytes(mb << 20));
  await runOk('hg', ['-R', local, 'commit', '-q', '-A', '-m', `add ${name}`], { env: client.env });
}

/**
 * Leaves the hg repo at `repoDir` as a killed hg does: a transaction opened (a hook sleeps inside
 * it), then SIGKILL — journal and a lock naming a dead process stay behind.
 */
async function abandonTransaction(client: Client, local: string, repoDir: string): Promise<void> {
  writeFileSync(join(local, `abandoned-${Date.now()}.txt`), 'x\n');
  await runOk('hg', ['-R', local, 'commit', '-q', '-A', '-m', 'abandoned'], { env: client.env });
  const bundle = join(tempDir('ferry-bundle-'), 'one.hg');
  await runOk('hg', ['-R', local, 'bundle', '-q', '-r', 'tip', '--base', 'tip^', bundle], { env: client.env });
  const hg = spawn('hg', ['-R', repoDir, 'unbundle', bundle, '--config', 'hooks.pretxnchangegroup=sleep 60'], { env: { ...client.env, HGRCPATH: '' }, stdio: 'ignore' });
  const journal = join(repoDir, '.hg', 'store', 'journal');
  assert.ok(await waitFor(() => existsSync(journal), 20_000, 10), 'hg unbundle never opened its transaction');
  await sleep(300);
  hg.kill('SIGKILL');
  await new Promise((r) => hg.once('exit', r));
  assert.ok(existsSync(journal));
}

describe('security: repo content, killed servers and full disks (issue 11)', () => {
  let server: FerryServer;
  let alice: Client;

  before(async () => {
    server = await startFerry();
    alice = await addUser(server, 'alice', { admin: true });
  });
  after(async () => {
    await server.stop();
  });

  it('ferry publish: an in-repo chain of symlinks resolves to /etc/passwd inside a published directory', async () => {
    // `a/l1 -> ..` leads back to the root; each `a/l1/` adds two names that a lexical check counts
    // but the kernel does not, so `chain` looks inside the tree and reaches / (the GitLab Pages bug).
    const links: Record<string, string> = {
      'a/l1': '..',
      chain: `${'a/l1/'.repeat(10)}${'../'.repeat(19)}etc/passwd`,
      'deep/d1/d2/d3/d4/d5/d6/d7/d8/d9/up': '../../../../../../../../../..',
      chain2: `deep/d1/d2/d3/d4/d5/d6/d7/d8/d9/up/${'../'.repeat(9)}etc/passwd`,
      abs: '/etc/passwd',
      out: '../outside',
      ok: 'index.html',
      docs: 'a',
      viaLink: 'a/l1/index.html',
    };
    const work = tempDir('ferry-links-');
    const build = (dir: string) => {
      mkdirSync(join(dir, 'a'), { recursive: true });
      mkdirSync(join(dir, 'deep/d1/d2/d3/d4/d5/d6/d7/d8/d9'), { recursive: true });
      writeFileSync(join(dir, 'index.html'), 'home\n');
      writeFileSync(join(dir, 'a', 'page.txt'), 'page\n');
      for (const [path, target] of Object.entries(links)) symlinkSync(target, join(dir, path));
    };
    const gitWork = join(work, 'git');
    await runOk('git', ['init', '-q', '-b', 'main', gitWork], { env: PLAIN_GIT_ENV });
    build(gitWork);
    await runOk('git', ['add', '-A'], { cwd: gitWork, env: PLAIN_GIT_ENV });
    await runOk('git', ['commit', '-q', '-m', 'links'], { cwd: gitWork, env: PLAIN_GIT_ENV });
    await server.cliOk(['repo', 'create', 'links/git', '--git', '--public']);
    await runOk('git', ['push', '-q', join(server.dataDir, 'repos', 'links', 'git'), 'main'], { cwd: gitWork, env: PLAIN_GIT_ENV });
    const hgWork = join(work, 'hg');
    await runOk('hg', ['init', hgWork], { env: alice.env });
    build(hgWork);
    await runOk('hg', ['-R', hgWork, 'commit', '-q', '-A', '-m', 'links'], { env: alice.env });
    await server.cliOk(['repo', 'create', 'links/hg', '--public']);
    await runOk('hg', ['-R', hgWork, 'push', '-q', join(server.dataDir, 'repos', 'links', 'hg')], { env: alice.env });

    const passwd = readFileSync('/etc/passwd', 'utf8');
    for (const [repo, ref] of [['links/git', 'main'], ['links/hg', 'default']] as const) {
      const dir = join(tempDir('ferry-published-'), 'www');
      const published = await server.cli(['publish', repo, '--dir', dir]);
      assert.equal(published.code, 0, published.stderr);
      assert.match(published.stdout, /left out/);
      const root = realpathSync(dir);
      const found = symlinksUnder(root);
      for (const link of found) {
        const target = realTarget(join(root, link));
        assert.ok(target.startsWith('(') || target === root || target.startsWith(root + sep), `${repo}: published ${link} resolves to ${target}, outside ${root}`);
      }
      for (const gone of ['chain', 'chain2', 'abs', 'out']) assert.ok(!found.includes(gone), `${repo}: ${gone} was published`);
      for (const kept of ['a/l1', 'ok', 'docs', 'viaLink', 'deep/d1/d2/d3/d4/d5/d6/d7/d8/d9/up']) assert.ok(found.includes(kept), `${repo}: ${kept} was left out`);
      assert.equal(readFileSync(join(dir, 'viaLink'), 'utf8'), 'home\n');

      // The CDN and the web's raw view answer a symlink with its link text, never its target's bytes,
      // and serve nothing through a linked directory.
      const cdn = await fetch(`${server.baseUrl}/cdn/${repo}/chain`);
      assert.equal(cdn.status, 200);
      assert.equal(await cdn.text(), links.chain);
      const through = await fetch(`${server.baseUrl}/cdn/${repo}/a/l1/index.html`);
      assert.equal(through.status, 404);
      await through.body?.cancel();
      for (const name of ['chain', 'abs']) {
        const raw = await fetch(`${server.baseUrl}/${repo}/-/raw/${ref}/${name}`);
        const body = await raw.text();
        assert.equal(raw.status, 200, body);
        assert.equal(body, links[name], `${repo} raw ${name}`);
        assert.notEqual(body, passwd);
      }
      const listing = await fetch(`${server.baseUrl}/${repo}/-/files/${ref}`);
      const html = await listing.text();
      assert.equal(listing.status, 200);
      assert.doesNotMatch(html, /root:x:0:0/);
      assert.match(html, /link<\/span><a[^>]*>chain</, `${repo}: the file list does not mark chain as a link`);
    }
  });

  it('kill -9 mid-push: an abandoned transaction and stale locks make every later push fail until hg recover', async () => {
    const data = tempDir('ferry-killed-');
    let ferry = await startFerry({ dataDir: data });
    try {
      await ferry.cliOk(['user', 'add', 'kim', '--admin']);
      const kim = await makeClient(ferry, 'kim');
      await ferry.cliOk(['key', 'add', 'kim', kim.key.publicPath]);
      const token = (await ferry.cliOk(['token', 'add', 'kim'])).stdout.trim();
      await ferry.cliOk(['repo', 'create', 'k/hg']);
      await ferry.cliOk(['repo', 'create', 'k/git', '--git']);
      const repoDir = join(data, 'repos', 'k', 'hg');
      const gitDir = join(data, 'repos', 'k', 'git');
      const hgUrl = (s: FerryServer) => `http://kim:${token}@127.0.0.1:${s.httpPort}/k/hg`;
      const gitUrl = (s: FerryServer) => `http://kim:${token}@127.0.0.1:${s.httpPort}/k/git`;
      const verify = async () => run('hg', ['-R', repoDir, 'verify', '-q'], { env: { ...kim.env, HGRCPATH: '' } });

      const local = await makeHgRepo(kim, 1);
      await runOk('hg', ['-R', local, 'push', hgUrl(ferry)], { env: kim.env });
      const gitWork = join(tempDir('ferry-git-'), 'w');
      await runOk('git', ['init', '-q', '-b', 'main', gitWork], { env: kim.env });
      writeFileSync(join(gitWork, 'a.txt'), 'a\n');
      await runOk('git', ['-C', gitWork, 'add', '-A'], { env: kim.env });
      await runOk('git', ['-C', gitWork, 'commit', '-q', '-m', 'a'], { env: kim.env });
      await runOk('git', ['-C', gitWork, 'push', '-q', gitUrl(ferry), 'main'], { env: kim.env });
      // An SSH clone starts a chg server for this data dir.
      await runOk('hg', ['clone', '-q', kim.sshUrl('k/hg'), join(tempDir('ferry-clone-'), 'c')], { env: kim.env });
      const spoolsBefore = spoolFiles(tmpdir());

      // 1. Ferry is killed while hgweb is inside a push's transaction: the transaction finishes or
      //    rolls back, and nothing of Ferry's (hgweb, chg) lives on.
      await bigHgCommit(kim, local, 'big.bin', 48);
      const pushing = run('hg', ['-R', local, 'push', hgUrl(ferry)], { env: kim.env });
      const journal = join(repoDir, '.hg', 'store', 'journal');
      assert.ok(await waitFor(() => existsSync(journal), 60_000, 5), 'the push never opened a transaction');
      ferry.process.kill('SIGKILL');
      await pushing;
      const left = await waitFor(() => processesMentioning(data).length === 0, 30_000);
      assert.ok(left, `processes outlived the killed Ferry:\n${processesMentioning(data).join('\n')}`);
      assert.ok(!existsSync(journal), 'the killed push left an abandoned transaction (journal)');
      assert.equal((await verify()).code, 0, (await verify()).stderr);
      assert.deepEqual(spoolFiles(join(data, 'run', 'tmp')), []);
      assert.deepEqual(spoolFiles(tmpdir()).filter((n) => !spoolsBefore.includes(n)), []);

      ferry = await startFerry({ dataDir: data });
      await bigHgCommit(kim, local, 'after.bin', 1);
      const after = await run('hg', ['-R', local, 'push', hgUrl(ferry)], { env: kim.env });
      assert.equal(after.code, 0, after.stderr);

      // 2. A transaction a killed hg abandoned while Ferry runs is rolled back on first use.
      await abandonTransaction(kim, local, repoDir);
      const firstUse = await run('hg', ['-R', local, 'push', hgUrl(ferry)], { env: kim.env });
      assert.equal(firstUse.code, 0, `push after an abandoned transaction: ${firstUse.stderr}\n${ferry.output()}`);
      assert.ok(!existsSync(journal));
      assert.equal((await verify()).code, 0);

      // 3. …and at start, with a git ref lock a killed git left; both repos take pushes again.
      ferry.process.kill('SIGKILL');
      await waitFor(() => processesMentioning(data).length === 0, 30_000);
      await abandonTransaction(kim, local, repoDir);
      const lock = join(gitDir, 'refs', 'heads', 'main.lock');
      writeFileSync(lock, '');
      utimesSync(lock, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
      ferry = await startFerry({ dataDir: data });
      assert.ok(!existsSync(journal), 'the abandoned transaction was not rolled back at start');
      assert.equal((await verify()).code, 0);
      const hgPush = await run('hg', ['-R', local, 'push', hgUrl(ferry)], { env: kim.env });
      assert.equal(hgPush.code, 0, hgPush.stderr);
      writeFileSync(join(gitWork, 'b.txt'), 'b\n');
      await runOk('git', ['-C', gitWork, 'add', '-A'], { env: kim.env });
      await runOk('git', ['-C', gitWork, 'commit', '-q', '-m', 'b'], { env: kim.env });
      const gitPush = await run('git', ['-C', gitWork, 'push', '-q', gitUrl(ferry), 'main'], { env: kim.env });
      assert.equal(gitPush.code, 0, `git push after a stale lock: ${gitPush.stderr}`);
    } finally {
      await ferry.stop('SIGKILL');
    }
  });

  it('disk full: a push into a full data dir leaves the repo needing hg recover, and reads with a token answer 500', async (t: TestContext) => {
    const mountPoint = tempDir('ferry-tmpfs-');
    const mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=20m', 'tmpfs', mountPoint]);
    if (mounted.code !== 0) {
      t.skip(`cannot mount a 20 MB tmpfs here (${mounted.stderr.trim()}): run as root to test a full disk`);
      return;
    }
    const data = join(mountPoint, 'data');
    let ferry: FerryServer | undefined;
    try {
      ferry = await startFerry({ dataDir: data, env: { FERRY_LIMITS_MIN_FREE_DISK: '2MB' } });
      const f = ferry;
      await f.cliOk(['user', 'add', 'dee', '--admin']);
      const dee = await makeClient(f, 'dee');
      await f.cliOk(['key', 'add', 'dee', dee.key.publicPath]);
      const token = (await f.cliOk(['token', 'add', 'dee'])).stdout.trim();
      await f.cliOk(['repo', 'create', 'd/hg']);
      await f.cliOk(['repo', 'create', 'd/git', '--git']);
      const hgDir = join(data, 'repos', 'd', 'hg');
      const gitDir = join(data, 'repos', 'd', 'git');
      const hgUrl = `http://dee:${token}@127.0.0.1:${f.httpPort}/d/hg`;
      const gitUrl = `http://dee:${token}@127.0.0.1:${f.httpPort}/d/git`;
      const plainHg = { ...dee.env, HGRCPATH: '' };
      const hgTip = async () => (await runOk('hg', ['-R', hgDir, 'log', '-r', 'tip', '-T', '{node}'], { env: plainHg })).stdout;
      const gitHead = async () => (await runOk('git', ['--git-dir', gitDir, 'rev-parse', 'refs/heads/main'], { env: PLAIN_GIT_ENV })).stdout.trim();
      const intact = async (what: string) => {
        assert.ok(!existsSync(join(hgDir, '.hg', 'store', 'journal')), `${what}: hg repo left with an abandoned transaction`);
        const verify = await run('hg', ['-R', hgDir, 'verify', '-q'], { env: plainHg });
        assert.equal(verify.code, 0, `${what}: hg verify: ${verify.stdout}${verify.stderr}`);
        const fsck = await run('git', ['--git-dir', gitDir, 'fsck', '--no-progress'], { env: PLAIN_GIT_ENV });
        assert.equal(fsck.code, 0, `${what}: git fsck: ${fsck.stderr}`);
        assert.deepEqual(readdirSync(join(gitDir, 'objects')).filter((n) => n.startsWith('incoming-')), [], `${what}: git quarantine left`);
        assert.deepEqual(spoolFiles(join(data, 'run', 'tmp')), [], `${what}: hg spool left`);
      };

      const local = await makeHgRepo(dee, 1);
      await runOk('hg', ['-R', local, 'push', hgUrl], { env: dee.env });
      const gitWork = join(tempDir('ferry-git-'), 'w');
      await runOk('git', ['init', '-q', '-b', 'main', gitWork], { env: dee.env });
      writeFileSync(join(gitWork, 'a.txt'), 'a\n');
      await runOk('git', ['-C', gitWork, 'add', '-A'], { env: dee.env });
      await runOk('git', ['-C', gitWork, 'commit', '-q', '-m', 'a'], { env: dee.env });
      await runOk('git', ['-C', gitWork, 'push', '-q', gitUrl, 'main'], { env: dee.env });
      const tip = await hgTip();
      const head = await gitHead();

      // 30 MB pushes into a disk with less than 20 MB free: refused or failed, every repo as it was.
      await bigHgCommit(dee, local, 'big.bin', 30);
      const overHttp = await run('hg', ['-R', local, 'push', hgUrl], { env: dee.env });
      assert.notEqual(overHttp.code, 0);
      assert.match(overHttp.stdout + overHttp.stderr, /disk is nearly full/);
      const overSsh = await run('hg', ['-R', local, 'push', dee.sshUrl('d/hg')], { env: dee.env });
      assert.notEqual(overSsh.code, 0);
      assert.match(overSsh.stdout + overSsh.stderr, /space|disk/i);
      writeFileSync(join(gitWork, 'big.bin'), randomBytes(30 << 20));
      await runOk('git', ['-C', gitWork, 'add', '-A'], { env: dee.env });
      await runOk('git', ['-C', gitWork, 'commit', '-q', '-m', 'big'], { env: dee.env });
      const gitPush = await run('git', ['-C', gitWork, 'push', '-q', gitUrl, 'main'], { env: dee.env });
      assert.notEqual(gitPush.code, 0);
      assert.equal(await hgTip(), tip);
      assert.equal(await gitHead(), head);
      await intact('after 30 MB pushes');

      // The disk filled to the last byte: reads with a token go on, writes get a clear refusal.
      const filler = join(mountPoint, 'filler');
      const fd = openSync(filler, 'w');
      try {
        const chunk = Buffer.alloc(1 << 16, 1);
        for (;;) writeSync(fd, chunk);
      } catch {
        /* ENOSPC: the disk is full */
      } finally {
        closeSync(fd);
      }
      const hgClone = await run('hg', ['clone', '-q', hgUrl, join(tempDir('ferry-read-'), 'c')], { env: dee.env });
      assert.equal(hgClone.code, 0, `hg clone with a token on a full disk: ${hgClone.stderr}`);
      const gitClone = await run('git', ['clone', '-q', gitUrl, join(tempDir('ferry-read-'), 'c')], { env: dee.env });
      assert.equal(gitClone.code, 0, `git clone with a token on a full disk: ${gitClone.stderr}`);
      const cdn = await fetch(`${f.baseUrl}/cdn/d/hg/file0.txt`, { headers: { Authorization: `Basic ${Buffer.from(`dee:${token}`).toString('base64')}` } });
      const cdnBody = await cdn.text();
      assert.equal(cdn.status, 200, cdnBody);
      assert.equal(cdnBody, 'content 0\n');
      await runOk('hg', ['-R', local, 'strip', '-q', '--config', 'extensions.strip=', '-r', 'tip'], { env: dee.env });
      writeFileSync(join(local, 'small.txt'), 'small\n');
      await runOk('hg', ['-R', local, 'commit', '-q', '-A', '-m', 'small'], { env: dee.env });
      const small = await run('hg', ['-R', local, 'push', hgUrl], { env: dee.env });
      assert.notEqual(small.code, 0);
      assert.match(small.stdout + small.stderr, /disk is nearly full/);
      const smallSsh = await run('hg', ['-R', local, 'push', dee.sshUrl('d/hg')], { env: dee.env });
      assert.notEqual(smallSsh.code, 0);
      assert.match(smallSsh.stdout + smallSsh.stderr, /disk is nearly full/);
      const gitSsh = await run('git', ['-C', gitWork, 'push', '-q', `ssh://git@127.0.0.1:${f.sshPort}/d/git`, 'main'], { env: dee.env });
      assert.notEqual(gitSsh.code, 0);
      assert.match(gitSsh.stderr, /disk is nearly full/, gitSsh.stderr);
      await intact('on a full disk');

      // Space again: the same push goes through.
      rmSync(filler);
      const again = await run('hg', ['-R', local, 'push', hgUrl], { env: dee.env });
      assert.equal(again.code, 0, again.stderr);
      await intact('after freeing space');
    } finally {
      await ferry?.stop('SIGKILL');
      await sleep(500);
      await run('umount', ['-l', mountPoint]);
    }
  });
});
