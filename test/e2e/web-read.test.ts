/**
 * The read-only pages of issue 15 (items 7-10, 14, 15), for hg and git, public and private:
 * blame and file history, archive downloads, compare, the Atom feed, the log's branch filter,
 * closed hg heads and branch-coloured graph lanes, and images. Driven with curl, hg, git and
 * Chromium (with and without JavaScript, 1280 and 390 px, light and dark). Screenshots land in
 * FERRY_SHOTS (default: a temp dir) to look at.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Browser, Page } from 'playwright-core';
import { branchColour } from '../../src/web/graph.js';
import { launchChromium, signIn } from './browser.js';
import { addUser, run, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

const SHOTS = process.env['FERRY_SHOTS'] ?? tempDir('ferry-shots-read-');
const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;
const SCHEMES = ['light', 'dark'] as const;
const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

interface Ids {
  first: string;
  second: string;
  stable: string;
  later: string;
  closing: string;
}

/** curl's status, content type and body (written to a temp file, read back). */
async function curl(url: string, extra: readonly string[] = []): Promise<{ status: number; type: string; body: Buffer; file: string }> {
  const file = join(tempDir('ferry-curl-'), 'out');
  const r = await runOk('curl', ['-s', '-o', file, '-w', '%{http_code} %{content_type}', ...extra, url]);
  const [status, type] = r.stdout.split(' ');
  return { status: Number(status), type: type ?? '', body: existsSync(file) ? readFileSync(file) : Buffer.alloc(0), file };
}

/** The `<tr id="Ln">…</tr>` row of a blame page. */
function blameRow(page: string, n: number): string {
  return new RegExp(`<tr id="L${n}"[^>]*>.*?</tr>`, 's').exec(page)?.[0] ?? '';
}

describe('web UI: read-only pages (blame, history, archives, compare, feed, log, images)', () => {
  let server: FerryServer;
  let alice: Client;
  let browser: Browser;
  const hgIds: Ids = { first: '', second: '', stable: '', later: '', closing: '' };
  const gitIds = { first: '', second: '', feature: '' };
  const hg = hgIds;
  const git = gitIds;

  async function makeHg(path: string, record: boolean): Promise<void> {
    const hg: Ids = record ? hgIds : { first: '', second: '', stable: '', later: '', closing: '' };
    const work = join(tempDir('ferry-read-hg-'), 'app');
    const h = (args: string[]): Promise<unknown> => runOk('hg', ['-R', work, ...args], { env: alice.env });
    const id = async (): Promise<string> => (await runOk('hg', ['-R', work, 'log', '-r', '.', '-T', '{node}'], { env: alice.env })).stdout.trim();
    await alice.hg(['init', work]);
    writeFileSync(join(work, 'a.txt'), 'one\ntwo\nthree\n');
    writeFileSync(join(work, 'b.txt'), 'b\n');
    mkdirSync(join(work, 'img'));
    writeFileSync(join(work, 'img', 'dot.png'), PNG_1X1);
    writeFileSync(join(work, 'img', 'dot.webp'), PNG_1X1);
    writeFileSync(join(work, 'img', 'dot.gif'), PNG_1X1);
    writeFileSync(join(work, 'img', 'dot.jpg'), PNG_1X1);
    await h(['commit', '-A', '-m', 'first: three lines']);
    hg.first = await id();
    await h(['tag', 'v1.0']);
    writeFileSync(join(work, 'a.txt'), 'one\nTWO by the second\nthree\n');
    await h(['commit', '-m', 'second: line two']);
    hg.second = await id();
    await h(['branch', 'stable']);
    writeFileSync(join(work, 's.txt'), 'stable\n');
    await h(['commit', '-A', '-m', 'stable: its own file']);
    hg.stable = await id();
    await h(['update', 'default']);
    writeFileSync(join(work, 'b.txt'), 'b changed\n');
    await h(['commit', '-m', 'later: b only']);
    hg.later = await id();
    await h(['branch', 'old']);
    writeFileSync(join(work, 'old.txt'), 'old\n');
    await h(['commit', '-A', '-m', 'old: work']);
    await h(['commit', '--close-branch', '-m', 'old: closed']);
    hg.closing = await id();
    await h(['update', 'default']);
    await h(['push', '--new-branch', alice.sshUrl(path)]);
  }

  async function makeGit(path: string, record: boolean): Promise<void> {
    const git = record ? gitIds : { first: '', second: '', feature: '' };
    const work = join(tempDir('ferry-read-git-'), 'site');
    const g = (args: string[]): Promise<{ stdout: string }> => runOk('git', ['-C', work, ...args], { env: alice.env });
    await alice.git(['init', '-q', '-b', 'main', work]);
    writeFileSync(join(work, 'a.txt'), 'one\ntwo\nthree\n');
    await g(['add', '.']);
    await g(['commit', '-q', '-m', 'first: three lines']);
    git.first = (await g(['rev-parse', 'HEAD'])).stdout.trim();
    await g(['tag', 'v1.0']);
    writeFileSync(join(work, 'a.txt'), 'one\nTWO by the second\nthree\n');
    await g(['commit', '-q', '-am', 'second: line two']);
    git.second = (await g(['rev-parse', 'HEAD'])).stdout.trim();
    await g(['checkout', '-q', '-b', 'feature/x']);
    writeFileSync(join(work, 'f.txt'), 'feature\n');
    await g(['add', '.']);
    await g(['commit', '-q', '-m', 'feature: its own file']);
    git.feature = (await g(['rev-parse', 'HEAD'])).stdout.trim();
    await g(['push', '-q', alice.sshUrl(path), 'main', 'feature/x', '--tags']);
  }

  before(async () => {
    server = await startFerry();
    alice = await addUser(server, 'alice');
    await server.cliOk(['user', 'passwd', 'alice'], { input: 'alice-password\n' });
    await server.cliOk(['user', 'add', 'eve']);
    await server.cliOk(['user', 'passwd', 'eve'], { input: 'eve-password\n' });
    await server.cliOk(['repo', 'create', 'team/app', '--public']);
    await server.cliOk(['repo', 'create', 'team/site', '--git', '--public']);
    await server.cliOk(['repo', 'create', 'team/hidden-hg']);
    await server.cliOk(['repo', 'create', 'team/hidden-git', '--git']);
    await server.cliOk(['grant', 'alice', 'team/', 'write']);
    await makeHg('team/app', true);
    await makeHg('team/hidden-hg', false);
    await makeGit('team/site', true);
    await makeGit('team/hidden-git', false);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('blame names the commit of every line (hg annotate, git blame)', async () => {
    for (const [repo, ref, first, second] of [
      ['team/app', 'default', hg.first, hg.second],
      ['team/site', 'main', git.first, git.second],
    ] as const) {
      const r = await curl(`${server.baseUrl}/${repo}/-/blame/${ref}/a.txt`);
      assert.equal(r.status, 200, `${repo} blame`);
      const page = r.body.toString('utf8');
      assert.ok(blameRow(page, 1).includes(`/-/commit/${first}`), `${repo}: line 1 from the first commit`);
      assert.ok(blameRow(page, 2).includes(`/-/commit/${second}`) && blameRow(page, 2).includes('TWO by the second'), `${repo}: line 2 from the second commit`);
      assert.ok(blameRow(page, 3).includes(`/-/commit/${first}`), `${repo}: line 3 from the first commit again`);
      assert.equal((await curl(`${server.baseUrl}/${repo}/-/blame/${ref}/nope.txt`)).status, 404);
      // The file view links to its blame and history.
      const view = (await curl(`${server.baseUrl}/${repo}/-/files/${ref}/a.txt`)).body.toString('utf8');
      assert.ok(view.includes(`/${repo}/-/blame/${ref}/a.txt`) && view.includes(`/${repo}/-/history/${ref}/a.txt`));
    }
  });

  it('file history lists only the commits that change the file; /-/log/REF/FILE redirects to it', async () => {
    for (const [repo, ref, touching, other] of [
      ['team/app', 'default', [hg.second, hg.first], hg.later],
      ['team/site', 'feature/x', [git.second, git.first], git.feature],
    ] as const) {
      const r = await curl(`${server.baseUrl}/${repo}/-/history/${ref}/a.txt`);
      assert.equal(r.status, 200);
      const page = r.body.toString('utf8');
      const listed = [...page.matchAll(/class="id mono" href="[^"]*\/-\/commit\/([0-9a-f]+)"/g)].map((m) => m[1]);
      assert.deepEqual(listed, touching, `${repo}: the history of a.txt, newest first`);
      assert.ok(!listed.includes(other), `${repo}: a commit that leaves a.txt alone is not listed`);
      const moved = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', `${server.baseUrl}/${repo}/-/log/${ref}/a.txt`]);
      assert.equal(moved.stdout, `303 ${server.baseUrl}/${repo}/-/history/${ref}/a.txt`, 'the old log URL leads to the history');
    }
    for (const url of ['/team/app/-/branches/stable', '/team/site/-/tags/v1.0', '/team/app/-/atom/stable']) {
      assert.equal((await curl(`${server.baseUrl}${url}`)).status, 404, `${url} names nothing: a 404, not a page that ignores the rest`);
    }
    const dir = await curl(`${server.baseUrl}/team/app/-/history/default/img`);
    assert.equal(dir.status, 200, 'a directory has a history too');
    assert.ok(dir.body.toString('utf8').includes(hg.first));
  });

  it('archives stream as .tar.gz and .zip for branches, tags and commits, linked from the repo, branches and tags pages', async () => {
    for (const [repo, refs, name] of [
      ['team/app', ['default', 'v1.0', hg.second.slice(0, 12)], 'app'],
      ['team/site', ['main', 'v1.0', 'feature/x', git.second], 'site'],
    ] as const) {
      for (const ref of refs) {
        const tgz = await curl(`${server.baseUrl}/${repo}/-/archive/${ref}.tar.gz`);
        assert.equal(tgz.status, 200, `${repo} ${ref}.tar.gz`);
        assert.equal(tgz.type, 'application/gzip');
        const prefix = `${name}-${ref.replace(/\//g, '-')}/`;
        const listing = (await runOk('tar', ['tzf', tgz.file])).stdout.split('\n');
        assert.ok(listing.includes(`${prefix}a.txt`), `${ref}.tar.gz holds ${prefix}a.txt: ${listing.join(' ')}`);
        const zip = await curl(`${server.baseUrl}/${repo}/-/archive/${ref}.zip`);
        assert.equal(zip.status, 200);
        assert.equal(zip.type, 'application/zip');
        assert.ok((await runOk('unzip', ['-l', zip.file])).stdout.includes(`${prefix}a.txt`));
        const a = (await runOk('unzip', ['-p', zip.file, `${prefix}a.txt`])).stdout;
        assert.equal(a, ref === 'v1.0' ? 'one\ntwo\nthree\n' : 'one\nTWO by the second\nthree\n', `${ref}: the file at that ref`);
      }
      for (const bad of ['nope.tar.gz', '--output=x.tar.gz', 'main.tar', `${'a'.repeat(300)}.zip`]) {
        assert.equal((await curl(`${server.baseUrl}/${repo}/-/archive/${bad}`)).status, 404, `${bad} is a 404`);
      }
      for (const page of ['', '/-/branches', '/-/tags']) {
        const body = (await curl(`${server.baseUrl}/${repo}${page}`)).body.toString('utf8');
        assert.match(body, new RegExp(`href="/${repo}/-/archive/[^"]+\\.tar\\.gz"`), `${repo}${page} links a .tar.gz`);
        assert.match(body, new RegExp(`href="/${repo}/-/archive/[^"]+\\.zip"`), `${repo}${page} links a .zip`);
      }
    }
  });

  it('compare lists the commits HEAD has that BASE lacks and their combined diff', async () => {
    const hgPage = await curl(`${server.baseUrl}/team/app/-/compare/v1.0...default`);
    assert.equal(hgPage.status, 200);
    const h = hgPage.body.toString('utf8');
    for (const id of [hg.second, hg.later]) assert.ok(h.includes(`/-/commit/${id}`), `hg: ${id} listed`);
    assert.ok(!h.includes(`/-/commit/${hg.stable}`), 'hg: stable is not an ancestor of default');
    assert.ok(h.includes('TWO by the second') && h.includes('b changed'), 'hg: the combined diff');
    const gitPage = await curl(`${server.baseUrl}/team/site/-/compare/main...feature/x`);
    assert.equal(gitPage.status, 200);
    const g = gitPage.body.toString('utf8');
    assert.ok(g.includes(`/-/commit/${git.feature}`) && !g.includes(`class="id mono" href="/team/site/-/commit/${git.second}"`), 'git: only the feature commit');
    assert.ok(g.includes('f.txt') && !g.includes('TWO by the second'), 'git: the diff from the merge base');
    const raw = await curl(`${server.baseUrl}/team/site/-/compare/main...feature/x.diff`);
    assert.equal(raw.type, 'text/plain;');
    assert.match(raw.body.toString('utf8'), /^diff --git a\/f.txt b\/f.txt/);
    const one = await curl(`${server.baseUrl}/team/app/-/compare/v1.0...default?file=b.txt`);
    assert.ok(one.status === 200 && one.body.toString('utf8').includes('b changed') && !one.body.toString('utf8').includes('TWO by'));
    assert.equal((await curl(`${server.baseUrl}/team/app/-/compare/v1.0..default`)).status, 404);
    assert.equal((await curl(`${server.baseUrl}/team/app/-/compare/nope...default`)).status, 404);
  });

  it('the Atom feed is valid Atom, per repo and per branch, and the log links it', async () => {
    const parser = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'entry' || name === 'link' });
    for (const [repo, branch, inBranch, notInBranch] of [
      ['team/app', 'stable', hg.stable, hg.later],
      ['team/site', 'feature/x', git.feature, undefined],
    ] as const) {
      for (const query of ['', `?branch=${encodeURIComponent(branch)}`]) {
        const r = await curl(`${server.baseUrl}/${repo}/-/atom${query}`);
        assert.equal(r.status, 200);
        assert.equal(r.type, 'application/atom+xml;');
        const text = r.body.toString('utf8');
        assert.equal(XMLValidator.validate(text), true, `${repo}${query}: well-formed XML`);
        const feed = (parser.parse(text) as { feed: Record<string, unknown> }).feed;
        assert.equal(feed['@_xmlns'], 'http://www.w3.org/2005/Atom');
        for (const key of ['id', 'title', 'updated']) assert.ok(feed[key], `feed has ${key}`);
        const entries = feed['entry'] as Record<string, unknown>[];
        assert.ok(entries.length > 0);
        for (const e of entries) {
          for (const key of ['id', 'title', 'updated', 'author', 'link']) assert.ok(e[key], `entry has ${key}`);
          assert.ok(!Number.isNaN(Date.parse(String(e['updated']))), 'updated is a date');
        }
        const ids = entries.map((e) => String(e['id']));
        assert.ok(ids.some((i) => i.endsWith(inBranch)));
        if (query !== '' && notInBranch) assert.ok(!ids.some((i) => i.endsWith(notInBranch)), 'only that branch');
      }
      const log = (await curl(`${server.baseUrl}/${repo}/-/log?ref=${encodeURIComponent(branch)}`)).body.toString('utf8');
      assert.match(log, new RegExp(`<link rel="alternate" type="application/atom\\+xml"[^>]*href="/${repo}/-/atom\\?branch=${encodeURIComponent(branch).replace(/%/g, '%')}"`));
      assert.equal((await curl(`${server.baseUrl}/${repo}/-/atom?branch=nope`)).status, 404);
    }
  });

  it('the log filters by branch, marks closed hg heads and colours lanes by branch', async () => {
    const all = (await curl(`${server.baseUrl}/team/app/-/log`)).body.toString('utf8');
    const closedRow = new RegExp(`<li class="closes">.*?/-/commit/${hg.closing}`, 's');
    assert.match(all, closedRow, 'the closing changeset is marked');
    assert.match(all, /<circle class="n\d closed"/, 'and drawn hollow');
    const node = (id: string): string => new RegExp(`<circle class="n(\\d)[^"]*"[^>]*/></svg><div class="entry"><div><a href="/team/app/-/commit/${id}"`).exec(all)?.[1] ?? '';
    assert.equal(node(hg.second), String(branchColour('default')), 'default commits in the colour of default');
    assert.equal(node(hg.later), String(branchColour('default')));
    assert.equal(node(hg.stable), String(branchColour('stable')), 'stable in its own colour');
    const stable = (await curl(`${server.baseUrl}/team/app/-/log?ref=stable`)).body.toString('utf8');
    assert.ok(stable.includes(hg.stable) && !stable.includes(`/-/commit/${hg.later}`), 'the branch filter');
    const gitLog = (await curl(`${server.baseUrl}/team/site/-/log?branch=feature%2Fx`)).body.toString('utf8');
    assert.ok(gitLog.includes(git.feature) && gitLog.includes(git.first));
    // Without JavaScript, the branch form filters the log.
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/team/app/-/log`);
    await page.selectOption('#log-branch', 'stable');
    await Promise.all([page.waitForURL(/ref=stable/), page.click('.log-filter button[type=submit]')]);
    assert.equal(await page.locator(`a[href="/team/app/-/commit/${hg.later}"]`).count(), 0);
    assert.ok((await page.locator(`a[href="/team/app/-/commit/${hg.stable}"]`).count()) > 0);
    await context.close();
  });

  it('images (png, jpg, gif, webp) are <img> in the file view and served with their type and a sandbox CSP', async () => {
    for (const [file, type] of [['dot.png', 'image/png'], ['dot.jpg', 'image/jpeg'], ['dot.gif', 'image/gif'], ['dot.webp', 'image/webp']] as const) {
      const view = (await curl(`${server.baseUrl}/team/app/-/files/default/img/${file}`)).body.toString('utf8');
      assert.ok(view.includes(`<img src="/team/app/-/raw/default/img/${file}"`), `${file} as an image`);
      const head = await run('curl', ['-s', '-D', '-', '-o', '/dev/null', `${server.baseUrl}/team/app/-/raw/default/img/${file}`]);
      assert.match(head.stdout, new RegExp(`content-type: ${type}\\r`, 'i'));
      assert.match(head.stdout, /content-security-policy: default-src 'none'; sandbox/i);
    }
  });

  it('private repos: every new page is a 404 to strangers and works for readers', async () => {
    const urls = (repo: string, ref: string): string[] => [
      `/${repo}/-/blame/${ref}/a.txt`,
      `/${repo}/-/history/${ref}/a.txt`,
      `/${repo}/-/archive/${ref}.tar.gz`,
      `/${repo}/-/archive/${ref}.zip`,
      `/${repo}/-/compare/v1.0...${ref}`,
      `/${repo}/-/compare/v1.0...${ref}.diff`,
      `/${repo}/-/atom`,
      `/${repo}/-/atom?branch=${ref}`,
      `/${repo}/-/log?ref=${ref}`,
      `/${repo}/-/log/${ref}/a.txt`,
    ];
    const all = [...urls('team/hidden-hg', 'default'), ...urls('team/hidden-git', 'main')];
    for (const url of all) {
      const r = await curl(`${server.baseUrl}${url}`);
      assert.equal(r.status, 404, `${url} to anonymous`);
      assert.ok(!r.body.toString('utf8').includes('TWO by the second'), `${url} shows nothing of the repo`);
    }
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'eve', 'eve-password');
    for (const url of all) assert.equal((await page.request.get(`${server.baseUrl}${url}`, { maxRedirects: 0 })).status(), 404, `${url} to eve, who has no grant`);
    await context.close();
    const readerContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const reader = await readerContext.newPage();
    await signIn(reader, server.baseUrl, 'alice', 'alice-password');
    for (const url of all) {
      const status = (await reader.request.get(`${server.baseUrl}${url}`, { maxRedirects: 0 })).status();
      assert.equal(status, url.includes('/-/log/') ? 303 : 200, `${url} to alice`);
    }
    await readerContext.close();
  });

  it('security: a file history path is a path, never a pattern (hg path:, git literal pathspecs)', async () => {
    // `x*.txt` as a glob (hg's default in revsets, git's pathspec) would also match xa.txt.
    const hgWork = join(tempDir('ferry-read-glob-'), 'app');
    await runOk('hg', ['clone', '-q', alice.sshUrl('team/app'), hgWork], { env: alice.env });
    writeFileSync(join(hgWork, 'xa.txt'), 'a\n');
    await runOk('hg', ['-R', hgWork, 'commit', '-A', '-m', 'glob: xa.txt'], { env: alice.env });
    writeFileSync(join(hgWork, 'x*.txt'), 'star\n');
    await runOk('hg', ['-R', hgWork, 'commit', '-A', '-m', 'glob: the star file'], { env: alice.env });
    await runOk('hg', ['-R', hgWork, 'push', '-q', alice.sshUrl('team/app')], { env: alice.env });
    const gitWork = join(tempDir('ferry-read-glob-'), 'site');
    await runOk('git', ['clone', '-q', alice.sshUrl('team/site'), gitWork], { env: alice.env });
    writeFileSync(join(gitWork, 'xa.txt'), 'a\n');
    await runOk('git', ['-C', gitWork, 'add', '.'], { env: alice.env });
    await runOk('git', ['-C', gitWork, 'commit', '-q', '-m', 'glob: xa.txt'], { env: alice.env });
    writeFileSync(join(gitWork, 'x*.txt'), 'star\n');
    await runOk('git', ['-C', gitWork, 'add', '.'], { env: alice.env });
    await runOk('git', ['-C', gitWork, 'commit', '-q', '-m', 'glob: the star file'], { env: alice.env });
    await runOk('git', ['-C', gitWork, 'push', '-q', 'origin', 'main'], { env: alice.env });
    for (const [repo, ref] of [['team/app', 'default'], ['team/site', 'main']] as const) {
      const page = (await curl(`${server.baseUrl}/${repo}/-/history/${ref}/x*.txt`)).body.toString('utf8');
      assert.ok(page.includes('glob: the star file'), `${repo}: the star file's own commit`);
      assert.ok(!page.includes('glob: xa.txt'), `${repo}: xa.txt's commit is not in x*.txt's history`);
    }
  });

  it('the new pages fit at 1280 and 390 px in light and dark, without JavaScript', async () => {
    const pages = [
      ['blame-hg', `/team/app/-/blame/default/a.txt`],
      ['blame-git', `/team/site/-/blame/main/a.txt`],
      ['history-hg', `/team/app/-/history/default/a.txt`],
      ['compare-hg', `/team/app/-/compare/v1.0...default`],
      ['compare-git', `/team/site/-/compare/main...feature/x`],
      ['log-hg', `/team/app/-/log`],
      ['branches-hg', `/team/app/-/branches`],
      ['tags-git', `/team/site/-/tags`],
      ['repo-git', `/team/site`],
    ] as const;
    for (const viewport of VIEWPORTS) {
      for (const scheme of SCHEMES) {
        const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height }, colorScheme: scheme, javaScriptEnabled: false });
        const page: Page = await context.newPage();
        for (const [name, url] of pages) {
          const res = await page.goto(`${server.baseUrl}${url}`);
          assert.equal(res?.status(), 200, url);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          assert.ok(overflow <= 1, `${url} at ${viewport.width} px scrolls sideways by ${overflow} px`);
          await page.screenshot({ path: join(SHOTS, `${name}-${viewport.name}-${scheme}.png`), fullPage: true });
        }
        await context.close();
      }
    }
  });
});
