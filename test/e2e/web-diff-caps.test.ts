/**
 * Big diffs on the commit and compare pages (issue 15's speed bar): only part of a big diff is
 * rendered inline, every changed file is named in the file index with a link that loads its own
 * diff (without JavaScript), and the rendered diff, kept in memory by commit ids, follows the
 * repository: a moved branch, a renamed repo and a pushed commit are seen at once. hg and git
 * alike, pushed with the real clients, read with curl and Chromium.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from './browser.js';
import { addUser, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

/** Files changed by the big commit, each with LINES_PER_FILE new lines: 40 × 100 diff lines is over both pages' inline budgets. */
const FILES = 40;
const LINES_PER_FILE = 100;

function writeBig(work: string, tag: string): void {
  mkdirSync(join(work, 'many'), { recursive: true });
  for (let i = 0; i < FILES; i++) {
    const lines = Array.from({ length: LINES_PER_FILE }, (_, n) => `file ${i} line ${n} ${tag}`);
    writeFileSync(join(work, 'many', `f${String(i).padStart(2, '0')}.txt`), `${lines.join('\n')}\n`);
  }
}

async function page(url: string): Promise<{ status: number; body: string }> {
  const r = await fetch(url);
  return { status: r.status, body: await r.text() };
}

/** Diff rows (`<tr>` of `table.diff`) in a page. */
function diffRows(body: string): number {
  return body.split('<tr class="').length - 1;
}

describe('web UI: big diffs are capped, every file named and loadable, rendered diffs follow the repo', () => {
  let server: FerryServer;
  let alice: Client;
  let browser: Browser;
  const ids = { hgBase: '', hgBig: '', gitBase: '', gitBig: '' };
  let hgWork = '';
  let gitWork = '';

  before(async () => {
    server = await startFerry();
    alice = await addUser(server, 'alice');
    await server.cliOk(['repo', 'create', 'team/big', '--public']);
    await server.cliOk(['repo', 'create', 'team/big-git', '--git', '--public']);
    await server.cliOk(['grant', 'alice', 'team/', 'write']);
    hgWork = join(tempDir('ferry-caps-hg-'), 'big');
    const h = (args: string[]) => runOk('hg', ['-R', hgWork, ...args], { env: alice.env });
    await alice.hg(['init', hgWork]);
    writeFileSync(join(hgWork, 'README'), 'big\n');
    await h(['commit', '-A', '-m', 'base']);
    ids.hgBase = (await h(['log', '-r', '.', '-T', '{node}'])).stdout.trim();
    await h(['tag', 'v1']);
    writeBig(hgWork, 'one');
    await h(['commit', '-A', '-m', 'many files']);
    ids.hgBig = (await h(['log', '-r', '.', '-T', '{node}'])).stdout.trim();
    await h(['push', alice.sshUrl('team/big')]);
    gitWork = join(tempDir('ferry-caps-git-'), 'big');
    const g = (args: string[]) => runOk('git', ['-C', gitWork, ...args], { env: alice.env });
    await alice.git(['init', '-q', '-b', 'main', gitWork]);
    writeFileSync(join(gitWork, 'README'), 'big\n');
    await g(['add', '.']);
    await g(['commit', '-q', '-m', 'base']);
    ids.gitBase = (await g(['rev-parse', 'HEAD'])).stdout.trim();
    await g(['tag', 'v1']);
    await g(['checkout', '-q', '-b', 'work']);
    writeBig(gitWork, 'one');
    await g(['add', '.']);
    await g(['commit', '-q', '-m', 'many files']);
    ids.gitBig = (await g(['rev-parse', 'HEAD'])).stdout.trim();
    await g(['push', '-q', alice.sshUrl('team/big-git'), 'main', 'work', '--tags']);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('a big compare renders part of the diff, names every file and loads each one on its own page (no JS)', async () => {
    for (const [repo, head] of [
      ['team/big', 'default'],
      ['team/big-git', 'work'],
    ] as const) {
      const url = `${server.baseUrl}/${repo}/-/compare/v1...${head}`;
      const { status, body } = await page(url);
      assert.equal(status, 200);
      assert.ok(diffRows(body) <= 1600, `${repo}: at most the compare budget inline (${diffRows(body)} rows)`);
      assert.match(body, /id="diff-rest"/, `${repo}: says that more files are not shown`);
      const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
      const tab = await context.newPage();
      await tab.goto(url);
      // hg's compare also holds .hgtags (the tag's own changeset is after the base).
      const names = (await tab.locator('#changed-files li a').allTextContents()).filter((n) => n.startsWith('many/'));
      assert.equal(names.length, FILES, `${repo}: every file named`);
      for (let i = 0; i < FILES; i++) assert.ok(names.includes(`many/f${String(i).padStart(2, '0')}.txt`), `${repo}: f${i} named`);
      assert.ok(await tab.locator('#changed-files').evaluate((d) => (d as HTMLDetailsElement).open), 'the index is open when it is the way to some diffs');
      const last = tab.locator('#changed-files li a', { hasText: 'many/f39.txt' });
      assert.match((await last.getAttribute('href')) ?? '', /\?file=many%2Ff39\.txt$/);
      await Promise.all([tab.waitForURL(/\?file=many%2Ff39\.txt$/, { waitUntil: 'load' }), last.click()]);
      assert.equal(await tab.locator('table.diff tr.add').count(), LINES_PER_FILE, `${repo}: the file's own diff`);
      assert.match((await tab.textContent('table.diff')) ?? '', /file 39 line 99 one/);
      await context.close();
    }
  });

  it('a big commit renders at most its budget inline and names every file with a link', async () => {
    for (const [repo, id] of [
      ['team/big', ids.hgBig],
      ['team/big-git', ids.gitBig],
    ] as const) {
      const { status, body } = await page(`${server.baseUrl}/${repo}/-/commit/${id}`);
      assert.equal(status, 200);
      assert.ok(diffRows(body) <= 3100 && diffRows(body) >= 1000, `${repo}: part of the diff inline (${diffRows(body)} rows)`);
      assert.match(body, /id="diff-rest"/);
      for (let i = 0; i < FILES; i++) assert.ok(body.includes(`many/f${String(i).padStart(2, '0')}.txt</a>`), `${repo}: f${i} linked`);
    }
  });

  it('the REST API lists what each commit changed (files, statuses, line counts) as its diff says', async () => {
    // A rename with an edit and a removal on top of the big commit, in both repos.
    const hgW = (args: string[]) => runOk('hg', ['--cwd', hgWork, ...args], { env: alice.env });
    await hgW(['mv', 'many/f00.txt', 'many/renamed.txt']);
    writeFileSync(join(hgWork, 'many', 'renamed.txt'), 'file 0 line 0 one\nreplaced\n');
    await hgW(['rm', 'many/f01.txt']);
    await hgW(['commit', '-m', 'rename, edit, remove']);
    await hgW(['push', alice.sshUrl('team/big')]);
    const gitW = (args: string[]) => runOk('git', ['-C', gitWork, ...args], { env: alice.env });
    await gitW(['mv', 'many/f00.txt', 'many/renamed.txt']);
    writeFileSync(join(gitWork, 'many', 'renamed.txt'), `${Array.from({ length: LINES_PER_FILE }, (_, n) => `file 0 line ${n} one`).join('\n')}\nadded\n`);
    await gitW(['rm', '-q', 'many/f01.txt']);
    await gitW(['commit', '-q', '-am', 'rename, edit, remove']);
    await gitW(['push', '-q', alice.sshUrl('team/big-git'), 'work']);
    const api = `${server.baseUrl}/api/v1/repos/team`;
    for (const [repo, ref, renamed, added, removed] of [
      ['big', 'default', 'many/renamed.txt', 1, LINES_PER_FILE - 1 + LINES_PER_FILE],
      ['big-git', 'work', 'many/renamed.txt', 1, LINES_PER_FILE],
    ] as const) {
      const r = await fetch(`${api}/${repo}/commits?sha=${ref}&limit=2`);
      assert.equal(r.status, 200);
      const [last, big] = (await r.json()) as { files: { filename: string; status: string }[]; stats: { additions: number; deletions: number } }[];
      assert.ok(last && big);
      assert.deepEqual(last.files.map((f) => `${f.status} ${f.filename}`).sort(), ['removed many/f01.txt', `renamed ${renamed}`], repo);
      assert.deepEqual([last.stats.additions, last.stats.deletions], [added, removed], `${repo}: line counts`);
      assert.equal(big.files.filter((f) => f.status === 'added').length, FILES, `${repo}: the big commit's files`);
      assert.equal(big.stats.additions, FILES * LINES_PER_FILE);
    }
  });

  it('the kept diff follows the repo: a moved branch, a short id pushed later, a renamed repo', async () => {
    // Warm the compare by branch name, then move the branch: the page shows the new diff.
    assert.ok((await page(`${server.baseUrl}/team/big/-/compare/v1...default`)).body.includes('file 5 line 0 one'));
    assert.ok((await page(`${server.baseUrl}/team/big-git/-/compare/v1...work`)).body.includes('file 5 line 0 one'));
    writeBig(hgWork, 'two');
    await runOk('hg', ['-R', hgWork, 'commit', '-m', 'many files again'], { env: alice.env });
    const hgNext = (await runOk('hg', ['-R', hgWork, 'log', '-r', '.', '-T', '{node}'], { env: alice.env })).stdout.trim();
    // Asked for before it exists: a 404, which must not stick once it is pushed.
    assert.equal((await page(`${server.baseUrl}/team/big/-/commit/${hgNext.slice(0, 12)}`)).status, 404);
    await runOk('hg', ['-R', hgWork, 'push', alice.sshUrl('team/big')], { env: alice.env });
    writeBig(gitWork, 'two');
    await runOk('git', ['-C', gitWork, 'commit', '-q', '-am', 'many files again'], { env: alice.env });
    await runOk('git', ['-C', gitWork, 'push', '-q', alice.sshUrl('team/big-git'), 'work'], { env: alice.env });
    for (const repo of ['team/big', 'team/big-git']) {
      const { body } = await page(`${server.baseUrl}/${repo}/-/compare/v1...${repo === 'team/big' ? 'default' : 'work'}`);
      assert.ok(body.includes('file 5 line 0 two') && !body.includes('file 5 line 0 one'), `${repo}: the compare shows the branch's new head`);
    }
    const pushed = await page(`${server.baseUrl}/team/big/-/commit/${hgNext.slice(0, 12)}`);
    assert.equal(pushed.status, 200, 'a short id pushed after a miss resolves');
    assert.ok(pushed.body.includes('file 5 line 0 two'));
    // The same commit under the repo's new name links to the new name.
    assert.ok((await page(`${server.baseUrl}/team/big/-/commit/${ids.hgBig}`)).body.includes(`href="/team/big/-/commit/${ids.hgBig}?file=many%2Ff39.txt"`));
    await server.cliOk(['repo', 'mv', 'team/big', 'team/large']);
    const moved = await page(`${server.baseUrl}/team/large/-/commit/${ids.hgBig}`);
    assert.equal(moved.status, 200);
    assert.ok(moved.body.includes(`href="/team/large/-/commit/${ids.hgBig}?file=many%2Ff39.txt"`) && !moved.body.includes('href="/team/big/'), 'links name the new path');
  });
});
