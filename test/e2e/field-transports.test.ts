/**
 * Field reports (issue 12), transports and repositories: each test drives real hg, git and curl
 * clients against a Ferry server or an `hg serve` source and asserts the value a user expects.
 */
import { strict as assert } from 'node:assert';
import { connect } from 'node:net';
import { join } from 'node:path';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { addUser, ferryCli, PLAIN_GIT_ENV, run, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';
import { startGitHttp, startHgServe } from './remotes.js';

/** A git work tree with one commit of `files`, on `branch`, in `format`. */
async function gitWork(files: Record<string, string>, options: { branch?: string; format?: 'sha1' | 'sha256' } = {}): Promise<string> {
  const dir = join(tempDir('ferry-gitwork-'), 'w');
  await runOk('git', ['init', '-q', `--initial-branch=${options.branch ?? 'master'}`, `--object-format=${options.format ?? 'sha1'}`, dir], { env: PLAIN_GIT_ENV });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  await runOk('git', ['-C', dir, 'add', '.'], { env: PLAIN_GIT_ENV });
  await runOk('git', ['-C', dir, 'commit', '-q', '-m', 'first'], { env: PLAIN_GIT_ENV });
  return dir;
}

/** Writes a raw object with `git hash-object --literally` (what early tools wrote) and returns its id. */
async function rawObject(dir: string, type: 'tree' | 'commit', bytes: Buffer): Promise<string> {
  const file = join(tempDir('ferry-raw-'), 'obj');
  writeFileSync(file, bytes);
  return (await runOk('git', ['-C', dir, 'hash-object', '-t', type, '--literally', '-w', file], { env: PLAIN_GIT_ENV })).stdout.trim();
}

/** A tree entry in git's binary tree format. */
function treeEntry(mode: string, name: string, id: string): Buffer {
  return Buffer.concat([Buffer.from(`${mode} ${name}\0`, 'latin1'), Buffer.from(id, 'hex')]);
}

/** Missing (promised) objects in a partial clone. */
async function missingObjects(client: Client, dir: string): Promise<number> {
  const r = await client.git(['-C', dir, 'rev-list', '--objects', '--missing=print', '--all']);
  return r.stdout.split('\n').filter((l) => l.startsWith('?')).length;
}

/** Sends raw bytes on one connection and reads until `done` says the answers are complete. */
async function rawHttp(port: number, bytes: string, done: (text: string) => boolean): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.setEncoding('latin1');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer: ${text.slice(0, 400)}`));
    }, 20_000);
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (done(text)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
    socket.write(bytes, 'latin1');
  });
}

describe('field reports: transports and repositories', () => {
  let server: FerryServer;
  let admin: Client;

  before(async () => {
    server = await startFerry();
    admin = await addUser(server, 'root', { admin: true });
  });
  after(async () => {
    await server.stop();
  });

  it('imports from a publishing hg serve holding local drafts: everything arrives public and is verified', async () => {
    const src = join(tempDir('ferry-pubsrc-'), 'src');
    await runOk('hg', ['init', src], { env: admin.env });
    for (const name of ['a', 'b', 'c']) {
      writeFileSync(join(src, `${name}.txt`), `${name}\n`);
      await runOk('hg', ['-R', src, 'commit', '-A', '-m', name], { env: admin.env });
    }
    await runOk('hg', ['-R', src, 'phase', '--public', '-r', '0'], { env: admin.env });
    // A local tag (.hg/localtags) and a secret changeset are the source's own too: no clone carries them.
    await runOk('hg', ['-R', src, 'tag', '--local', '-r', '1', 'wip'], { env: admin.env });
    writeFileSync(join(src, 'secret.txt'), 'mine\n');
    await runOk('hg', ['-R', src, 'commit', '-A', '--secret', '-m', 'secret head'], { env: admin.env });
    assert.equal((await runOk('hg', ['-R', src, 'log', '-r', 'draft()', '-T', 'x'], { env: admin.env })).stdout, 'xx');
    const serve = await startHgServe(src, { publish: true });
    try {
      const data = tempDir('ferry-data-');
      const r = await ferryCli(data, ['import', serve.url, 'team/published']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /hg 3 changesets, 1 branches, verified/);
      const phases = await runOk('hg', ['-R', join(data, 'repos', 'team', 'published'), 'log', '-T', '{phase}\n'], { env: admin.env });
      assert.equal(phases.stdout, 'public\npublic\npublic\n');
      const local = await ferryCli(data, ['import', src, 'team/local']);
      assert.equal(local.code, 0, local.stderr);
    } finally {
      await serve.stop();
    }
  });

  it('hg clones and pulls a repo with 400 heads over HTTP; long X-HgArg heads pass on every connection path', async () => {
    const src = join(tempDir('ferry-heads-'), 'src');
    await runOk('hg', ['init', src], { env: admin.env });
    await runOk('hg', ['-R', src, 'debugbuilddag', `+1:root${' *root'.repeat(400)}`], { env: admin.env });
    rmSync(join(src, '.hg', 'localtags'), { force: true });
    const imported = await server.cli(['import', src, 'team/heads', '--public']);
    assert.equal(imported.code, 0, imported.stderr);
    const url = `${server.baseUrl}/team/heads`;
    const work = tempDir();
    const clone = await admin.hg(['clone', '-U', url, join(work, 'c')]);
    assert.equal(clone.code, 0, clone.stderr);
    const heads = await runOk('hg', ['-R', join(work, 'c'), 'heads', '-T', '{node}\n'], { env: admin.env });
    const nodes = heads.stdout.trim().split('\n');
    assert.equal(nodes.length, 400);
    const pull = await admin.hg(['-R', join(work, 'c'), 'pull', url]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, /no changes found/);

    // hg sends the heads as X-HgArg-N headers of 1 KB: about 17 KB of request head.
    const encoded = new URLSearchParams({ heads: nodes.join(' '), common: '0'.repeat(40), bundlecaps: 'HG20', cg: '1' }).toString();
    const headers: string[] = [];
    for (let i = 0; i * 1000 < encoded.length; i++) headers.push(`X-HgArg-${i + 1}: ${encoded.slice(i * 1000, (i + 1) * 1000)}\r\n`);
    const getbundle = `GET /team/heads?cmd=getbundle HTTP/1.1\r\nHost: x\r\n${headers.join('')}Connection: close\r\n\r\n`;
    assert.ok(getbundle.length > 16 * 1024);
    const direct = await rawHttp(server.httpPort, getbundle, (t) => t.length > 0 && /\r\n\r\n/.test(t));
    assert.match(direct, /^HTTP\/1\.1 200 /, direct.slice(0, 200));
    // The same request after a CDN request on a keep-alive connection (a CDN worker's connection).
    const cdnFirst = `GET /cdn/team/heads/missing.txt HTTP/1.1\r\nHost: x\r\n\r\n${getbundle}`;
    const viaWorker = await rawHttp(server.httpPort, cdnFirst, (t) => (t.match(/HTTP\/1\.1 \d{3} /g) ?? []).length >= 2 && /\r\n\r\n[\s\S]*HTTP\/1\.1 \d{3} [^\r]*\r\n[\s\S]*\r\n\r\n/.test(t));
    const statuses = [...viaWorker.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
    assert.equal(statuses[1], '200', viaWorker.slice(0, 600));
  });

  it('accepts old git histories (zero-padded modes, bad time zones) over SSH, HTTP and import, and still refuses .git paths', async () => {
    const work = await gitWork({ 'a.txt': 'a\n' });
    const blob = (await runOk('git', ['-C', work, 'rev-parse', 'HEAD:a.txt'], { env: PLAIN_GIT_ENV })).stdout.trim();
    const sub = await rawObject(work, 'tree', treeEntry('100644', 'b.txt', blob));
    // 040000 for a directory and 0100644 for a file: what git before 1.5 and other tools wrote.
    const padded = await rawObject(work, 'tree', Buffer.concat([treeEntry('0100644', 'a.txt', blob), treeEntry('040000', 'sub', sub)]));
    const commit = await rawObject(work, 'commit', Buffer.from(`tree ${padded}\nauthor Old Tool <old@tool> 1104537600 +05\ncommitter Old Tool <old@tool>1104537600 +0000\n\nimported from CVS\n`));
    await runOk('git', ['-C', work, 'update-ref', 'refs/heads/old', commit], { env: PLAIN_GIT_ENV });
    assert.notEqual((await run('git', ['-C', work, '-c', 'receive.fsckObjects=true', 'fsck', '--strict'], { env: PLAIN_GIT_ENV })).code, 0, 'the history has fsck findings');

    const token = (await server.cliOk(['token', 'add', 'root'])).stdout.trim();
    await server.cliOk(['repo', 'create', 'team/old-ssh', '--git']);
    await server.cliOk(['repo', 'create', 'team/old-http', '--git']);
    const viaSsh = await admin.git(['-C', work, 'push', admin.sshUrl('team/old-ssh'), 'old']);
    assert.equal(viaSsh.code, 0, viaSsh.stderr);
    const viaHttp = await admin.git(['-C', work, 'push', `http://root:${token}@127.0.0.1:${server.httpPort}/team/old-http`, 'old']);
    assert.equal(viaHttp.code, 0, viaHttp.stderr);
    const clone = join(tempDir(), 'c');
    const cloned = await admin.git(['clone', '-q', '-b', 'old', admin.sshUrl('team/old-ssh'), clone]);
    assert.equal(cloned.code, 0, cloned.stderr);
    assert.equal(readFileSync(join(clone, 'sub', 'b.txt'), 'utf8'), 'a\n');

    // An import of the same history verifies (git fsck of the copy ignores the same findings).
    const srcRoot = tempDir('ferry-oldsrc-');
    await runOk('git', ['clone', '-q', '--bare', work, join(srcRoot, 'old.git')], { env: PLAIN_GIT_ENV });
    const remote = await startGitHttp(srcRoot);
    try {
      const imported = await ferryCli(tempDir('ferry-data-'), ['import', `${remote.url}old.git`, 'team/old']);
      assert.equal(imported.code, 0, imported.stderr);
    } finally {
      await remote.stop();
    }

    // What matters for safety stays refused: a tree entry named .git (CVE-2014-9390 class).
    const evil = await rawObject(work, 'tree', treeEntry('040000', '.git', sub));
    const evilCommit = await rawObject(work, 'commit', Buffer.from(`tree ${evil}\nauthor A <a@b> 1700000000 +0000\ncommitter A <a@b> 1700000000 +0000\n\nevil\n`));
    await runOk('git', ['-C', work, 'update-ref', 'refs/heads/evil', evilCommit], { env: PLAIN_GIT_ENV });
    const refused = await admin.git(['-C', work, 'push', admin.sshUrl('team/old-ssh'), 'evil']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /hasDotgit|dotgit/i);
  });

  it('makes the first branch pushed to an empty git repo its HEAD (SSH, HTTP, import): clone, CDN and publish agree', async () => {
    const token = (await server.cliOk(['token', 'add', 'root'])).stdout.trim();
    const cases = [
      { path: 'root/first-ssh', branch: 'master', url: admin.sshUrl('root/first-ssh') },
      { path: 'root/first-http', branch: 'trunk', url: `http://root:${token}@127.0.0.1:${server.httpPort}/root/first-http` },
    ];
    for (const c of cases) {
      const work = await gitWork({ 'index.txt': `${c.branch}\n` }, { branch: c.branch });
      const pushed = await admin.git(['-C', work, 'push', c.url, c.branch]);
      assert.equal(pushed.code, 0, pushed.stderr);
      const clone = join(tempDir(), 'c');
      const cloned = await admin.git(['clone', c.url, clone]);
      assert.equal(cloned.code, 0, cloned.stderr);
      assert.doesNotMatch(cloned.stderr, /nonexistent ref/);
      assert.equal(readFileSync(join(clone, 'index.txt'), 'utf8'), `${c.branch}\n`);
      await server.cliOk(['repo', 'set', c.path, '--public']);
      const cdn = await fetch(`${server.baseUrl}/cdn/${c.path}/index.txt`);
      assert.equal(cdn.status, 200);
      assert.equal(await cdn.text(), `${c.branch}\n`);
      const dir = join(tempDir('ferry-pub-'), 'site');
      await server.cliOk(['publish', c.path, '--dir', dir]);
      assert.equal(readFileSync(join(dir, 'index.txt'), 'utf8'), `${c.branch}\n`);
    }
    // An import of a source whose HEAD names a branch it does not have.
    const srcRoot = tempDir('ferry-headsrc-');
    const work = await gitWork({ 'index.txt': 'stable\n' }, { branch: 'stable' });
    await runOk('git', ['clone', '-q', '--bare', work, join(srcRoot, 'src.git')], { env: PLAIN_GIT_ENV });
    await runOk('git', ['-C', join(srcRoot, 'src.git'), 'symbolic-ref', 'HEAD', 'refs/heads/gone'], { env: PLAIN_GIT_ENV });
    const remote = await startGitHttp(srcRoot);
    try {
      await server.cliOk(['import', `${remote.url}src.git`, 'root/first-import']);
    } finally {
      await remote.stop();
    }
    const head = readFileSync(join(server.dataDir, 'repos', 'root', 'first-import', 'HEAD'), 'utf8');
    assert.equal(head, 'ref: refs/heads/stable\n');
  });

  it('serves partial clones (--filter=blob:none) over SSH and HTTP, protocol v2 and v0, and fetches missing blobs on demand', async () => {
    const work = await gitWork({ 'a.txt': 'a\n', 'b.txt': 'b\n' }, { branch: 'main' });
    await server.cliOk(['repo', 'create', 'team/partial', '--git', '--public']);
    await runOk('git', ['-C', work, 'push', '-q', admin.sshUrl('team/partial'), 'main'], { env: admin.env });
    for (const url of [admin.sshUrl('team/partial'), `${server.baseUrl}/team/partial`]) {
      for (const version of ['2', '0']) {
        const clone = join(tempDir(), 'c');
        const r = await admin.git(['-c', `protocol.version=${version}`, 'clone', '--filter=blob:none', '--no-checkout', url, clone]);
        assert.equal(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stderr, /filtering not recognized/);
        assert.equal(await missingObjects(admin, clone), 2, `${url} v${version}: blobs are left out`);
        const checkout = await admin.git(['-C', clone, '-c', `protocol.version=${version}`, 'checkout', '-q', 'main']);
        assert.equal(checkout.code, 0, checkout.stderr);
        assert.equal(readFileSync(join(clone, 'b.txt'), 'utf8'), 'b\n');
      }
    }
  });

  it('a failed push-to-create leaves no repo (SSH and HTTP); admins create SHA-256 repos that take SHA-256 pushes', async () => {
    const token = (await server.cliOk(['token', 'add', 'root'])).stdout.trim();
    const work = await gitWork({ 'a.txt': 'a\n' }, { format: 'sha256' });
    for (const [path, url] of [
      ['root/s256-ssh', admin.sshUrl('root/s256-ssh')],
      ['root/s256-http', `http://root:${token}@127.0.0.1:${server.httpPort}/root/s256-http`],
    ] as const) {
      for (let attempt = 0; attempt < 2; attempt++) {
        const pushed = await admin.git(['-C', work, 'push', url, 'master']);
        assert.notEqual(pushed.code, 0);
      }
      const list = await server.cliOk(['repo', 'list']);
      assert.doesNotMatch(list.stdout, new RegExp(path), 'no repo registered');
      assert.ok(!existsSync(join(server.dataDir, 'repos', ...path.split('/'))), 'no directory left');
    }
    const bad = await server.cli(['repo', 'create', 'root/x', '--git', '--object-format', 'md5']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /sha1 or sha256/);
    const created = await server.cliOk(['repo', 'create', 'root/s256', '--git', '--object-format', 'sha256']);
    assert.match(created.stdout, /created git repository root\/s256 \(SHA-256\)/);
    assert.match(created.stdout, /git clone ssh:\/\/\S+\/root\/s256\n/);
    const pushed = await admin.git(['-C', work, 'push', admin.sshUrl('root/s256'), 'master']);
    assert.equal(pushed.code, 0, pushed.stderr);
    const clone = join(tempDir(), 'c');
    await runOk('git', ['clone', '-q', `http://root:${token}@127.0.0.1:${server.httpPort}/root/s256`, clone], { env: admin.env });
    assert.equal((await runOk('git', ['-C', clone, 'rev-parse', '--show-object-format'], { env: admin.env })).stdout.trim(), 'sha256');
  });

  it('hg push to a path with no repo says how to create it; every create over SSH prints the new URLs', async () => {
    const local = join(tempDir(), 'local');
    await runOk('hg', ['init', local], { env: admin.env });
    writeFileSync(join(local, 'a.txt'), 'a\n');
    await runOk('hg', ['-R', local, 'commit', '-A', '-m', 'a'], { env: admin.env });
    const url = admin.sshUrl('root/hg-new');
    const pushed = await admin.hg(['-R', local, 'push', url]);
    assert.notEqual(pushed.code, 0);
    assert.match(pushed.stderr, /no repository at root\/hg-new yet; create it with: hg init ssh:\/\/\S+\/root\/hg-new/);
    const token = (await server.cliOk(['token', 'add', 'root'])).stdout.trim();
    const overHttp = await admin.hg(['-R', local, 'push', `http://root:${token}@127.0.0.1:${server.httpPort}/root/hg-new`]);
    assert.notEqual(overHttp.code, 0);
    assert.match(overHttp.stderr, /hg init ssh:/);
    const init = await admin.hg(['clone', local, url]);
    assert.equal(init.code, 0, init.stderr);
    assert.match(`${init.stdout}${init.stderr}`, /created hg repository root\/hg-new \(private\)/);
    assert.match(`${init.stdout}${init.stderr}`, /hg clone ssh:\/\/localhost:\d+\/root\/hg-new\n\s+hg clone http:\/\/localhost:[1-9]\d*\/root\/hg-new\n/);
    const work = await gitWork({ 'a.txt': 'a\n' });
    const created = await admin.git(['-C', work, 'push', admin.sshUrl('root/git-new'), 'master']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stderr, /created git repository root\/git-new \(private\)\n\s+git clone ssh:\/\/localhost:\d+\/root\/git-new\n\s+git clone http:\/\/localhost:[1-9]\d*\/root\/git-new\n/);
  });

  it('turns an imported repo into a mirror of its source (checked first) and back, for hg and git', async () => {
    const src = join(tempDir('ferry-mirsrc-'), 'src');
    await runOk('hg', ['init', src], { env: admin.env });
    writeFileSync(join(src, 'a.txt'), 'a\n');
    await runOk('hg', ['-R', src, 'commit', '-A', '-m', 'a'], { env: admin.env });
    const serve = await startHgServe(src);
    try {
      await server.cliOk(['import', serve.url, 'team/mirrored']);
      writeFileSync(join(src, 'b.txt'), 'b\n');
      await runOk('hg', ['-R', src, 'commit', '-A', '-m', 'b upstream'], { env: admin.env });
      const made = await server.cli(['import', serve.url, 'team/mirrored', '--mirror']);
      assert.equal(made.code, 0, made.stderr);
      assert.match(made.stdout, /team\/mirrored is now a mirror of http:\/\/127\.0\.0\.1:\d+\/: hg history checked against the source, first sync: 1 changeset\(s\) added/);
      assert.match((await server.cliOk(['mirror', 'list'])).stdout, /team\/mirrored\s+hg\s+http:/);
      const clone = join(tempDir(), 'c');
      await runOk('hg', ['clone', admin.sshUrl('team/mirrored'), clone], { env: admin.env });
      assert.equal(readFileSync(join(clone, 'b.txt'), 'utf8'), 'b\n');
      writeFileSync(join(clone, 'c.txt'), 'c\n');
      await runOk('hg', ['-R', clone, 'commit', '-A', '-m', 'c here'], { env: admin.env });
      const refused = await admin.hg(['-R', clone, 'push', admin.sshUrl('team/mirrored')]);
      assert.notEqual(refused.code, 0, 'a mirror takes no pushes');
      const back = await server.cli(['mirror', 'rm', 'team/mirrored', '--keep-repo']);
      assert.equal(back.code, 0, back.stderr);
      const pushed = await admin.hg(['-R', clone, 'push', admin.sshUrl('team/mirrored')]);
      assert.equal(pushed.code, 0, pushed.stderr);
      // Now the repo has a changeset the source lacks: it cannot become its mirror.
      const diverged = await server.cli(['mirror', 'add', 'team/mirrored', serve.url]);
      assert.equal(diverged.code, 1);
      assert.match(diverged.stderr, /team\/mirrored cannot become a mirror of http:\/\/127\.0\.0\.1:\d+\/: it has 1 changeset\(s\) not in the source/);
      assert.doesNotMatch((await server.cliOk(['mirror', 'list'])).stdout, /team\/mirrored/);
    } finally {
      await serve.stop();
    }

    const root = tempDir('ferry-gitmirsrc-');
    const work = await gitWork({ 'a.txt': 'a\n' }, { branch: 'main' });
    await runOk('git', ['clone', '-q', '--bare', work, join(root, 'lib.git')], { env: PLAIN_GIT_ENV });
    const remote = await startGitHttp(root);
    try {
      await server.cliOk(['import', `${remote.url}lib.git`, 'team/gitmirrored']);
      writeFileSync(join(work, 'b.txt'), 'b\n');
      await runOk('git', ['-C', work, 'add', '.'], { env: PLAIN_GIT_ENV });
      await runOk('git', ['-C', work, 'commit', '-q', '-m', 'b upstream'], { env: PLAIN_GIT_ENV });
      await runOk('git', ['-C', work, 'push', '-q', join(root, 'lib.git'), 'main'], { env: PLAIN_GIT_ENV });
      const made = await server.cli(['mirror', 'add', 'team/gitmirrored', `${remote.url}lib.git`, '--every', '1h']);
      assert.equal(made.code, 0, made.stderr);
      assert.match(made.stdout, /is now a mirror of .*first sync: 1 ref\(s\) updated/);
      const dir = join(server.dataDir, 'repos', 'team', 'gitmirrored');
      const refs = await runOk('git', ['-C', dir, 'for-each-ref', '--format=%(refname)'], { env: PLAIN_GIT_ENV });
      assert.doesNotMatch(refs.stdout, /ferry-mirror-check/, 'the comparison leaves no refs');
      const tip = (await runOk('git', ['-C', dir, 'log', '-1', '--format=%s', 'main'], { env: PLAIN_GIT_ENV })).stdout.trim();
      assert.equal(tip, 'b upstream');
      const missing = await server.cli(['mirror', 'add', 'team/nothing-here', `${remote.url}lib.git`]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no repository at team\/nothing-here; to copy a source into a new repo use ferry import/);
    } finally {
      await remote.stop();
    }
  });
});
