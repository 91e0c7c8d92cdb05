/**
 * The CDN as its users met it (issue 12, items 11–14 and 16): each test drives real clients (git
 * over SSH, curl, fetch, Chromium from another origin) against `ferry serve` with CDN workers.
 */
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { launchChromium } from './browser.js';
import { addUser, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

/** The same bytes, over 1 KB (worth compressing), under names of different types. */
const SHARED_TEXT = `${'body { color: red }\n'.repeat(100)}`;
const CRLF_TEXT = 'line one\nline two\n';
const SUBST_TEXT = 'commit: $Format:%H$\n';

describe('CDN field reports (issue 12)', () => {
  let ferry: FerryServer;
  let alice: Client;
  let work: string;
  let base: string;
  const git = (args: string[]) => alice.git(args);

  async function commitAndPush(message: string): Promise<void> {
    await git(['-C', work, 'add', '-A']);
    await git(['-C', work, 'commit', '-q', '--allow-empty', '-m', message]);
    const push = await git(['-C', work, 'push', '-q', `ssh://git@127.0.0.1:${ferry.sshPort}/team/img`, 'main']);
    assert.equal(push.code, 0, push.stderr);
  }

  before(async () => {
    ferry = await startFerry({ toml: '[cdn]\nworkers = 2\n', env: { FERRY_LOG_LEVEL: 'info' } });
    for (let i = 0; i < 100 && !ferry.output().includes('cdn workers ready'); i++) await sleep(100);
    assert.match(ferry.output(), /cdn workers ready/);
    alice = await addUser(ferry, 'alice', { admin: true });
    await ferry.cliOk(['repo', 'create', 'team/img', '--git', '--public']);
    work = join(tempDir('ferry-cdn-field-'), 'w');
    assert.equal((await git(['init', '-q', '-b', 'main', work])).code, 0);
    for (const name of ['empty.css', 'empty.js', 'empty.txt', 'empty.json', 'empty.svg', 'EMPTY']) writeFileSync(join(work, name), '');
    for (const name of ['same.css', 'same.txt', 'same.js']) writeFileSync(join(work, name), SHARED_TEXT);
    mkdirSync(join(work, 'img', 'set@2x'), { recursive: true });
    writeFileSync(join(work, 'img', 'x@2x.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]));
    writeFileSync(join(work, 'img', 'set@2x', 'a.txt'), 'in a directory with @\n');
    writeFileSync(join(work, '.gitattributes'), 'crlf.txt text eol=crlf\nsubst.txt export-subst\nignored.txt export-ignore\n');
    writeFileSync(join(work, 'crlf.txt'), CRLF_TEXT);
    writeFileSync(join(work, 'subst.txt'), SUBST_TEXT);
    writeFileSync(join(work, 'ignored.txt'), 'export-ignore must not hide me\n');
    await commitAndPush('field reports');
    base = `${ferry.baseUrl}/cdn/team/img@main`;
  });
  after(() => ferry?.stop());

  it('item 11: serves each file with its own name’s type, though other files have the same bytes', async () => {
    const expected: Record<string, string> = {
      'empty.css': 'text/css; charset=utf-8',
      'empty.js': 'text/javascript; charset=utf-8',
      'empty.txt': 'text/plain; charset=utf-8',
      'empty.json': 'application/json; charset=utf-8',
      'empty.svg': 'image/svg+xml; charset=utf-8',
      EMPTY: 'text/plain; charset=utf-8',
      'same.css': 'text/css; charset=utf-8',
      'same.txt': 'text/plain; charset=utf-8',
      'same.js': 'text/javascript; charset=utf-8',
    };
    // Each order, several times (the workers' reused answers), plain and compressed, HEAD and GET.
    for (const names of [Object.keys(expected), Object.keys(expected).reverse()]) {
      for (let round = 0; round < 3; round++) {
        for (const name of names) {
          for (const encoding of ['identity', 'gzip', 'br']) {
            const res = await fetch(`${base}/${name}`, { headers: { 'Accept-Encoding': encoding } });
            assert.equal(res.status, 200, name);
            assert.equal(res.headers.get('content-type'), expected[name], `${name} (${encoding})`);
            assert.equal(res.headers.get('content-security-policy'), name.endsWith('.svg') ? 'sandbox' : null, name);
            assert.equal(await res.text(), name.startsWith('same') ? SHARED_TEXT : '');
          }
        }
      }
    }
    const curl = await runOk('curl', ['-sS', '--compressed', '-D', '-', '-o', '/dev/null', `${base}/same.css`, `${base}/same.txt`, `${base}/same.css`]);
    const types = [...curl.stdout.matchAll(/^content-type: (.*)\r$/gim)].map((m) => m[1]);
    assert.deepEqual(types, ['text/css; charset=utf-8', 'text/plain; charset=utf-8', 'text/css; charset=utf-8']);
  });

  it('item 12: an @ in a file or directory name works without @REF, and with one', async () => {
    for (const path of ['team/img/img/x@2x.png', 'team/img@main/img/x@2x.png', 'team/img/img/x%402x.png']) {
      const res = await fetch(`${ferry.baseUrl}/cdn/${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), 'image/png', path);
      assert.equal(Buffer.from(await res.arrayBuffer())[1], 0x50);
    }
    for (const path of ['team/img/img/set@2x/a.txt', 'team/img@main/img/set@2x/a.txt']) {
      const res = await fetch(`${ferry.baseUrl}/cdn/${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(await res.text(), 'in a directory with @\n');
    }
    const listing = await fetch(`${ferry.baseUrl}/cdn/team/img/img/set@2x/`);
    assert.equal(listing.status, 200);
    assert.deepEqual(((await listing.json()) as { entries: { name: string }[] }).entries.map((e) => e.name), ['a.txt']);
    const missing = await fetch(`${ferry.baseUrl}/cdn/team/img/img/y@2x.png`);
    assert.equal(missing.status, 404, 'a missing file with @ is a 404, not a sign-in challenge');
  });

  it('item 13: every answer of a public repo is readable from another origin in Chromium, preflights included', async () => {
    // The page comes from a second local server: another origin than Ferry's.
    const site: Server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<title>other origin</title>');
    });
    site.listen(0, '127.0.0.1');
    await once(site, 'listening');
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`);
      const seen = await page.evaluate(async (cdn) => {
        const show = async (p: Promise<Response>) =>
          p.then(
            async (r) => ({ status: r.status, ranges: r.headers.get('accept-ranges'), etag: r.headers.get('etag'), commit: r.headers.get('x-ferry-commit'), text: await r.text() }),
            (e: unknown) => ({ status: -1, ranges: null, etag: null, commit: null, text: String(e) }),
          );
        const ok = await show(fetch(`${cdn}/team/img@main/same.txt`));
        return {
          ok,
          missingFile: await show(fetch(`${cdn}/team/img@main/nope.css`)),
          missingRef: await show(fetch(`${cdn}/team/img@nope/same.txt`)),
          missingRepo: await show(fetch(`${cdn}/team/nothing@main/x.js`)),
          badPath: await show(fetch(`${cdn}/team/img@main/a%5Cb`)),
          // Headers a page sets itself make Chromium send a preflight (OPTIONS) first.
          preflighted: await show(fetch(`${cdn}/team/img@main/same.txt`, { headers: { 'X-Requested-With': 'fetch', 'Cache-Control': 'no-cache' } })),
          revalidated: await show(fetch(`${cdn}/team/img@main/same.txt`, { headers: { 'If-None-Match': ok.etag ?? '' }, cache: 'no-store' })),
          ranged: await show(fetch(`${cdn}/team/img@main/same.txt`, { headers: { Range: 'bytes=0-3' } })),
          post: await show(fetch(`${cdn}/team/img@main/same.txt`, { method: 'POST', body: 'x' })),
        };
      }, `${ferry.baseUrl}/cdn`);
      assert.equal(seen.ok.status, 200);
      assert.equal(seen.ok.text, SHARED_TEXT);
      assert.equal(seen.ok.ranges, 'bytes', 'Accept-Ranges is exposed to scripts');
      assert.match(seen.ok.etag ?? '', /^"[0-9a-f]{40}(-br|-gz)?"$/, 'ETag is exposed to scripts');
      assert.match(seen.ok.commit ?? '', /^[0-9a-f]{40}$/);
      assert.equal(seen.missingFile.status, 404);
      assert.match(seen.missingFile.text, /no file nope\.css/);
      assert.equal(seen.missingRef.status, 404);
      assert.ok([401, 404].includes(seen.missingRepo.status), `a missing repo: ${seen.missingRepo.status}`);
      assert.equal(seen.badPath.status, 400);
      assert.equal(seen.preflighted.status, 200);
      assert.equal(seen.preflighted.text, SHARED_TEXT);
      assert.equal(seen.revalidated.status, 304);
      assert.equal(seen.ranged.status, 206);
      assert.equal(seen.ranged.text, 'body');
      assert.equal(seen.post.status, 405);
    } finally {
      await browser.close();
      site.close();
    }
    const preflight = await fetch(`${base}/nope.txt`, { method: 'OPTIONS', headers: { Origin: 'http://example.test', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'x-requested-with, range' } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'x-requested-with, range');
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /GET/);
  });

  it('item 14: serves the committed bytes, whatever .gitattributes says (eol, export-subst, export-ignore)', async () => {
    const expected: Record<string, string> = { 'crlf.txt': CRLF_TEXT, 'subst.txt': SUBST_TEXT, 'ignored.txt': 'export-ignore must not hide me\n' };
    for (const [name, text] of Object.entries(expected)) {
      const res = await fetch(`${base}/${name}`);
      assert.equal(res.status, 200, name);
      assert.equal(await res.text(), text, name);
      const raw = await fetch(`${ferry.baseUrl}/team/img/-/raw/main/${name}`);
      assert.equal(await raw.text(), text, `the raw view agrees for ${name}`);
    }
    // `ferry publish` writes the same bytes.
    const dir = join(tempDir('ferry-cdn-field-publish-'), 'site');
    await ferry.cliOk(['publish', 'team/img', '--dir', dir]);
    for (const [name, text] of Object.entries(expected)) assert.equal(readFileSync(join(dir, name), 'utf8'), text, `published ${name}`);
  });

  it('item 16: nothing grows per push in the CDN workers (no exit listener per push)', async () => {
    for (let i = 0; i < 14; i++) {
      writeFileSync(join(work, 'counter.txt'), `${i}\n`);
      await commitAndPush(`push ${i}`);
      assert.equal(await (await fetch(`${base}/counter.txt`)).text(), `${i}\n`);
    }
    assert.doesNotMatch(ferry.output(), /MaxListenersExceededWarning|memory leak detected/);
  });
});
