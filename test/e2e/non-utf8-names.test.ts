/**
 * File names, branch names, authors and messages that are not UTF-8 (hg and git store raw bytes:
 * a Latin-1 `caf\xe9.txt` committed under a Latin-1 locale). Every web view, raw, archive, the CDN
 * and the REST API answer 200; names show with U+FFFD; links percent-encode the raw bytes, and
 * following them reaches the same file (docs/urls.md, "Names that are not UTF-8").
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from './browser.js';
import { addUser, expectOk, run, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

const LATIN1 = Buffer.from('caf\xe9.txt', 'latin1');
const LATIN1_URL = 'caf%E9.txt';
const DIR = Buffer.from('d\xeer', 'latin1');
const DIR_URL = 'd%EEr';
const HTMLISH = 'a<b>"c\'&.txt';
const SHOWN = 'caf\ufffd.txt';

interface Fetched {
  status: number;
  headers: string;
  body: Buffer;
}

async function curl(url: string): Promise<Fetched> {
  const dir = tempDir('ferry-curl-names-');
  const file = join(dir, 'out');
  const headers = join(dir, 'headers');
  const r = await runOk('curl', ['-s', '-g', '-o', file, '-D', headers, '-w', '%{http_code}', url]);
  return { status: Number(r.stdout), headers: existsSync(headers) ? readFileSync(headers, 'latin1') : '', body: existsSync(file) ? readFileSync(file) : Buffer.alloc(0) };
}

async function ok200(url: string): Promise<Fetched> {
  const f = await curl(url);
  assert.equal(f.status, 200, `${url} answered ${f.status}: ${f.body.toString('utf8').slice(0, 300)}`);
  return f;
}

/** The hrefs on an HTML page (as written, still percent-encoded). */
function hrefs(page: Buffer): string[] {
  return [...page.toString('utf8').matchAll(/href="([^"]*)"/g)].map((m) => (m[1] as string).replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
}

/** Writes the test tree with Buffer file names (bytes, not UTF-8). */
function writeTree(work: string): void {
  writeFileSync(join(work, 'plain.txt'), 'plain\n');
  writeFileSync(Buffer.concat([Buffer.from(`${work}/`), LATIN1]), 'latin-1 name\n');
  mkdirSync(Buffer.concat([Buffer.from(`${work}/`), DIR]));
  writeFileSync(Buffer.concat([Buffer.from(`${work}/`), DIR, Buffer.from('/inner.txt')]), 'inner file\n');
  writeFileSync(join(work, HTMLISH), 'html-ish name\n');
}

describe('names that are not UTF-8 (hg and git)', () => {
  let server: FerryServer;
  let alice: Client;
  let browser: Browser | undefined;
  const hg = { first: '', second: '' };
  const git = { first: '', second: '', odd: '' };

  before(async () => {
    server = await startFerry();
    alice = await addUser(server, 'alice');
    await server.cliOk(['repo', 'create', 'names/hgrepo', '--public']);
    await server.cliOk(['repo', 'create', 'names/gitrepo', '--git', '--public']);
    await server.cliOk(['grant', 'alice', 'names/', 'write']);

    const hw = join(tempDir('ferry-names-hg-'), 'w');
    const latin1Env = { env: { HGENCODING: 'latin1' } };
    await expectOk(alice.hg(['init', hw]));
    writeFileSync(join(hw, 'first.txt'), 'first\n');
    await expectOk(alice.hg(['-R', hw, 'commit', '-A', '-m', 'first']));
    hg.first = (await runOk('hg', ['-R', hw, 'log', '-r', '.', '-T', '{node}'], { env: alice.env })).stdout;
    writeTree(hw);
    const hgMsg = join(tempDir('ferry-names-msg-'), 'msg');
    writeFileSync(hgMsg, Buffer.from('caf\xe9 in Latin-1\n', 'latin1'));
    await expectOk(alice.hg(['-R', hw, 'commit', '-A', '-l', hgMsg], latin1Env), 'hg commit with Latin-1 names');
    hg.second = (await runOk('hg', ['-R', hw, 'log', '-r', '.', '-T', '{node}'], { env: alice.env })).stdout;
    await expectOk(alice.hg(['-R', hw, 'push', alice.sshUrl('names/hgrepo')], latin1Env), 'hg push');

    const gw = join(tempDir('ferry-names-git-'), 'w');
    const g = (args: string[], input?: Buffer): Promise<{ stdout: string }> => runOk('git', ['-C', gw, ...args], { env: alice.env, ...(input ? { input } : {}) });
    await expectOk(alice.git(['init', '-q', '-b', 'main', gw]));
    writeFileSync(join(gw, 'first.txt'), 'first\n');
    await g(['add', '-A']);
    await g(['commit', '-q', '-m', 'first']);
    git.first = (await g(['rev-parse', 'HEAD'])).stdout.trim();
    writeTree(gw);
    await g(['add', '-A']);
    const msgFile = join(tempDir('ferry-names-msg-'), 'msg');
    writeFileSync(msgFile, Buffer.from('caf\xe9 in Latin-1 bytes\n', 'latin1'));
    await g(['-c', 'i18n.commitEncoding=UTF-8', 'commit', '-q', '-F', msgFile]);
    git.second = (await g(['rev-parse', 'HEAD'])).stdout.trim();
    // A commit whose author is Latin-1 bytes, on a branch whose name is Latin-1 bytes.
    const tree = (await g(['rev-parse', 'HEAD^{tree}'])).stdout.trim();
    const raw = Buffer.from(`tree ${tree}\nparent ${git.second}\nauthor Jos\xe9 <jose@test> 1700000000 +0000\ncommitter Jos\xe9 <jose@test> 1700000000 +0000\n\nbranch caf\xe9 by Jos\xe9\n`, 'latin1');
    git.odd = (await g(['hash-object', '-t', 'commit', '-w', '--stdin'], raw)).stdout.trim();
    await g(['update-ref', '--stdin'], Buffer.from(`update refs/heads/caf\xe9 ${git.odd}\n`, 'latin1'));
    await expectOk(alice.git(['-C', gw, 'push', '-q', '--all', alice.sshUrl('names/gitrepo')]), 'git push --all');
  });

  after(async () => {
    // Closed first: a failed assertion here must not leave Chromium and the server running (the run would hang).
    await browser?.close();
    await server?.stop();
    assert.doesNotMatch(server?.output() ?? '', /failed|"level":50/, 'the server logged no failure');
  });

  const repos = () =>
    [
      { path: 'names/hgrepo', ref: 'default', first: hg.first, second: hg.second },
      { path: 'names/gitrepo', ref: 'main', first: git.first, second: git.second },
    ] as const;

  it('the tree lists the names with U+FFFD and its links reach the files', async () => {
    for (const r of repos()) {
      const base = `${server.baseUrl}/${r.path}`;
      const tree = await ok200(`${base}/-/files/${r.ref}/`);
      const text = tree.body.toString('utf8');
      assert.ok(text.includes(SHOWN), `${r.path}: the tree shows ${SHOWN}`);
      assert.ok(!text.includes('a<b>"c'), `${r.path}: a name never reaches the HTML unescaped`);
      const fileLink = hrefs(tree.body).find((h) => h.endsWith(`/${LATIN1_URL}`));
      assert.ok(fileLink, `${r.path}: a link percent-encodes the bytes: ${hrefs(tree.body).join(' ')}`);
      const file = await ok200(`${server.baseUrl}${fileLink}`);
      assert.ok(file.body.toString('utf8').includes('latin-1 name'), `${r.path}: following the link shows the file`);
      const dirLink = hrefs(tree.body).find((h) => h.endsWith(`/${DIR_URL}`));
      assert.ok(dirLink, `${r.path}: the directory's link`);
      const dir = await ok200(`${server.baseUrl}${dirLink}`);
      const innerLink = hrefs(dir.body).find((h) => h.endsWith(`/${DIR_URL}/inner.txt`));
      assert.ok(innerLink, `${r.path}: the directory lists inner.txt`);
      assert.ok((await ok200(`${server.baseUrl}${innerLink}`)).body.toString('utf8').includes('inner file'));
      const htmlish = hrefs(tree.body).find((h) => h.endsWith(`/${encodeURIComponent(HTMLISH)}`));
      assert.ok(htmlish, `${r.path}: the html-ish name's link`);
      assert.ok((await ok200(`${server.baseUrl}${htmlish}`)).body.toString('utf8').includes('html-ish name'));
    }
  });

  it('raw serves the bytes at the percent-encoded path, with an RFC 6266 Content-Disposition', async () => {
    for (const r of repos()) {
      const raw = await ok200(`${server.baseUrl}/${r.path}/-/raw/${r.ref}/${LATIN1_URL}`);
      assert.equal(raw.body.toString('utf8'), 'latin-1 name\n');
      const disposition = /^content-disposition: (.*)\r$/im.exec(raw.headers)?.[1] ?? '';
      assert.match(disposition, /^inline; filename="caf_\.txt"; filename\*=UTF-8''caf%EF%BF%BD\.txt$/, `${r.path}: ${disposition}`);
      const odd = await ok200(`${server.baseUrl}/${r.path}/-/raw/${r.ref}/${encodeURIComponent(HTMLISH)}`);
      const oddDisposition = /^content-disposition: (.*)\r$/im.exec(odd.headers)?.[1] ?? '';
      assert.match(oddDisposition, /^inline; filename="a<b>_c'&\.txt"; filename\*=UTF-8''a%3Cb%3E%22c%27&\.txt$/, `${r.path}: ${oddDisposition}`);
    }
  });

  it('commit, diff, history, blame, compare, log, feed, branches and archives answer 200', async () => {
    for (const r of repos()) {
      const base = `${server.baseUrl}/${r.path}`;
      const commit = await ok200(`${base}/-/commit/${r.second}`);
      assert.ok(commit.body.toString('utf8').includes(SHOWN), `${r.path}: the commit names the file`);
      const fromCommit = hrefs(commit.body).find((h) => h.includes(`/-/files/`) && h.endsWith(`/${LATIN1_URL}`));
      assert.ok(fromCommit, `${r.path}: the commit links the file: ${hrefs(commit.body).join(' ')}`);
      assert.ok((await ok200(`${server.baseUrl}${fromCommit}`)).body.toString('utf8').includes('latin-1 name'));
      const oneFile = await ok200(`${base}/-/commit/${r.second}?file=${LATIN1_URL}`);
      assert.ok(oneFile.body.toString('utf8').includes('latin-1 name'), `${r.path}: ?file= with the bytes shows the file's diff`);
      const diff = await ok200(`${base}/-/commit/${r.second}.diff`);
      assert.ok(diff.body.includes(LATIN1) || diff.body.includes(Buffer.from('caf\\351.txt')), `${r.path}: the raw diff holds the name`);
      const history = await ok200(`${base}/-/history/${r.ref}/${LATIN1_URL}`);
      assert.ok(history.body.toString('utf8').includes(r.second.slice(0, 12)), `${r.path}: the file's history lists its commit`);
      const blame = await ok200(`${base}/-/blame/${r.ref}/${LATIN1_URL}`);
      assert.ok(blame.body.toString('utf8').includes('latin-1 name'), `${r.path}: blame shows the line`);
      const compare = await ok200(`${base}/-/compare/${r.first}...${r.second}`);
      assert.ok(compare.body.toString('utf8').includes(SHOWN));
      await ok200(`${base}/-/compare/${r.first}...${r.second}.diff`);
      for (const page of ['', '/-/log', '/-/atom', '/-/branches', '/-/tags', `/-/files/${r.ref}/${DIR_URL}/inner.txt`, `/-/log/${r.ref}/${LATIN1_URL}`]) {
        const f = await curl(`${base}${page}`);
        assert.ok(f.status === 200 || f.status === 303, `${r.path}${page}: ${f.status}`);
      }
      for (const suffix of ['.tar.gz', '.zip']) {
        const archive = await ok200(`${base}/-/archive/${r.ref}${suffix}`);
        const file = join(tempDir('ferry-names-archive-'), `a${suffix}`);
        writeFileSync(file, archive.body);
        const list = await run(suffix === '.zip' ? 'unzip' : 'tar', suffix === '.zip' ? ['-Z1', file] : ['tzf', file]);
        assert.equal(list.code, 0, `${r.path}${suffix}: ${list.stderr}`);
      }
    }
  });

  it('the CDN and the REST API serve the file at its percent-encoded byte path', async () => {
    for (const r of repos()) {
      const cdn = await ok200(`${server.baseUrl}/cdn/${r.path}@${r.ref}/${LATIN1_URL}`);
      assert.equal(cdn.body.toString('utf8'), 'latin-1 name\n');
      assert.equal((await ok200(`${server.baseUrl}/cdn/${r.path}@${r.ref}/${DIR_URL}/inner.txt`)).body.toString('utf8'), 'inner file\n');
      const listing0 = (await ok200(`${server.baseUrl}/cdn/${r.path}@${r.ref}/`)).body.toString('utf8');
      assert.ok(listing0.includes(SHOWN) && !/\\ud[c-f]/i.test(listing0), `${r.path}: the CDN listing shows U+FFFD: ${listing0}`);
      const [owner, name] = r.path.split('/') as [string, string];
      const api = `${server.baseUrl}/api/v1/repos/${owner}/${name}`;
      const listing = JSON.parse((await ok200(`${api}/contents?ref=${r.ref}`)).body.toString('utf8')) as { name: string; html_url: string; url: string }[];
      const entry = listing.find((e) => e.name === SHOWN);
      assert.ok(entry, `${r.path}: the API lists ${SHOWN}: ${listing.map((e) => e.name).join(', ')}`);
      assert.ok(entry.html_url.endsWith(`/${LATIN1_URL}`), entry.html_url);
      const one = JSON.parse((await ok200(entry.url)).body.toString('utf8')) as { content: string };
      assert.equal(Buffer.from(one.content, 'base64').toString('utf8'), 'latin-1 name\n');
      assert.equal((await ok200(`${api}/raw/${LATIN1_URL}?ref=${r.ref}`)).body.toString('utf8'), 'latin-1 name\n');
      await ok200(`${api}/commits`);
      await ok200(`${api}/git/commits/${r.second}`);
      await ok200(`${api}/branches`);
    }
  });

  it('ferry publish writes the files under their own bytes', async () => {
    for (const r of repos()) {
      const out = join(tempDir('ferry-names-publish-'), 'site');
      await server.cliOk(['publish', r.path, '--dir', out]);
      assert.equal(readFileSync(Buffer.concat([Buffer.from(`${out}/`), LATIN1])).toString('utf8'), 'latin-1 name\n', `${r.path}: published under its Latin-1 name`);
      assert.equal(readFileSync(Buffer.concat([Buffer.from(`${out}/`), DIR, Buffer.from('/inner.txt')])).toString('utf8'), 'inner file\n');
    }
  });

  it('git: a branch and an author in Latin-1 bytes', async () => {
    const base = `${server.baseUrl}/names/gitrepo`;
    const branches = await ok200(`${base}/-/branches`);
    assert.ok(branches.body.toString('utf8').includes('caf\ufffd'), 'the branch shows with U+FFFD');
    const link = hrefs(branches.body).find((h) => h.endsWith('/-/files/caf%E9'));
    assert.ok(link, `the branch's link percent-encodes its bytes: ${hrefs(branches.body).join(' ')}`);
    await ok200(`${server.baseUrl}${link}`);
    assert.equal((await ok200(`${base}/-/raw/caf%E9/${LATIN1_URL}`)).body.toString('utf8'), 'latin-1 name\n');
    assert.equal((await ok200(`${server.baseUrl}/cdn/names/gitrepo@caf%E9/${LATIN1_URL}`)).body.toString('utf8'), 'latin-1 name\n');
    const commit = await ok200(`${base}/-/commit/${git.odd}`);
    assert.ok(commit.body.toString('utf8').includes('Jos\ufffd'), 'the author shows with U+FFFD');
    const log = await ok200(`${base}/-/log?ref=caf%E9`);
    assert.ok(log.body.toString('utf8').includes(git.odd.slice(0, 12)), "the branch's log lists its commit");
    assert.ok(hrefs(log.body).some((h) => h.endsWith('/-/atom?branch=caf%E9')), "the branch's feed link keeps its bytes");
    await ok200(`${server.baseUrl}/api/v1/repos/names/gitrepo/branches/caf%E9`);
  });

  it('Chromium follows the tree link to a Latin-1 named file', async () => {
    browser = await launchChromium();
    const page = await browser.newPage();
    for (const r of repos()) {
      const response = await page.goto(`${server.baseUrl}/${r.path}/-/files/${r.ref}/`);
      assert.equal(response?.status(), 200);
      await Promise.all([page.waitForURL(`**/${LATIN1_URL}`), page.getByRole('link', { name: SHOWN, exact: true }).click()]);
      assert.ok((await page.content()).includes('latin-1 name'), `${r.path}: the browser reached the file`);
    }
    await page.close();
  });
});
