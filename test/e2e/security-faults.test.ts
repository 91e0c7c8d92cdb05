/**
 * Security regression tests for issue 11, items 10–12: what a repo's content, a killed server and
 * a full disk can do. One test per item, named after the bug.
 */
import { strict as assert } from 'node:assert';
import { lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addUser, PLAIN_GIT_ENV, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

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
});

