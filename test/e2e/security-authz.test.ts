/**
 * Security and credential faults of the authz round (one test per fault, named after it), each
 * driving real clients: curl, git, hg and Chromium.
 * 1. a repo admin by grant moved another user's repo into their own namespace;
 * 2. a cookie-authenticated write with `Origin: null` was accepted;
 * 3. settings pages showed `?error=`/`?done=` text from the URL in Ferry's alert box;
 * 4. `/PATH/-/raw/` (and other read paths) took no token over HTTP Basic;
 * 5. token refusals named the user (read-only) or said "unknown or revoked" (expired);
 *    `--expires 1s` was accepted.
 */
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signIn } from './browser.js';
import { addUser, makeHgRepo, run, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';
import { expireToken } from './token-clock.js';

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** curl: the status and body of one request. */
async function curl(args: readonly string[]): Promise<Answer> {
  const r = await runOk('curl', ['-s', '-w', '\n%{http_code}', ...args]);
  const nl = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(nl + 1)), body: r.stdout.slice(0, nl) };
}

const basic = (user: string, secret: string): string[] => ['-u', `${user}:${secret}`];

async function submit(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

describe('security: credentials, CSRF, flashes and repo moves', () => {
  let server: FerryServer;
  let alice: Client;
  let browser: Browser;
  let rw: string;
  let ro: string;
  let old: string;
  let first: string;
  let second: string;
  const tokenOf = async (user: string, ...args: string[]): Promise<string> => (await server.cliOk(['token', 'add', user, ...args])).stdout.trim();

  before(async () => {
    server = await startFerry();
    alice = await addUser(server, 'alice');
    await server.cliOk(['user', 'add', 'bob']);
    await server.cliOk(['user', 'add', 'root', '--admin']);
    for (const name of ['alice', 'bob', 'root']) await server.cliOk(['user', 'passwd', name], { input: `${name}-password\n` });
    await server.cliOk(['repo', 'create', 'alice/app', '--git']);
    await server.cliOk(['repo', 'create', 'alice/hgapp']);
    const work = join(tempDir('ferry-authz-git-'), 'app');
    await alice.git(['init', '-q', '-b', 'main', work]);
    writeFileSync(join(work, 'README.md'), '# app\n');
    await runOk('git', ['-C', work, 'add', '.'], { env: alice.env });
    await runOk('git', ['-C', work, 'commit', '-q', '-m', 'first'], { env: alice.env });
    writeFileSync(join(work, 'README.md'), '# app\n\nsecond\n');
    await runOk('git', ['-C', work, 'commit', '-q', '-am', 'second'], { env: alice.env });
    await runOk('git', ['-C', work, 'push', '-q', alice.sshUrl('alice/app'), 'main'], { env: alice.env });
    first = (await runOk('git', ['-C', work, 'rev-parse', 'HEAD~1'], { env: alice.env })).stdout.trim();
    second = (await runOk('git', ['-C', work, 'rev-parse', 'HEAD'], { env: alice.env })).stdout.trim();
    const hg = await makeHgRepo(alice, 2);
    await runOk('hg', ['-R', hg, 'push', alice.sshUrl('alice/hgapp')], { env: alice.env });
    rw = await tokenOf('alice', '--label', 'rw');
    ro = await tokenOf('alice', '--read-only', '--label', 'ro');
    old = await tokenOf('alice', '--expires', '1h', '--label', 'old');
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('raw-basic-token: every HTTP read path of a private repo takes the same credentials (Basic token or password, token, Bearer)', async () => {
    const base = server.baseUrl;
    const paths = [
      '/alice/app',
      '/alice/app/-/log',
      '/alice/app/-/raw/main/README.md',
      '/alice/app/-/files/main/README.md',
      '/alice/app/-/blame/main/README.md',
      '/alice/app/-/history/main/README.md',
      '/alice/app/-/archive/main.tar.gz',
      '/alice/app/-/archive/main.zip',
      '/alice/app/-/atom',
      `/alice/app/-/compare/${first}...${second}`,
      `/alice/app/-/commit/${second}`,
      '/alice/app/info/refs?service=git-upload-pack',
      '/alice/hgapp?cmd=capabilities',
      '/alice/hgapp/-/log',
      '/cdn/alice/app@main/README.md',
      '/api/v1/repos/alice/app/raw/README.md',
    ];
    const ways: Record<string, string[]> = {
      'Basic with a token': basic('x', rw),
      'Basic with a password': basic('alice', 'alice-password'),
      'Basic with a read-only token': basic('alice', ro),
      'Authorization: token': ['-H', `Authorization: token ${rw}`],
      'Authorization: Bearer': ['-H', `Authorization: Bearer ${rw}`],
    };
    for (const path of paths) {
      const anonymous = await curl(['-o', '/dev/null', `${base}${path}`]);
      assert.ok(anonymous.status === 404 || anonymous.status === 401, `${path} is hidden from the anonymous (${anonymous.status})`);
      for (const [way, args] of Object.entries(ways)) {
        const got = await curl([...args, '-o', '/dev/null', `${base}${path}`]);
        assert.equal(got.status, 200, `${path} with ${way}`);
      }
    }
    const raw = await curl([...basic('x', rw), `${base}/alice/app/-/raw/main/README.md`]);
    assert.equal(raw.body, '# app\n\nsecond\n', 'the raw view serves the file to a token over Basic');
    const lfs = await curl([...basic('x', rw), '-H', 'Content-Type: application/vnd.git-lfs+json', '-H', 'Accept: application/vnd.git-lfs+json', '--data', JSON.stringify({ operation: 'download', objects: [{ oid: 'a'.repeat(64), size: 1 }] }), `${base}/alice/app.git/info/lfs/objects/batch`]);
    assert.equal(lfs.status, 200, `LFS batch with a token over Basic: ${lfs.body}`);
    const lfsBearer = await curl(['-H', `Authorization: Bearer ${rw}`, '-H', 'Content-Type: application/vnd.git-lfs+json', '--data', JSON.stringify({ operation: 'download', objects: [] }), `${base}/alice/app.git/info/lfs/objects/batch`]);
    assert.equal(lfsBearer.status, 200, `LFS batch with Bearer: ${lfsBearer.body}`);
    // The real clients, too.
    const git = await run('git', ['ls-remote', `http://x:${rw}@127.0.0.1:${server.httpPort}/alice/app`], { env: alice.env });
    assert.equal(git.code, 0, git.stderr);
    const hg = await run('hg', ['identify', `http://x:${rw}@127.0.0.1:${server.httpPort}/alice/hgapp`], { env: alice.env });
    assert.equal(hg.code, 0, hg.stderr);
    // Wrong credentials are refused (401), never taken as anonymous.
    assert.equal((await curl([...basic('x', 'ferry_wrong'), '-o', '/dev/null', `${base}/alice/app/-/raw/main/README.md`])).status, 401);
    assert.equal((await curl(['-H', 'Authorization: token ferry_wrong', '-o', '/dev/null', `${base}/alice/app/-/raw/main/README.md`])).status, 401);
  });

  it('csrf-origin-null: a cookie-authenticated write with Origin null (or another site) is refused even with the right CSRF token', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'alice', 'alice-password');
    await page.goto(`${server.baseUrl}/-/settings`);
    const csrf = (await page.locator('input[name=csrf]').first().getAttribute('value')) ?? '';
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const api = (headers: string[]): Promise<Answer> =>
      curl(['-X', 'PATCH', '-H', `Cookie: ${cookie}`, '-H', `X-Ferry-CSRF: ${csrf}`, '-H', 'Content-Type: application/json', ...headers, '--data', '{"description":"changed"}', `${server.baseUrl}/api/v1/repos/alice/app`]);
    const form = (headers: string[]): Promise<Answer> =>
      curl(['-o', '/dev/null', '-H', `Cookie: ${cookie}`, ...headers, '--data', `label=forged&expires=7&csrf=${csrf}`, `${server.baseUrl}/-/settings/tokens`]);
    for (const [what, headers] of [
      ['Origin: null', ['-H', 'Origin: null']],
      ['another Origin', ['-H', 'Origin: http://evil.example']],
      ['another Referer and no Origin', ['-H', 'Referer: http://evil.example/page']],
    ] as const) {
      const refused = await api([...headers]);
      assert.equal(refused.status, 403, `the API, ${what}: ${refused.body}`);
      assert.match(refused.body, /FERRY_ACCESS_DENIED/);
      assert.equal((await form([...headers])).status, 403, `a web form, ${what}`);
    }
    const tokens = (await server.cliOk(['token', 'list', 'alice'])).stdout;
    assert.doesNotMatch(tokens, /forged/, 'no token was made');
    // Controls: this site's origin, and a client that is no browser page (no Origin, no Referer).
    assert.equal((await api(['-H', `Origin: ${server.baseUrl}`])).status, 200);
    assert.equal((await api([])).status, 200);
    await context.close();
  });

  it('flash-from-query: settings pages never show ?error=/?done= text from the URL; a POST shows its own message once', async () => {
    const phish = 'PHISH-Your-account-is-locked-call-555-0100';
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'root', 'root-password');
    for (const path of ['/-/settings', '/-/admin', '/alice/app/-/settings', '/alice/app/-/settings/delete', '/-/admin/repos/delete?path=alice/app']) {
      for (const key of ['error', 'done']) {
        const url = `${server.baseUrl}${path}${path.includes('?') ? '&' : '?'}${key}=${encodeURIComponent(phish)}`;
        const answer = await page.goto(url);
        assert.equal(answer?.status(), 200, url);
        assert.ok(!((await page.content()).includes('PHISH')), `${url} shows no text from its query`);
        assert.equal(await page.locator('[role=alert], [role=status]').count(), 0, `${url} shows no alert box`);
      }
    }
    // A real error comes from the server, on the page the POST's redirect leads to, once.
    await page.goto(`${server.baseUrl}/-/settings`);
    await page.fill('#key', 'not a key');
    await submit(page, 'form[action="/-/settings/keys"] button');
    assert.equal(new URL(page.url()).search, '', 'the message is not in the URL');
    assert.ok(((await page.textContent('[role=alert]')) ?? '').length > 0, 'the error shows');
    await page.reload();
    assert.equal(await page.locator('[role=alert]').count(), 0, 'shown once');
    // A flash cookie made by anyone but this server for this session is ignored.
    await context.addCookies([{ name: 'ferry_flash', value: `${Buffer.from(JSON.stringify({ k: 'error', t: phish })).toString('base64url')}.forged`, url: server.baseUrl }]);
    await page.goto(`${server.baseUrl}/-/settings`);
    assert.ok(!((await page.content()).includes('PHISH')), 'a forged flash cookie is not shown');
    await context.close();
  });

  it('grant-admin-moves-repo: a repo admin by grant may rename within the namespace but not move the repo into their own', async () => {
    await server.cliOk(['repo', 'create', 'alice/moveme', '--git']);
    await server.cliOk(['grant', 'bob', 'alice/moveme', 'admin']);
    const bob = await tokenOf('bob', '--label', 'bob');
    const json = (token: string, method: string, path: string, body: unknown): Promise<Answer> =>
      curl(['-X', method, '-H', `Authorization: token ${token}`, '-H', 'Content-Type: application/json', '--data', JSON.stringify(body), `${server.baseUrl}/api/v1${path}`]);
    const list = async (): Promise<string> => (await server.cliOk(['repo', 'list'])).stdout;

    const transfer = await json(bob, 'POST', '/repos/alice/moveme/transfer', { new_owner: 'bob' });
    assert.equal(transfer.status, 403, transfer.body);
    assert.match(transfer.body, /may not move alice\/moveme out of alice/);
    const patched = await json(bob, 'PATCH', '/repos/alice/moveme', { name: 'renamed' });
    assert.equal(patched.status, 200, `a grant-admin renames within the namespace: ${patched.body}`);
    assert.match(await list(), /^alice\/renamed\b/m);

    // The settings page, as bob in Chromium.
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'bob', 'bob-password');
    await page.goto(`${server.baseUrl}/alice/renamed/-/settings`);
    await page.fill('#new-path', 'bob/stolen');
    await submit(page, '#rename button[type=submit]');
    assert.match((await page.textContent('[role=alert]')) ?? '', /bob may not move alice\/renamed out of alice/);
    assert.doesNotMatch(await list(), /bob\/stolen/);
    await page.fill('#new-path', 'alice/renamed-again');
    await submit(page, '#rename button[type=submit]');
    assert.match(page.url(), /\/alice\/renamed-again\/-\/settings$/);
    await context.close();

    // The namespace's owner moves only to where they may create; a site admin moves anywhere.
    const owner = await json(rw, 'POST', '/repos/alice/renamed-again/transfer', { new_owner: 'bob' });
    assert.equal(owner.status, 403, owner.body);
    assert.match(owner.body, /alice may not create repositories at bob\/renamed-again/);
    const root = await tokenOf('root', '--label', 'root');
    const admin = await json(root, 'POST', '/repos/alice/renamed-again/transfer', { new_owner: 'bob' });
    assert.equal(admin.status, 202, admin.body);
    assert.match(await list(), /^bob\/renamed-again\b/m);
  });

  it('token-messages: read-only and expired tokens say so (and what to do) on every transport; --expires under an hour is refused', async () => {
    const port = server.httpPort;
    // Read-only: git push, hg push, the API and LFS name the token, not the user.
    const readOnly = /token is read-only.*make a token with write access/;
    const gitWork = join(tempDir('ferry-authz-ro-'), 'app');
    await runOk('git', ['clone', '-q', `http://x:${rw}@127.0.0.1:${port}/alice/app`, gitWork], { env: alice.env });
    writeFileSync(join(gitWork, 'new.txt'), 'new\n');
    await runOk('git', ['-C', gitWork, 'add', '.'], { env: alice.env });
    await runOk('git', ['-C', gitWork, 'commit', '-q', '-m', 'new'], { env: alice.env });
    const gitPush = await run('git', ['-C', gitWork, 'push', `http://x:${ro}@127.0.0.1:${port}/alice/app`, 'main'], { env: alice.env });
    assert.notEqual(gitPush.code, 0);
    assert.match(gitPush.stderr, readOnly, gitPush.stderr);
    const hgWork = join(tempDir('ferry-authz-ro-hg-'), 'hgapp');
    await runOk('hg', ['clone', '-q', alice.sshUrl('alice/hgapp'), hgWork], { env: alice.env });
    writeFileSync(join(hgWork, 'new.txt'), 'new\n');
    await runOk('hg', ['-R', hgWork, 'commit', '-A', '-m', 'new'], { env: alice.env });
    const hgPush = await run('hg', ['-R', hgWork, 'push', `http://x:${ro}@127.0.0.1:${port}/alice/hgapp`], { env: alice.env });
    assert.notEqual(hgPush.code, 0);
    assert.match(hgPush.stdout + hgPush.stderr, readOnly);
    const apiWrite = await curl(['-X', 'PATCH', '-H', `Authorization: token ${ro}`, '-H', 'Content-Type: application/json', '--data', '{"description":"x"}', `${server.baseUrl}/api/v1/repos/alice/app`]);
    assert.equal(apiWrite.status, 403);
    assert.match(apiWrite.body, readOnly);
    const lfsUpload = await curl([...basic('x', ro), '-H', 'Content-Type: application/vnd.git-lfs+json', '--data', JSON.stringify({ operation: 'upload', objects: [{ oid: 'b'.repeat(64), size: 1 }] }), `${server.baseUrl}/alice/app.git/info/lfs/objects/batch`]);
    assert.equal(lfsUpload.status, 403);
    assert.match(lfsUpload.body, readOnly);

    // Expired: every transport says it expired, when, and to make a new one.
    const before = await run('git', ['ls-remote', `http://x:${old}@127.0.0.1:${port}/alice/app`], { env: alice.env });
    assert.equal(before.code, 0, before.stderr);
    const when = expireToken(server.dataDir, 'old');
    const expired = new RegExp(`token expired on ${when.slice(0, 16).replace('T', ' ')} UTC: make a new one`);
    const gitOld = await run('git', ['ls-remote', `http://x:${old}@127.0.0.1:${port}/alice/app`], { env: alice.env });
    assert.notEqual(gitOld.code, 0);
    assert.match(gitOld.stderr, expired, gitOld.stderr);
    const hgOld = await run('hg', ['identify', `http://x:${old}@127.0.0.1:${port}/alice/hgapp`], { env: alice.env });
    assert.notEqual(hgOld.code, 0);
    assert.match(hgOld.stdout + hgOld.stderr, expired);
    for (const [what, args] of [
      ['the API (token)', ['-H', `Authorization: token ${old}`, `${server.baseUrl}/api/v1/repos/alice/app`]],
      ['the API (Basic)', [...basic('x', old), `${server.baseUrl}/api/v1/repos/alice/app`]],
      ['the CDN', [...basic('x', old), `${server.baseUrl}/cdn/alice/app@main/README.md`]],
      ['the raw view', [...basic('x', old), `${server.baseUrl}/alice/app/-/raw/main/README.md`]],
      ['LFS', [...basic('x', old), '-H', 'Content-Type: application/vnd.git-lfs+json', '--data', '{"operation":"download","objects":[]}', `${server.baseUrl}/alice/app.git/info/lfs/objects/batch`]],
    ] as const) {
      const got = await curl([...args]);
      assert.equal(got.status, 401, what);
      assert.match(got.body, expired, `${what}: ${got.body}`);
    }

    // Durations: at least an hour, at most ten years, refused in one line that gives the range.
    for (const short of ['1s', '59m']) {
      const refused = await server.cli(['token', 'add', 'alice', '--expires', short]);
      assert.equal(refused.code, 1, short);
      assert.match(refused.stderr, /^ferry: a token lasts from 1 hour to 10 years \(1h to 3660d\)[^\n]*\n$/);
    }
    assert.equal((await server.cli(['token', 'add', 'alice', '--expires', '1h'])).code, 0);
  });
});
