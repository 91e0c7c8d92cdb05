/**
 * Regression tests for issue 11 (items 3, 4, 5, 9, 13, 14) and issue 12 (items 15, 17): what leaks,
 * what a hostile client can still do. One test per bug, named after it.
 */
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium, signIn } from './browser.js';
import { addUser, makeHgRepo, PLAIN_GIT_ENV, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

/** The phase bounds the server runs with here: short, so that tests need not wait minutes. */
const BOUND_S = 2;

interface RawAnswer {
  /** Everything the server sent before it closed (or the test gave up). */
  readonly text: string;
  /** ms from connect until the server closed the connection; undefined if it did not in time. */
  readonly closedAfterMs: number | undefined;
}

/** Sends `parts` on a raw TCP connection, `gapMs` apart, and collects the answer until close or `giveUpMs`. */
function rawHttp(port: number, parts: readonly (string | Buffer)[], options: { gapMs?: number; giveUpMs?: number } = {}): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket: Socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (b: Buffer) => chunks.push(b));
    socket.on('error', () => {});
    const finish = (closedAfterMs: number | undefined) => {
      if (timer) clearTimeout(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closedAfterMs });
    };
    socket.on('close', () => {
      closed = true;
      finish(Date.now() - started);
    });
    const giveUp = setTimeout(() => finish(undefined), options.giveUpMs ?? 15_000);
    let i = 0;
    const next = () => {
      if (closed || i >= parts.length) return;
      socket.write(parts[i++] as string | Buffer);
      timer = setTimeout(next, options.gapMs ?? 0);
    };
    socket.on('connect', next);
  });
}

/** `text` one byte per part. */
function bytewise(text: string): string[] {
  return [...text];
}

/** Resident memory of a process, in bytes (Linux). */
async function rssOf(pid: number): Promise<number> {
  const status = (await runOk('cat', [`/proc/${pid}/status`])).stdout;
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

describe('security: leaks and hostile clients', () => {
  let server: FerryServer;
  let alice: Client;
  let bob: Client;
  let bobToken: string;
  let browser: Browser;
  let mirrorSecret: string;

  before(async () => {
    const seconds = `${BOUND_S}s`;
    server = await startFerry({ env: { FERRY_LIMITS_HEAD_TIMEOUT: seconds, FERRY_LIMITS_BODY_TIMEOUT: seconds, FERRY_LIMITS_SSH_HANDSHAKE_TIMEOUT: seconds } });
    alice = await addUser(server, 'alice', { admin: true });
    bob = await addUser(server, 'bob');
    await server.cliOk(['user', 'passwd', 'bob'], { input: 'bob-password\n' });
    bobToken = (/(ferry_\S+)/.exec((await server.cliOk(['token', 'add', 'bob'])).stdout)?.[1] ?? '') as string;
    assert.ok(bobToken.startsWith('ferry_'));
    await server.cliOk(['repo', 'create', 'team/secret']);
    await server.cliOk(['repo', 'create', 'team/gsecret', '--git']);
    await server.cliOk(['repo', 'create', 'team/pub', '--public']);
    const local = await makeHgRepo(alice, 2);
    await runOk('hg', ['-R', local, 'push', alice.sshUrl('team/pub')], { env: alice.env });
    await runOk('hg', ['-R', local, 'push', '-f', alice.sshUrl('team/secret')], { env: alice.env });
    // A private mirror, for its webhook.
    const source = join(tempDir('ferry-src-'), 'src');
    await runOk('git', ['init', '--quiet', source], { env: PLAIN_GIT_ENV });
    writeFileSync(join(source, 'a.txt'), 'a\n');
    await runOk('git', ['-C', source, 'add', '.'], { env: PLAIN_GIT_ENV });
    await runOk('git', ['-C', source, 'commit', '--quiet', '-m', 'a'], { env: PLAIN_GIT_ENV });
    const imported = await server.cliOk(['import', source, 'team/mirror', '--mirror', '--every', '1h']);
    mirrorSecret = /webhook secret \(shown once; [^)]*\): (\S+)/.exec(imported.stdout)?.[1] ?? '';
    assert.ok(mirrorSecret, imported.stdout);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const basic = (token: string) => ({ Authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` });

  /** A web session cookie for bob, through the real sign-in form. */
  async function bobCookie(): Promise<string> {
    const form = await fetch(`${server.baseUrl}/-/signin`);
    const signinCookie = (form.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    const posted = await fetch(`${server.baseUrl}/-/signin`, {
      method: 'POST',
      redirect: 'manual',
      headers: { Cookie: signinCookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, name: 'bob', password: 'bob-password', next: '/' }).toString(),
    });
    assert.equal(posted.status, 303);
    return (posted.headers.get('set-cookie') ?? '').split(';')[0] as string;
  }

  /** Status, Location and body of an answer, with the repo's path written as PATH. */
  async function answerOf(url: string, init: RequestInit, path: string): Promise<string> {
    const r = await fetch(url, { ...init, redirect: 'manual' });
    const body = (await r.text()).split(path).join('PATH').split(encodeURIComponent(path)).join('PATH');
    return `${r.status} ${(r.headers.get('location') ?? '').split(path).join('PATH')} ${r.headers.get('www-authenticate') ?? ''}\n${body}`;
  }

  it('private and missing repositories answer alike on every surface (web, CDN, wire, webhooks, SSH)', async () => {
    const cookie = await bobCookie();
    const asBob: RequestInit = { headers: basic(bobToken) };
    const surfaces: { name: string; url: (path: string) => string; init: RequestInit[] }[] = [
      { name: 'web page', url: (p) => `/${p}`, init: [{}, { headers: { Cookie: cookie } }] },
      { name: 'web page with a slash', url: (p) => `/${p}/`, init: [{}, { headers: { Cookie: cookie } }] },
      { name: 'web log', url: (p) => `/${p}/-/log`, init: [{}, { headers: { Cookie: cookie } }] },
      { name: 'CDN listing', url: (p) => `/cdn/${p}/`, init: [{}, asBob] },
      { name: 'CDN file without @', url: (p) => `/cdn/${p}/file0.txt`, init: [{}, asBob] },
      { name: 'CDN file with @', url: (p) => `/cdn/${p}@default/file0.txt`, init: [{}, asBob] },
      { name: 'hg wire', url: (p) => `/${p}?cmd=capabilities`, init: [{}, asBob] },
      { name: 'git wire', url: (p) => `/${p}/info/refs?service=git-upload-pack`, init: [{}, asBob] },
      { name: 'git push', url: (p) => `/${p}/info/refs?service=git-receive-pack`, init: [{}, { headers: basic(bobToken) }] },
    ];
    for (const surface of surfaces) {
      for (const init of surface.init) {
        for (const [hidden, missing] of [
          ['team/secret', 'team/nothing'],
          ['team/gsecret', 'team/gnothing'],
        ] as const) {
          const a = await answerOf(`${server.baseUrl}${surface.url(hidden)}`, init, hidden);
          const b = await answerOf(`${server.baseUrl}${surface.url(missing)}`, init, missing);
          assert.equal(a, b, `${surface.name} (${init.headers ? 'signed in' : 'anonymous'}): ${hidden} and ${missing} answer alike`);
          assert.ok(!a.startsWith('2') && !a.startsWith('3'), `${surface.name}: ${a}`);
        }
      }
    }
    // Anonymous wire clients are asked for credentials either way (401), signed-in ones told 404.
    assert.match(await answerOf(`${server.baseUrl}/team/secret?cmd=capabilities`, {}, 'team/secret'), /^401 /);
    assert.match(await answerOf(`${server.baseUrl}/team/secret?cmd=capabilities`, asBob, 'team/secret'), /^404 /);
    // Real clients: the same words for both.
    const hgHidden = await bob.hg(['identify', `http://x:${bobToken}@127.0.0.1:${server.httpPort}/team/secret`]);
    const hgMissing = await bob.hg(['identify', `http://x:${bobToken}@127.0.0.1:${server.httpPort}/team/nothing`]);
    assert.notEqual(hgHidden.code, 0);
    assert.equal(hgHidden.stderr.replace('team/secret', 'PATH'), hgMissing.stderr.replace('team/nothing', 'PATH'));
    const gitHidden = await bob.git(['ls-remote', `http://x:${bobToken}@127.0.0.1:${server.httpPort}/team/gsecret`]);
    const gitMissing = await bob.git(['ls-remote', `http://x:${bobToken}@127.0.0.1:${server.httpPort}/team/gnothing`]);
    assert.notEqual(gitHidden.code, 0);
    assert.equal(gitHidden.stderr.split('team/gsecret').join('PATH'), gitMissing.stderr.split('team/gnothing').join('PATH'));
    // SSH: the same refusal.
    const sshHidden = await bob.hg(['identify', bob.sshUrl('team/secret')]);
    const sshMissing = await bob.hg(['identify', bob.sshUrl('team/nothing')]);
    assert.notEqual(sshHidden.code, 0);
    assert.equal(sshHidden.stderr.split('team/secret').join('PATH'), sshMissing.stderr.split('team/nothing').join('PATH'));
    // The mirror webhook: unsigned, 401 for both; signed with anything, 404 for both.
    const hook = (p: string) => `${server.baseUrl}/api/v1/mirrors/${p}/sync`;
    const body = '{"ref":"refs/heads/main"}';
    for (const headers of [{}, { 'X-Hub-Signature-256': `sha256=${'0'.repeat(64)}` }, { 'X-Gitlab-Token': 'guess' }] as Record<string, string>[]) {
      const a = await answerOf(hook('team/mirror'), { method: 'POST', body, headers }, 'team/mirror');
      const b = await answerOf(hook('team/nomirror'), { method: 'POST', body, headers }, 'team/nomirror');
      assert.equal(a, b, `webhook with ${JSON.stringify(headers)}`);
    }
    assert.equal((await fetch(hook('team/mirror'), { method: 'POST', body, headers: { 'X-Gitlab-Token': mirrorSecret } })).status, 202, 'the right secret still works');
    // Listings: the group page lists nothing of the hidden repo.
    const group = await (await fetch(`${server.baseUrl}/team/`, { headers: { Cookie: cookie } })).text();
    assert.ok(!group.includes('team/secret') && !group.includes('gsecret'), 'no hidden repo in the listing');
  });

  it('open redirect after sign-in: next=/%09/evil.example and friends stay on this site (Chromium)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'bob', 'bob-password');
    const origin = new URL(server.baseUrl).origin;
    for (const next of ['/%09/evil.example', '/%09%5Cevil.example', '/\\evil.example', '/%5C%5Cevil.example', '//evil.example', '/.//evil.example', '/%2e//evil.example', 'https://evil.example/', '/%0d%0a/evil.example', ' /\t/evil.example', 'javascript:alert(1)']) {
      await page.route('**/*', async (route) => {
        if (new URL(route.request().url()).hostname === 'evil.example') return route.fulfill({ status: 200, body: 'evil' });
        return route.continue();
      });
      await page.goto(`${server.baseUrl}/-/signin?next=${next.startsWith('/%') ? next : encodeURIComponent(next)}`).catch(() => undefined);
      assert.equal(new URL(page.url()).origin, origin, `next=${next} went to ${page.url()}`);
      await page.unroute('**/*');
    }
    // A local path still works, query included.
    await page.goto(`${server.baseUrl}/-/signin?next=${encodeURIComponent('/team/pub/-/log?x=1')}`);
    assert.equal(page.url(), `${server.baseUrl}/team/pub/-/log?x=1`);
    await context.close();
  });

  it("hgweb's own HTML UI is never served on Ferry's origin (?cmd=capabilities&cmd=log, style=, unknown cmd, paths)", async () => {
    const targets = [
      '/team/pub?cmd=capabilities&cmd=log',
      '/team/pub?cmd=heads&cmd=changelog',
      '/team/pub?cmd=capabilities&cmd=static&file=mercurial.js',
      '/team/pub?cmd=capabilities&style=paper',
      '/team/pub?cmd=log',
      '/team/pub?cmd=nosuchcommand',
      '/team/pub?style=paper',
      '/team/pub/log',
      '/team/pub/static/mercurial.js',
      '/team/pub/shortlog?style=gitweb',
      '/team/pub?cmd=capabilities;cmd=log',
      '/team/pub?%63md=capabilities&cmd=log',
    ];
    for (const target of targets) {
      const r = await fetch(`${server.baseUrl}${target}`);
      const text = await r.text();
      assert.ok(!/<!DOCTYPE html PUBLIC|hglogo|Mercurial [Rr]epositor|<script type="text\/javascript">|var data = |^\s*(\/\/|function) /m.test(text), `${target} (${r.status}) looks like hgweb: ${text.slice(0, 120)}`);
      const type = r.headers.get('content-type') ?? '';
      if (type.includes('html')) assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'none'/, `${target}: an HTML answer carries Ferry's CSP`);
    }
    // The wire protocol still works.
    const caps = await fetch(`${server.baseUrl}/team/pub?cmd=capabilities`);
    assert.equal(caps.status, 200);
    assert.match(await caps.text(), /getbundle/);
    assert.equal(caps.headers.get('x-content-type-options'), 'nosniff');
    const clone = join(tempDir(), 'pub');
    await runOk('hg', ['clone', '-q', `${server.baseUrl}/team/pub`, clone], { env: bob.env });
  });

  it('unauthenticated bodies are refused before they are read (webhook memory, forms, wire pushes)', async () => {
    // Heads whose body never comes: a check that reads the body first would wait for it.
    const waitingFor = async (head: string) => rawHttp(server.httpPort, [head], { giveUpMs: 1_500 });
    const cases = [
      `POST /api/v1/mirrors/team/nomirror/sync HTTP/1.1\r\nHost: x\r\nContent-Length: 24000000\r\n\r\n`,
      `POST /api/v1/mirrors/team/mirror/sync HTTP/1.1\r\nHost: x\r\nContent-Length: 24000000\r\n\r\n`,
      `POST /api/v1/mirrors/team/mirror/sync HTTP/1.1\r\nHost: x\r\nX-Gitlab-Token: x\r\nContent-Length: 30000000\r\n\r\n`,
      `POST /-/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 24000000\r\n\r\n`,
      `POST /-/signin HTTP/1.1\r\nHost: x\r\nCookie: ferry_signin=abc\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 24000000\r\n\r\n`,
      `POST /-/settings/keys HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 24000000\r\n\r\n`,
      `POST /-/admin/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 24000000\r\n\r\n`,
      `POST /-/signout HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 24000000\r\n\r\n`,
      `POST /team/secret?cmd=unbundle HTTP/1.1\r\nHost: x\r\nContent-Type: application/mercurial-0.1\r\nContent-Length: 24000000\r\n\r\n`,
      `POST /team/pub?cmd=unbundle HTTP/1.1\r\nHost: x\r\nContent-Type: application/mercurial-0.1\r\nContent-Length: 24000000\r\n\r\n`,
      `POST /team/gsecret/git-receive-pack HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-git-receive-pack-request\r\nContent-Length: 24000000\r\n\r\n`,
    ];
    for (const head of cases) {
      const answer = await waitingFor(head);
      assert.match(answer.text, /^HTTP\/1\.1 [34]\d\d /, `${head.split('\r\n')[0]} is answered before its body: ${answer.text.slice(0, 80) || '(nothing)'}`);
    }
    // 16 concurrent 24 MB posts (curl) to a path with no mirror, signed: streamed, never held.
    const pid = server.process.pid as number;
    const before = await rssOf(pid);
    const file = join(tempDir(), 'payload');
    writeFileSync(file, Buffer.alloc(24 * 1024 * 1024, 0x61));
    let peak = before;
    const sampler = setInterval(() => void rssOf(pid).then((v) => (peak = Math.max(peak, v)), () => undefined), 100);
    const posts = await Promise.all(
      Array.from({ length: 16 }, () =>
        runOk('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', `X-Hub-Signature-256: sha256=${'0'.repeat(64)}`, '--data-binary', `@${file}`, `${server.baseUrl}/api/v1/mirrors/team/nomirror/sync`]),
      ),
    );
    clearInterval(sampler);
    assert.deepEqual(new Set(posts.map((r) => r.stdout)), new Set(['404']));
    const grown = peak - before;
    assert.ok(grown < 100 * 1024 * 1024, `the server grew by ${Math.round(grown / 1048576)} MB for 16 x 24 MB posts`);
    const large = await fetch(`${server.baseUrl}/api/v1/mirrors/team/mirror/sync`, { method: 'POST', body: Buffer.alloc(26 * 1024 * 1024), headers: { 'X-Gitlab-Token': mirrorSecret } });
    assert.equal(large.status, 413);
  });

  it('inputs that crashed a request answer clearly: /cdn/PATH@0000/, next=/%0d, the null revision', async () => {
    const targets: [string, RegExp][] = [
      ['/cdn/team/pub@0000/', /^404 /],
      ['/cdn/team/pub@000000000000/file0.txt', /^404 /],
      ['/team/pub/-/files/0000/', /^404 /],
      ['/team/pub/-/raw/0000/file0.txt', /^404 /],
      ['/team/pub/-/commit/0000', /^404 /],
      ['/-/signin?next=/%0d%0aSet-Cookie:%20x=1', /^200 /],
      ['/-/signin?next=%0d', /^200 /],
      ['/api/v1/mirrors/%E0%A4%A/sync', /^4\d\d /],
    ];
    for (const [target, expected] of targets) {
      const r = await fetch(`${server.baseUrl}${target}`, { method: target.startsWith('/api') ? 'POST' : 'GET', redirect: 'manual' });
      assert.match(`${r.status} `, expected, `${target}: ${r.status} ${(await r.text()).slice(0, 100)}`);
    }
    const cookie = await bobCookie();
    const signedIn = await fetch(`${server.baseUrl}/-/signin?next=/%0d%0aSet-Cookie:%20x=1`, { headers: { Cookie: cookie }, redirect: 'manual' });
    assert.equal(signedIn.status, 303);
    assert.equal(signedIn.headers.get('set-cookie'), null);
    // As a browser parses it: the URL parser drops the CR and LF; a path of this site is left.
    assert.equal(signedIn.headers.get('location'), '/Set-Cookie:%20x=1');
  });

  it('connections that never end: a stalled request body and a silent SSH client are closed', async () => {
    // A body that stops after two bytes.
    const stalled = await rawHttp(server.httpPort, ['POST /-/signin HTTP/1.1\r\nHost: x\r\nCookie: ferry_signin=abc\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nab'], { giveUpMs: 12_000 });
    assert.ok(stalled.closedAfterMs !== undefined && stalled.closedAfterMs < BOUND_S * 1000 * 3, `stalled body closed after ${stalled.closedAfterMs} ms`);
    assert.match(stalled.text, /^HTTP\/1\.1 408 /);
    // An hg push that stalls, from someone who may push.
    const token = /(ferry_\S+)/.exec((await server.cliOk(['token', 'add', 'alice'])).stdout)?.[1] ?? '';
    const push = await rawHttp(
      server.httpPort,
      [`POST /team/pub?cmd=unbundle&heads=666f726365 HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${Buffer.from(`x:${token}`).toString('base64')}\r\nContent-Type: application/mercurial-0.1\r\nContent-Length: 1000\r\n\r\nHG10UN`],
      { giveUpMs: 12_000 },
    );
    assert.ok(push.closedAfterMs !== undefined && push.closedAfterMs < BOUND_S * 1000 * 3, `stalled push closed after ${push.closedAfterMs} ms`);
    // Answered before the body was read (a GET that came with a body): the rest of the body is still
    // bounded, not held for ever.
    for (const head of [
      'GET /team/pub?cmd=capabilities HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc',
      'GET /cdn/team/pub/file0.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc',
    ]) {
      const answered = await rawHttp(server.httpPort, [head], { giveUpMs: 12_000 });
      assert.match(answered.text, /^HTTP\/1\.1 \d{3} /, head.split('\r\n')[0]);
      assert.ok(answered.closedAfterMs !== undefined && answered.closedAfterMs < BOUND_S * 1000 * 3, `${head.split('\r\n')[0]} with an unfinished body: closed after ${answered.closedAfterMs} ms`);
    }
    // SSH: no banner at all, then a banner and nothing more.
    for (const parts of [[], ['SSH-2.0-OpenSSH_9.2\r\n']]) {
      const ssh = await rawHttp(server.sshPort, parts.length ? parts : [Buffer.alloc(0)], { giveUpMs: 12_000 });
      assert.ok(ssh.closedAfterMs !== undefined && ssh.closedAfterMs < BOUND_S * 1000 * 3, `ssh after ${JSON.stringify(parts)} closed after ${ssh.closedAfterMs} ms`);
    }
  });

  it('a request head sent one byte at a time is timed out on /cdn and on every other path', async () => {
    const padding = `X-Pad: ${'p'.repeat(60)}\r\n`;
    const heads = [
      `GET /cdn/team/pub/file0.txt HTTP/1.1\r\nHost: x\r\n${padding}\r\n`,
      `GET /team/pub HTTP/1.1\r\nHost: x\r\n${padding}\r\n`,
      `GET /healthz HTTP/1.1\r\nHost: x\r\n${padding}\r\n`,
    ];
    for (const head of heads) {
      const answer = await rawHttp(server.httpPort, bytewise(head), { gapMs: 100, giveUpMs: 15_000 });
      assert.ok(answer.closedAfterMs !== undefined && answer.closedAfterMs < BOUND_S * 1000 * 3, `${head.split('\r\n')[0]}: closed after ${answer.closedAfterMs} ms`);
    }
    // On a CDN connection a worker already serves (the fast lane), and after it handed the
    // connection to its own HTTP server (another method): the second head trickles.
    const first = `GET /cdn/team/pub/file0.txt HTTP/1.1\r\nHost: x\r\n\r\n`;
    for (const second of [`GET /cdn/team/pub/file1.txt HTTP/1.1\r\nHost: x\r\n${padding}\r\n`, `GET /cdn/team/pub/file1.txt HTTP/1.1\r\nHost: x\r\n\r\nOPTIONS /cdn/team/pub/ HTTP/1.1\r\nHost: x\r\n\r\nGET /team/pub HTTP/1.1\r\nHost: x\r\n${padding}\r\n`]) {
      const answer = await rawHttp(server.httpPort, [first, ...bytewise(second)], { gapMs: 50, giveUpMs: 20_000 });
      assert.match(answer.text, /^HTTP\/1\.1 200 /);
      assert.ok(answer.closedAfterMs !== undefined && answer.closedAfterMs < second.length * 50 + BOUND_S * 1000 * 3, `kept-alive CDN connection closed after ${answer.closedAfterMs} ms`);
      assert.ok(answer.closedAfterMs < second.length * 50, `the trickling head was cut off before it ended (${answer.closedAfterMs} ms)`);
    }
  });

  it('HTTP/1.1 framing: an absolute-form target is served, a second Host line is 400 (node and the CDN workers)', async () => {
    const host = `127.0.0.1:${server.httpPort}`;
    for (const path of ['/cdn/team/pub/file0.txt', '/healthz', '/team/pub?cmd=capabilities']) {
      const origin = await rawHttp(server.httpPort, [`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`]);
      const absolute = await rawHttp(server.httpPort, [`GET http://${host}${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`]);
      assert.match(origin.text, /^HTTP\/1\.1 200 /, path);
      assert.equal(absolute.text.split('\r\n')[0], origin.text.split('\r\n')[0], `absolute-form ${path}`);
      assert.equal(absolute.text.split('\r\n\r\n')[1], origin.text.split('\r\n\r\n')[1], `absolute-form ${path}: same body`);
      const twoHosts = await rawHttp(server.httpPort, [`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nHost: evil.example\r\nConnection: close\r\n\r\n`]);
      assert.match(twoHosts.text, /^HTTP\/1\.1 400 /, `two Host lines on ${path}`);
    }
    // Also on a connection a CDN worker already serves (its own parser).
    const kept = await rawHttp(server.httpPort, [
      `GET /cdn/team/pub/file0.txt HTTP/1.1\r\nHost: ${host}\r\n\r\nGET /cdn/team/pub/file1.txt HTTP/1.1\r\nHost: ${host}\r\nHost: other\r\n\r\n`,
    ]);
    const statuses = [...kept.text.matchAll(/HTTP\/1\.1 (\d+)/g)].map((m) => m[1]);
    assert.deepEqual(statuses, ['200', '400']);
    const keptAbsolute = await rawHttp(server.httpPort, [
      `GET /cdn/team/pub/file0.txt HTTP/1.1\r\nHost: ${host}\r\n\r\nGET http://${host}/cdn/team/pub/file1.txt HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
    ]);
    assert.deepEqual([...keptAbsolute.text.matchAll(/HTTP\/1\.1 (\d+)/g)].map((m) => m[1]), ['200', '200']);
  });
});
