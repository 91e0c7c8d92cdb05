import { strict as assert } from 'node:assert';
import { request } from 'node:http';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { runOk, startFerry, tempDir, type FerryServer, PLAIN_GIT_ENV } from './harness.js';

const GIT_ENV = PLAIN_GIT_ENV;
const HG_ENV = { ...process.env, HGRCPATH: '/dev/null', HGPLAIN: '1', HGUSER: 't <t@test>' };

const git = (args: string[], cwd: string) => runOk('git', args, { cwd, env: GIT_ENV });
const hg = (args: string[], cwd: string) => runOk('hg', args, { cwd, env: HG_ENV });

/** A raw request (no client-side path normalisation, unlike fetch and curl). */
function raw(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const APP_JS = `export const answer = 42;\n${'// padding that compresses well\n'.repeat(400)}`;
const BIG = Buffer.alloc(300_000, 7);
const PAGE = "<title>untouched</title><script>document.title = 'script ran'</script>\n";

describe('CDN: /cdn/PATH@REF/FILE', () => {
  let ferry: FerryServer;
  let port: number;
  const commits: Record<string, string> = {};

  before(async () => {
    ferry = await startFerry({ toml: '[cdn]\nmax_file_size = "200KB"\ntrusted = "site/trusted"\n', env: { FERRY_LOG_LEVEL: 'info' } });
    port = ferry.httpPort;
    await ferry.cliOk(['repo', 'create', 'team/web/app', '--git', '--public']);
    await ferry.cliOk(['repo', 'create', 'site/trusted', '--git', '--public']);
    await ferry.cliOk(['repo', 'create', 'libs/hgpkg', '--public']);
    await ferry.cliOk(['repo', 'create', 'secret/plans', '--git']);

    const work = join(tempDir('ferry-cdn-work-'), 'app');
    mkdirSync(join(work, 'dist', 'deep', 'er'), { recursive: true });
    await git(['init', '-q', '-b', 'main', work], work);
    writeFileSync(join(work, 'dist', 'app.js'), APP_JS);
    writeFileSync(join(work, 'dist', 'deep', 'er', 'x.txt'), 'deep\n');
    mkdirSync(join(work, 'dist', '@scope'));
    writeFileSync(join(work, 'dist', '@scope', 'pkg.js'), 'scoped\n');
    writeFileSync(join(work, 'index.html'), PAGE);
    writeFileSync(join(work, 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>\n');
    writeFileSync(join(work, '.gitignore'), 'node_modules\n');
    writeFileSync(join(work, 'big.bin'), BIG);
    symlinkSync('../../../../etc/passwd', join(work, 'escape'));
    await git(['add', '-A'], work);
    await git(['commit', '-q', '-m', 'v1.2.3'], work);
    await git(['tag', 'v1.2.3'], work);
    commits.v123 = (await git(['rev-parse', 'HEAD'], work)).stdout.trim();
    writeFileSync(join(work, 'dist', 'version.txt'), '1.4.0\n');
    await git(['add', '-A'], work);
    await git(['commit', '-q', '-m', 'v1.4.0'], work);
    await git(['tag', '-a', '-m', 'annotated', 'v1.4.0'], work);
    commits.v140 = (await git(['rev-parse', 'HEAD'], work)).stdout.trim();
    writeFileSync(join(work, 'dist', 'version.txt'), '2.0.0-rc.1\n');
    await git(['commit', '-q', '-am', 'rc'], work);
    await git(['tag', '2.0.0-rc.1'], work);
    commits.rc = (await git(['rev-parse', 'HEAD'], work)).stdout.trim();
    await git(['checkout', '-q', '-b', 'feature/x', 'v1.2.3'], work);
    writeFileSync(join(work, 'dist', 'version.txt'), 'feature\n');
    await git(['add', '-A'], work);
    await git(['commit', '-q', '-m', 'feature'], work);
    commits.feature = (await git(['rev-parse', 'HEAD'], work)).stdout.trim();
    await git(['push', '-q', join(ferry.dataDir, 'repos', 'team', 'web', 'app'), 'main', 'feature/x', '--tags'], work);
    await git(['push', '-q', join(ferry.dataDir, 'repos', 'site', 'trusted'), 'main'], work);
    await git(['push', '-q', join(ferry.dataDir, 'repos', 'secret', 'plans'), 'main'], work);

    const hgWork = join(tempDir('ferry-cdn-hg-'), 'pkg');
    await hg(['init', hgWork], hgWork.replace(/\/pkg$/, ''));
    writeFileSync(join(hgWork, 'lib.js'), 'default 1\n');
    writeFileSync(join(hgWork, '.hgignore'), 'syntax: glob\n*.o\n');
    await hg(['add', '-q'], hgWork);
    await hg(['commit', '-q', '-m', 'one'], hgWork);
    await hg(['tag', '1.0.0'], hgWork);
    await hg(['branch', '-q', 'stable'], hgWork);
    writeFileSync(join(hgWork, 'lib.js'), 'stable\n');
    await hg(['commit', '-q', '-m', 'stable'], hgWork);
    await hg(['bookmark', 'marked'], hgWork);
    await hg(['update', '-q', 'default'], hgWork);
    writeFileSync(join(hgWork, 'lib.js'), 'default 2\n');
    await hg(['commit', '-q', '-m', 'two'], hgWork);
    commits.hgDefault = (await hg(['log', '-r', '.', '-T', '{node}'], hgWork)).stdout.trim();
    await hg(['push', '-q', '--new-branch', '-r', 'default', '-r', 'stable', '-B', 'marked', join(ferry.dataDir, 'repos', 'libs', 'hgpkg')], hgWork);
  });

  after(async () => {
    await ferry?.stop();
  });

  const url = (path: string) => `http://127.0.0.1:${port}/cdn/${path}`;

  it('serves a file of a branch at any nesting depth, with type, commit, CORS and revalidating cache headers', async () => {
    const res = await fetch(url('team/web/app@main/dist/app.js'), { headers: { 'Accept-Encoding': 'identity' } });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), APP_JS);
    assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(res.headers.get('x-ferry-commit'), commits.rc);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.match(res.headers.get('cache-control') ?? '', /^public, max-age=\d+, must-revalidate$/);
    assert.match(res.headers.get('etag') ?? '', /^"[0-9a-f]{40}"$/);

    const deep = await fetch(url('team/web/app@main/dist/deep/er/x.txt'));
    assert.equal(await deep.text(), 'deep\n');
    // No @: the longest prefix that is a repo, on the default branch (git: HEAD's branch).
    const noRef = await fetch(url('team/web/app/dist/deep/er/x.txt'));
    assert.equal(noRef.status, 200);
    assert.equal(noRef.headers.get('x-ferry-commit'), commits.rc);
    // An `@` starting a segment belongs to the file path.
    assert.equal(await (await fetch(url('team/web/app/dist/@scope/pkg.js'))).text(), 'scoped\n');
    assert.equal(await (await fetch(url('team/web/app@main/dist/@scope/pkg.js'))).text(), 'scoped\n');
    // A branch whose name has a slash.
    const feature = await fetch(url('team/web/app@feature/x/dist/version.txt'));
    assert.equal(await feature.text(), 'feature\n');
    assert.equal(feature.headers.get('x-ferry-commit'), commits.feature);
  });

  it('resolves tags, commit ids and semver ranges; exact refs are immutable, ranges revalidate', async () => {
    const cases: [string, string, boolean][] = [
      ['v1.2.3', commits.v123 as string, true],
      ['v1.4.0', commits.v140 as string, true],
      [commits.v123 as string, commits.v123 as string, true],
      [(commits.v140 as string).slice(0, 7), commits.v140 as string, true],
      ['1', commits.v140 as string, false],
      ['1.2', commits.v123 as string, false],
      ['^1.2.0', commits.v140 as string, false],
      ['~1.2.0', commits.v123 as string, false],
      ['latest', commits.v140 as string, false],
      ['2.0.0-rc.1', commits.rc as string, true],
      ['^2.0.0-rc.0', commits.rc as string, false],
    ];
    for (const [ref, commit, immutable] of cases) {
      const res = await fetch(url(`team/web/app@${encodeURIComponent(ref)}/index.html`));
      assert.equal(res.status, 200, ref);
      assert.equal(res.headers.get('x-ferry-commit'), commit, ref);
      assert.equal(res.headers.get('cache-control') === 'public, max-age=31536000, immutable', immutable, ref);
      await res.arrayBuffer();
    }
    const none = await fetch(url('team/web/app@3/index.html'));
    assert.equal(none.status, 404);
    assert.match(await none.text(), /no branch, tag, commit or version matching "3"/);
  });

  it('serves hg repos: default branch, named branch, bookmark, tag', async () => {
    assert.equal(await (await fetch(url('libs/hgpkg/lib.js'))).text(), 'default 2\n');
    const dflt = await fetch(url('libs/hgpkg@default/lib.js'));
    assert.equal(dflt.headers.get('x-ferry-commit'), commits.hgDefault);
    assert.equal(await dflt.text(), 'default 2\n');
    assert.equal(await (await fetch(url('libs/hgpkg@stable/lib.js'))).text(), 'stable\n');
    assert.equal(await (await fetch(url('libs/hgpkg@marked/lib.js'))).text(), 'stable\n');
    assert.equal(await (await fetch(url('libs/hgpkg@1.0.0/lib.js'))).text(), 'default 1\n');
    assert.equal(await (await fetch(url('libs/hgpkg@%5E1/lib.js'))).text(), 'default 1\n');
    for (const hidden of ['.hgignore', '.hgtags', '.hg/hgrc', '.hg/store/00changelog.i']) {
      assert.equal((await fetch(url(`libs/hgpkg@default/${hidden}`))).status, 404, hidden);
    }
    const listing = (await (await fetch(url('libs/hgpkg@default/'))).json()) as { entries: { name: string }[] };
    assert.deepEqual(listing.entries.map((e) => e.name), ['lib.js']);
  });

  it('answers If-None-Match with 304, single ranges with 206, and unsatisfiable ones with 416', async () => {
    const first = await fetch(url('team/web/app@main/dist/app.js'), { headers: { 'Accept-Encoding': 'identity' } });
    const etag = first.headers.get('etag') as string;
    await first.arrayBuffer();
    const again = await raw(port, '/cdn/team/web/app@main/dist/app.js', { 'If-None-Match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    const range = await raw(port, '/cdn/team/web/app@main/dist/app.js', { Range: 'bytes=7-12' });
    assert.equal(range.status, 206);
    assert.equal(range.body.toString(), APP_JS.slice(7, 13));
    assert.equal(range.headers['content-range'], `bytes 7-12/${Buffer.byteLength(APP_JS)}`);
    const suffix = await raw(port, '/cdn/team/web/app@main/dist/app.js', { Range: 'bytes=-5' });
    assert.equal(suffix.body.toString(), APP_JS.slice(-5));
    const backwards = await raw(port, '/cdn/team/web/app@main/dist/app.js', { Range: 'bytes=9-3' });
    assert.equal(backwards.status, 200, 'an invalid range is ignored');
    const outside = await raw(port, '/cdn/team/web/app@main/dist/app.js', { Range: 'bytes=999999-' });
    assert.equal(outside.status, 416);
    assert.equal(outside.headers['content-range'], `bytes */${Buffer.byteLength(APP_JS)}`);
    const head = await raw(port, '/cdn/team/web/app@main/dist/app.js', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(APP_JS)));
    assert.equal(head.body.length, 0);
  });

  it('serves gzip and brotli forms of text files when smaller, and plain bytes for small files', async () => {
    const gz = await raw(port, '/cdn/team/web/app@main/dist/app.js', { 'Accept-Encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gz.headers.vary, 'Accept-Encoding');
    assert.ok(gz.body.length < Buffer.byteLength(APP_JS) / 5);
    assert.equal(gunzipSync(gz.body).toString(), APP_JS);
    const br = await raw(port, '/cdn/team/web/app@main/dist/app.js', { 'Accept-Encoding': 'gzip, deflate, br' });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(brotliDecompressSync(br.body).toString(), APP_JS);
    assert.notEqual(br.headers.etag, gz.headers.etag);
    const noBr = await raw(port, '/cdn/team/web/app@main/dist/app.js', { 'Accept-Encoding': 'br;q=0, gzip' });
    assert.equal(noBr.headers['content-encoding'], 'gzip');
    const small = await raw(port, '/cdn/team/web/app@main/dist/deep/er/x.txt', { 'Accept-Encoding': 'gzip, br' });
    assert.equal(small.headers['content-encoding'], undefined);
    assert.equal(small.body.toString(), 'deep\n');
  });

  it('lists directories as JSON with names, sizes and hashes, subdirectories included', async () => {
    const res = await fetch(url('team/web/app@v1.2.3/dist/'));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    const body = (await res.json()) as { commit: string; entries: { name: string; type: string; size: number; hash: string }[] };
    assert.equal(body.commit, commits.v123);
    const app = body.entries.find((e) => e.name === 'app.js');
    const deep = body.entries.find((e) => e.name === 'deep');
    assert.equal(app?.type, 'file');
    assert.equal(app?.size, Buffer.byteLength(APP_JS));
    assert.match(app?.hash ?? '', /^[0-9a-f]{40}$/);
    assert.equal(deep?.type, 'dir');
    assert.equal(deep?.size, 5);
    const root = (await (await fetch(url('team/web/app@v1.2.3/'))).json()) as { entries: { name: string }[] };
    assert.deepEqual(root.entries.map((e) => e.name), ['big.bin', 'dist', 'escape', 'index.html', 'logo.svg']);
    const redirect = await raw(port, '/cdn/team/web/app@v1.2.3/dist');
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.location, '/cdn/team/web/app@v1.2.3/dist/');
  });

  it('sandboxes HTML and SVG unless the repo is trusted, and never follows symlinks', async () => {
    for (const f of ['index.html', 'logo.svg']) {
      const res = await fetch(url(`team/web/app@main/${f}`));
      assert.equal(res.headers.get('content-security-policy'), 'sandbox', f);
      await res.arrayBuffer();
    }
    const trusted = await fetch(url('site/trusted@main/index.html'));
    assert.equal(trusted.headers.get('content-security-policy'), null);
    await trusted.arrayBuffer();
    const link = await fetch(url('team/web/app@main/escape'));
    assert.equal(link.status, 200);
    assert.equal(await link.text(), '../../../../etc/passwd');
    assert.equal(link.headers.get('content-type'), 'text/plain; charset=utf-8');
  });

  it('in Chromium: repo HTML runs no script unless the repo is trusted; public files are readable cross-origin', async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const page = await browser.newPage();
      await page.goto(url('team/web/app@main/index.html'));
      assert.equal(await page.title(), 'untouched', 'the sandbox kept the script from running');
      await page.goto(url('site/trusted@main/index.html'));
      assert.equal(await page.title(), 'script ran');
      // From the trusted page's origin (127.0.0.1), read the CDN through another origin (localhost).
      const other = `http://localhost:${port}/cdn`;
      const crossOrigin = await page.evaluate(async (base) => {
        const pub = await fetch(`${base}/team/web/app@main/dist/deep/er/x.txt`).then((r) => r.text(), () => 'blocked');
        const priv = await fetch(`${base}/secret/plans@main/index.html`).then(async (r) => `${r.status} ${await r.text()}`, () => 'blocked');
        return { pub, priv };
      }, other);
      assert.equal(crossOrigin.pub, 'deep\n');
      // A private repo answers a script as a missing one does (readable, so the page sees the
      // status instead of a CORS failure); its content never reaches the script.
      assert.match(crossOrigin.priv, /^401 /);
      assert.doesNotMatch(crossOrigin.priv, /untouched/);
    } finally {
      await browser.close();
    }
  });

  it('refuses .hg*/.git* files, dot-dot, encoded slashes, backslashes and NUL, and files over max_file_size', async () => {
    assert.equal((await raw(port, '/cdn/team/web/app@main/.gitignore')).status, 404);
    for (const bad of [
      '/cdn/team/web/app@main/../../secret/plans@main/index.html',
      '/cdn/team/web/app@main/dist/%2e%2e/index.html',
      '/cdn/team/web/app@main/dist%2Fapp.js',
      '/cdn/team/web/app@main/dist%5capp.js',
      '/cdn/team/web/app@main/dist\\app.js',
      '/cdn/team/web/app@main/dist/app.js%00',
      '/cdn/team/web/app@main//index.html',
    ]) {
      const res = await raw(port, bad);
      assert.equal(res.status, 400, bad);
      assert.match(res.body.toString(), /not allowed|percent-encoded/, bad);
    }
    const big = await raw(port, '/cdn/team/web/app@main/big.bin');
    assert.equal(big.status, 403);
    assert.match(big.body.toString(), /big\.bin is 300000 bytes, over the CDN's limit of 200000 bytes \(\[cdn\] max_file_size\)/);
    assert.equal((await raw(port, '/cdn/team/web/app@main/index.html', {}, 'POST')).status, 405);
  });

  it('asks anonymous callers to sign in for private repos, hides them from users without access, serves them privately with a grant', async () => {
    const anon = await raw(port, '/cdn/secret/plans@main/index.html');
    assert.equal(anon.status, 401);
    assert.match(String(anon.headers['www-authenticate']), /^Basic /);
    await ferry.cliOk(['user', 'add', 'mallory']);
    await ferry.cliOk(['user', 'add', 'carol']);
    await ferry.cliOk(['grant', 'carol', 'secret/', 'read']);
    const token = async (user: string) => (await ferry.cliOk(['token', 'add', user])).stdout.trim().split(/\s+/).pop() as string;
    const basic = (t: string) => ({ Authorization: `Basic ${Buffer.from(`x:${t}`).toString('base64')}` });
    const denied = await raw(port, '/cdn/secret/plans@main/index.html', basic(await token('mallory')));
    assert.equal(denied.status, 404);
    const allowed = await raw(port, '/cdn/secret/plans@main/index.html', basic(await token('carol')));
    assert.equal(allowed.status, 200);
    assert.equal(allowed.body.toString(), PAGE);
    assert.match(String(allowed.headers['cache-control']), /^private/);
    assert.equal(allowed.headers['access-control-allow-origin'], undefined);
    const wrong = await raw(port, '/cdn/team/web/app@main/index.html', basic('not-a-token'));
    assert.equal(wrong.status, 401);
  });
});
