/**
 * The CDN as its users met it (issue 12, items 11–14 and 16): each test drives real clients (git
 * over SSH, curl, fetch, Chromium from another origin) against `ferry serve` with CDN workers.
 */
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launchChromium } from './browser.js';
import { addUser, runOk, startFerry, tempDir, type Client, type FerryServer, waitForCdnWorkers } from './harness.js';

/** The CDN worker processes of a `ferry serve` (its children running worker-main). */
function workerPids(pid: number): number[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return children.filter((child) => readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('worker-main'));
}

function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

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
    await waitForCdnWorkers(ferry);
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

  it('item 16: nothing grows per push in the CDN workers (no exit listener, no file descriptor per push)', async () => {
    const big = `${'/* a file large enough for a memfd */\n'.repeat(1000)}`;
    const round = async (i: number) => {
      writeFileSync(join(work, 'counter.txt'), `${i}\n`);
      writeFileSync(join(work, 'big.js'), `${big}// ${i}\n`);
      await commitAndPush(`push ${i}`);
      for (let n = 0; n < 3; n++) {
        assert.equal(await (await fetch(`${base}/counter.txt`)).text(), `${i}\n`);
        assert.equal(await (await fetch(`${base}/big.js`)).text(), `${big}// ${i}\n`);
      }
    };
    for (let i = 0; i < 3; i++) await round(i);
    const workers = workerPids(ferry.process.pid ?? 0);
    assert.equal(workers.length, 2);
    const fdsBefore = workers.map(fdCount);
    for (let i = 3; i < 17; i++) await round(i);
    const fdsAfter = workers.map(fdCount);
    for (const [i, before] of fdsBefore.entries()) assert.ok((fdsAfter[i] ?? 0) <= before + 4, `worker ${i}: ${before} fds before 14 pushes, ${fdsAfter[i]} after`);
    assert.doesNotMatch(ferry.output(), /MaxListenersExceededWarning|memory leak detected/);
  });
});

/** Bytes that do not compress (what the budget must bound is what is held, compressed forms included). */
function noise(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('CDN under real traffic (issue 14)', () => {
  let ferry: FerryServer;
  let alice: Client;
  let work: string;
  let token: string;
  const FILES = 24;
  const SIZE = 256 * 1024;

  async function push(repo: string, message: string): Promise<void> {
    await alice.git(['-C', work, 'add', '-A']);
    await alice.git(['-C', work, 'commit', '-q', '--allow-empty', '-m', message]);
    const r = await alice.git(['-C', work, 'push', '-q', `ssh://git@127.0.0.1:${ferry.sshPort}/${repo}`, 'main']);
    assert.equal(r.code, 0, r.stderr);
  }

  before(async () => {
    // 2 MB for both workers: a tree of 6 MB cannot be held, only served.
    ferry = await startFerry({ toml: '[cdn]\nworkers = 2\nmemory = "2MB"\nmax_file_size = "1MB"\n', env: { FERRY_LOG_LEVEL: 'info' } });
    await waitForCdnWorkers(ferry);
    alice = await addUser(ferry, 'alice', { admin: true });
    token = (await ferry.cliOk(['token', 'add', 'alice', '--read-only'])).stdout.trim().split(/\s+/).pop() as string;
    await ferry.cliOk(['repo', 'create', 'big/tree', '--git', '--public']);
    await ferry.cliOk(['repo', 'create', 'big/private', '--git']);
    work = join(tempDir('ferry-cdn-big-'), 'w');
    assert.equal((await alice.git(['init', '-q', '-b', 'main', work])).code, 0);
    mkdirSync(join(work, 'blobs'));
    for (let i = 0; i < FILES; i++) writeFileSync(join(work, 'blobs', `b${i}.bin`), noise(SIZE, i));
    writeFileSync(join(work, 'small.txt'), 'fifteen bytes.\n');
    writeFileSync(join(work, 'huge.bin'), noise(1_100_000, 99));
    writeFileSync(join(work, 'app.js'), `export const v = 1;\n${'// pad\n'.repeat(300)}`);
    await push('big/tree', 'a tree bigger than the budget');
    await push('big/private', 'the same, private');
  });
  after(() => ferry?.stop());

  it('serves every file of a repo bigger than the memory budget; only a file over max_file_size is refused, with 403', async () => {
    const small = await fetch(`${ferry.baseUrl}/cdn/big/tree@main/small.txt`);
    assert.equal(small.status, 200, 'a 15-byte file of an over-budget tree');
    assert.equal(await small.text(), 'fifteen bytes.\n');
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < FILES; i++) {
        const res = await fetch(`${ferry.baseUrl}/cdn/big/tree@main/blobs/b${i}.bin`);
        assert.equal(res.status, 200, `b${i}.bin`);
        assert.ok(Buffer.from(await res.arrayBuffer()).equals(noise(SIZE, i)), `b${i}.bin has its bytes (round ${round})`);
      }
    }
    const huge = await fetch(`${ferry.baseUrl}/cdn/big/tree@main/huge.bin`);
    assert.equal(huge.status, 403);
    assert.match(await huge.text(), /huge\.bin is 1100000 bytes, over the CDN's limit of 1000000 bytes \(\[cdn\] max_file_size\); clone the repository/);
    const listing = (await (await fetch(`${ferry.baseUrl}/cdn/big/tree@main/`)).json()) as { entries: { name: string; size: number }[] };
    assert.deepEqual(
      listing.entries.map((e) => [e.name, e.size]),
      [
        ['app.js', Buffer.byteLength(`export const v = 1;\n${'// pad\n'.repeat(300)}`)],
        ['blobs', FILES * SIZE],
        ['huge.bin', 1_100_000],
        ['small.txt', 15],
      ],
    );
  });

  it('serves cookie-bearing and credentialed browser requests right, checking the credentials every time', async () => {
    const url = `${ferry.baseUrl}/cdn/big/tree@main/app.js`;
    const auth = `Basic ${Buffer.from(`alice:${token}`).toString('base64')}`;
    for (let i = 0; i < 6; i++) {
      const headers: Record<string, string> = { 'User-Agent': `Browser/${i}`, Referer: `http://site.test/${i}`, Cookie: `ferry_session=x${i}; theme=dark`, 'Sec-Fetch-Mode': 'no-cors' };
      const withCookie = await fetch(url, { headers });
      assert.equal(withCookie.status, 200);
      assert.match(await withCookie.text(), /^export const v = 1;/);
      const signedIn = await fetch(url, { headers: { ...headers, Authorization: auth } });
      assert.equal(signedIn.status, 200);
      assert.match(await signedIn.text(), /^export const v = 1;/);
      const wrong = await fetch(url, { headers: { ...headers, Authorization: 'Basic YWxpY2U6d3Jvbmc=' } });
      assert.equal(wrong.status, 401, 'wrong credentials are refused though the file is public and its answer reused');
      await wrong.arrayBuffer();
    }
    // A private file answered to its reader is never handed to anyone else.
    const priv = `${ferry.baseUrl}/cdn/big/private@main/small.txt`;
    for (let i = 0; i < 3; i++) {
      const mine = await fetch(priv, { headers: { Authorization: auth } });
      assert.equal(mine.status, 200);
      assert.equal(mine.headers.get('cache-control'), 'private, max-age=10, must-revalidate');
      await mine.arrayBuffer();
      const anonymous = await fetch(priv, { headers: { Cookie: 'ferry_session=x' } });
      assert.equal(anonymous.status, 401);
      await anonymous.arrayBuffer();
    }
  });

  it('a push invalidates reused answers whatever headers asked for them', async () => {
    const url = `${ferry.baseUrl}/cdn/big/tree@main/small.txt`;
    const variants: Record<string, string>[] = [{}, { 'Accept-Encoding': 'gzip, deflate, br, zstd', 'User-Agent': 'A' }, { 'Accept-Encoding': 'identity', Cookie: 'a=b' }];
    for (const headers of variants) for (let i = 0; i < 3; i++) assert.equal(await (await fetch(url, { headers })).text(), 'fifteen bytes.\n');
    writeFileSync(join(work, 'small.txt'), 'changed.\n');
    await push('big/tree', 'change small.txt');
    for (const headers of variants) assert.equal(await (await fetch(url, { headers: { ...headers, Referer: 'http://after.test/' } })).text(), 'changed.\n');
  });
});
