import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ferryCli, makeClient, runOk, tempDir, type Client } from './harness.js';
import { assertStoredNowhere } from './secrets.js';
import { startHgServe, startProxy, type Remote } from './remotes.js';

/** A repo with named branches (one closed), a bookmark, tags, public and draft changesets and a 3 MB file. */
async function richHgRepo(client: Client): Promise<string> {
  const repo = join(tempDir('ferry-hgsrc-'), 'src');
  const hg = async (...args: string[]) => {
    const r = await client.hg(['-R', repo, ...args]);
    assert.equal(r.code, 0, `hg ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  await client.hg(['init', repo]);
  writeFileSync(join(repo, 'a.txt'), 'one\n');
  writeFileSync(join(repo, 'big.bin'), randomBytes(3 * 1024 * 1024));
  await hg('commit', '-A', '-m', 'first with a large file');
  await hg('tag', 'v1.0');
  await hg('branch', 'stable');
  writeFileSync(join(repo, 'a.txt'), 'stable\n');
  await hg('commit', '-m', 'on stable');
  await hg('update', 'default');
  await hg('branch', 'old');
  writeFileSync(join(repo, 'b.txt'), 'old\n');
  await hg('commit', '-A', '-m', 'on old');
  await hg('commit', '--close-branch', '-m', 'close old');
  await hg('update', 'default');
  writeFileSync(join(repo, 'c.txt'), 'feature\n');
  await hg('commit', '-A', '-m', 'feature work');
  await hg('bookmark', 'feature');
  await hg('phase', '--public', '-r', 'stable');
  await hg('phase', '--public', '-r', 'v1.0');
  return repo;
}

const VIEWS: readonly (readonly string[])[] = [
  ['log', '-r', 'all()', '-T', '{node} {branch} {phase} {bookmarks} {tags}\n'],
  ['branches', '--closed', '-T', '{branch} {node} {closed}\n'],
  ['bookmarks', '-T', '{bookmark} {node}\n'],
  ['tags', '-T', '{tag} {node}\n'],
];

describe('ferry import from an hg server', () => {
  let client: Client;
  let src: string;
  let serve: Remote;
  before(async () => {
    client = await makeClient({ sshPort: 0 }, 'author');
    src = await richHgRepo(client);
    serve = await startHgServe(src);
  });
  after(async () => {
    await serve.stop();
  });

  it('copies changesets, branches (closed too), bookmarks, tags and phases, verifies, and keeps no trace of the source', async () => {
    const data = tempDir('ferry-data-');
    const r = await ferryCli(data, ['import', serve.url, 'team/app']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^imported team\/app from http:\/\/127\.0\.0\.1:\d+\/: hg 6 changesets, 3 branches, verified, non-publishing \(the source shares drafts; ferry repo set --publishing to change\) \(private\)\n  hg clone ssh:\/\/\S+\n  hg clone http:\/\/\S+\n$/);
    assert.match(r.stderr, /import team\/app: fetched in/);
    const copy = join(data, 'repos', 'team', 'app');
    for (const view of VIEWS) {
      const theirs = await client.hg(['-R', src, ...view]);
      const ours = await client.hg(['-R', copy, ...view]);
      assert.equal(ours.stdout, theirs.stdout, view.join(' '));
    }
    const phases = await client.hg(['-R', copy, 'log', '-r', 'draft()', '-T', '{desc}\n']);
    assert.match(phases.stdout, /feature work/);
    // The source shares drafts: the copy is non-publishing (Ferry's phases block), and names no old host.
    const hgrc = readFileSync(join(copy, '.hg', 'hgrc'), 'utf8');
    assert.match(hgrc, /\[phases\]\npublish = false/);
    assert.doesNotMatch(hgrc, /paths|127\.0\.0\.1/);
    assert.deepEqual(readdirSync(join(data, 'tmp')), []);
    const list = await ferryCli(data, ['repo', 'list']);
    assert.match(list.stdout, /team\/app\s+hg\s+private/);
  });

  it('keeps the source as [paths] default only with --keep-remote, and detects hg with --hg given', async () => {
    const data = tempDir('ferry-data-');
    const r = await ferryCli(data, ['import', serve.url, 'kept', '--keep-remote', '--hg', '--public']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(join(data, 'repos', 'kept', '.hg', 'hgrc'), 'utf8'), new RegExp(`^\\[paths\\]\\ndefault = ${serve.url.replaceAll('.', '\\.')}\\n# ferry:phases begin`));
    const wrongKind = await ferryCli(data, ['import', serve.url, 'asgit', '--git']);
    assert.equal(wrongKind.code, 1);
    assert.match(wrongKind.stderr, /^ferry: could not fetch http:\/\/127\.0\.0\.1:\d+\/: fatal: /m);
    assert.ok(!existsSync(join(data, 'repos', 'asgit')));
  });

  it('takes HTTP credentials from the environment only, and leaves no secret behind', async () => {
    const proxy = await startProxy(serve, { user: 'alice', password: 's3cret-pw' });
    try {
      const data = tempDir('ferry-data-');
      const inUrl = await ferryCli(data, ['import', proxy.url.replace('//', '//alice:s3cret-pw@'), 'x']);
      assert.equal(inUrl.code, 1);
      assert.match(inUrl.stderr, /contains a password.*FERRY_IMPORT_PASSWORD/);
      const without = await ferryCli(data, ['import', proxy.url, 'x', '--hg']);
      assert.equal(without.code, 1);
      assert.match(without.stderr, /^ferry: could not fetch .*: abort: http authorization required/m);
      const ok = await ferryCli(data, ['import', proxy.url, 'x'], { env: { FERRY_IMPORT_USER: 'alice', FERRY_IMPORT_PASSWORD: 's3cret-pw' } });
      assert.equal(ok.code, 0, ok.stderr);
      assert.ok(proxy.authorizedRequests() > 0);
      assert.deepEqual(readdirSync(join(data, 'tmp')), [], 'the temporary hgrc with [auth] is gone');
      // Only Ferry's phases block (the source shares drafts), no [auth].
      const hgrc = join(data, 'repos', 'x', '.hg', 'hgrc');
      assert.doesNotMatch(existsSync(hgrc) ? readFileSync(hgrc, 'utf8') : '', /auth|paths|alice/);
      assertStoredNowhere(data, ['s3cret-pw'], 'the password is stored nowhere in the data dir');
    } finally {
      await proxy.stop();
    }
  });

  it('leaves no half repo behind when the remote dies mid-clone', async () => {
    const proxy = await startProxy(serve, { cutAfterBytes: 1024 * 1024 });
    try {
      const data = tempDir('ferry-data-');
      const r = await ferryCli(data, ['import', proxy.url, 'team/broken', '--hg']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^ferry: could not fetch http:\/\/127\.0\.0\.1:\d+\/: abort: /m);
      assert.ok(proxy.cuts() > 0, 'the transfer was cut');
      assert.ok(!existsSync(join(data, 'repos', 'team')), 'nothing under repos/');
      assert.deepEqual(readdirSync(join(data, 'tmp')), []);
      assert.doesNotMatch((await ferryCli(data, ['repo', 'list'])).stdout, /broken/);
    } finally {
      await proxy.stop();
    }
  });

  it('imports a local path (admin CLI) comparing branches, heads and tags directly, without running the source\'s hooks', async () => {
    const local = join(tempDir('ferry-hglocal-'), 'src');
    await runOk('cp', ['-a', src, local]);
    const marker = join(tempDir('ferry-marker-'), 'hook-ran');
    writeFileSync(join(local, '.hg', 'hgrc'), `[hooks]\npreoutgoing = touch ${marker}\noutgoing = touch ${marker}\n[extensions]\nnonexistent_ext = /nonexistent.py\n`);
    const data = tempDir('ferry-data-');
    const r = await ferryCli(data, ['import', local, 'local/app']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /verified/);
    assert.ok(!existsSync(marker), 'the source repo\'s hooks did not run');
    const phases = await client.hg(['-R', join(data, 'repos', 'local', 'app'), 'log', '-r', 'draft()', '-T', '{desc}\n']);
    assert.match(phases.stdout, /feature work/);
  });
});
