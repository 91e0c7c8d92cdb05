/**
 * The web session cookie as a credential, and the same-origin rule for writes it authenticates:
 * - a browser signed in to Ferry reads a private repo through the URLs a browser opens (web raw
 *   and archive views, CDN file URLs); hg and git over HTTP take HTTP Basic / tokens only;
 * - the CDN's worker never hands an answer given for a cookie to a request without one;
 * - "this site" is an origin: scheme, host and port (RFC 6454 §4), the public one behind a proxy;
 * - an API write refused for CSRF answers in the API's JSON shape and words.
 * Every session here comes from signing in through the real web form (curl, Chromium).
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium, signIn } from './browser.js';
import { addUser, run, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

interface Curled {
  readonly status: number;
  readonly body: string;
}

/** One curl request: its status and body (`args` are curl's, the URL last). */
async function curl(args: readonly string[]): Promise<Curled> {
  const r = await runOk('curl', ['-s', '-w', '\n%{http_code}', ...args]);
  const cut = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(cut + 1)), body: r.stdout.slice(0, cut) };
}

/** The value of cookie `name` in a response head's Set-Cookie lines. */
function setCookie(head: string, name: string): string | undefined {
  return new RegExp(`^set-cookie: ${name}=([^;\\r\\n]*)`, 'im').exec(head)?.[1];
}

/**
 * Signs in through the web form with curl: GET the form (its sign-in cookie and `csrf` field),
 * POST name, password and token. Returns the `ferry_session` cookie value. Cookies are read from
 * the answers' headers (curl's own jar keeps no `Secure` cookie set over http). `host`: the Host
 * header to send, when not the URL's.
 */
async function curlSignIn(baseUrl: string, name: string, password: string, host?: string): Promise<string> {
  const hostHeader = host === undefined ? [] : ['-H', `Host: ${host}`];
  const form = await runOk('curl', ['-s', '-D', '-', ...hostHeader, `${baseUrl}/-/signin`]);
  const signinCookie = setCookie(form.stdout, 'ferry_signin');
  const csrf = /name="csrf" value="([^"]+)"/.exec(form.stdout)?.[1];
  assert.ok(signinCookie && csrf, 'the sign-in form sets its cookie and has a csrf field');
  const post = await runOk('curl', ['-s', '-D', '-', '-o', '/dev/null', ...hostHeader, '-H', `Cookie: ferry_signin=${signinCookie}`, '--data-urlencode', `name=${name}`, '--data-urlencode', `password=${password}`, '--data-urlencode', `csrf=${csrf}`, '--data-urlencode', 'next=/', `${baseUrl}/-/signin`]);
  assert.match(post.stdout, /^HTTP\/1\.1 303/, 'signing in redirects');
  const value = setCookie(post.stdout, 'ferry_session');
  assert.ok(value, 'signing in set the ferry_session cookie');
  return value;
}

const INDEX = '<!doctype html><title>private site</title><p id="secret">only for bob</p>\n';

describe('the web session cookie: where it is taken, and the origin rule for its writes', () => {
  let server: FerryServer;
  let bob: Client;
  let browser: Browser;
  let session: string;
  let base: string;

  before(async () => {
    server = await startFerry();
    base = server.baseUrl;
    bob = await addUser(server, 'bob');
    await server.cliOk(['user', 'passwd', 'bob'], { input: 'bob-password\n' });
    // A private git repo with a page and a README, pushed over SSH (a pushed-to path is created private).
    const work = join(tempDir('ferry-site-'), 'site');
    mkdirSync(work);
    writeFileSync(join(work, 'index.html'), INDEX);
    writeFileSync(join(work, 'README'), 'bob private readme\n');
    for (const args of [['init', '-q', work], ['-C', work, 'add', '-A'], ['-C', work, 'commit', '-q', '-m', 'site']]) {
      const r = await bob.git(args);
      assert.equal(r.code, 0, r.stderr);
    }
    await server.cliOk(['repo', 'create', 'bob/site', '--git']);
    await server.cliOk(['grant', 'bob', 'bob/site', 'admin']);
    const push = await bob.git(['-C', work, 'push', '-q', `ssh://git@127.0.0.1:${server.sshPort}/bob/site`, 'main']);
    assert.equal(push.code, 0, push.stderr);
    session = await curlSignIn(base, 'bob', 'bob-password');
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('cdn-session-cookie-reads-private-repo: curl with the session cookie reads CDN, raw and archive URLs of a private repo; without it they are refused', async () => {
    const cookie = ['-H', `Cookie: ferry_session=${session}`];
    const cdn = await curl([...cookie, `${base}/cdn/bob/site@main/README`]);
    assert.equal(cdn.status, 200, cdn.body);
    assert.equal(cdn.body, 'bob private readme\n');
    const raw = await curl([...cookie, `${base}/bob/site/-/raw/main/README`]);
    assert.equal(raw.status, 200, raw.body);
    assert.equal(raw.body, 'bob private readme\n');
    const archive = await runOk('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{content_type}', ...cookie, `${base}/bob/site/-/archive/main.tar.gz`]);
    assert.match(archive.stdout, /^200 application\/(x-)?gzip/);
    // Without the cookie: the CDN asks for credentials, the web views show no repo.
    assert.equal((await curl([`${base}/cdn/bob/site@main/README`])).status, 401);
    assert.equal((await curl([`${base}/bob/site/-/raw/main/README`])).status, 404);
    // A made-up session is anonymous, not bob.
    assert.equal((await curl(['-H', `Cookie: ferry_session=${'A'.repeat(43)}`, `${base}/cdn/bob/site@main/README`])).status, 401);
  });

  it('cdn-cookie-answer-not-reused-for-anonymous: on one keep-alive connection, a request without the cookie after one with it is refused', async () => {
    // curl --next reuses the connection (the same CDN worker): the second request has no cookie.
    const url = `${base}/cdn/bob/site@main/README`;
    for (let round = 0; round < 3; round++) {
      const r = await runOk('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{num_connects}\n', '-H', `Cookie: ferry_session=${session}`, url, '--next', '-s', '-o', '/dev/null', '-w', '%{http_code} %{num_connects}\n', url, '--next', '-s', '-o', '/dev/null', '-w', '%{http_code} %{num_connects}\n', url]);
      const answers = r.stdout.trim().split('\n');
      assert.deepEqual(answers.map((a) => a.split(' ')[0]), ['200', '401', '401'], 'the cookie request is answered; the anonymous ones after it are not');
      assert.equal(answers[1], '401 0', 'the second request went on the same connection');
    }
  });

  it('wire-protocols-take-no-session-cookie: git over HTTP with only the session cookie is asked for credentials, as documented', async () => {
    const clone = await bob.git(['-c', `http.extraHeader=Cookie: ferry_session=${session}`, 'clone', '-q', `${base}/bob/site.git`, join(tempDir('ferry-clone-'), 'c')]);
    assert.notEqual(clone.code, 0);
    assert.match(clone.stderr, /Authentication failed|could not read Username|terminal prompts disabled/);
    const refs = await curl(['-H', `Cookie: ferry_session=${session}`, `${base}/bob/site.git/info/refs?service=git-upload-pack`]);
    assert.equal(refs.status, 401);
  });

  it('cdn-session-cookie-chromium: Chromium signed in through the form opens the CDN URL of a private repo; a fresh browser is asked to sign in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, base, 'bob', 'bob-password');
    const answer = await page.goto(`${base}/cdn/bob/site@main/index.html`);
    assert.equal(answer?.status(), 200);
    // Served sandboxed, the page still renders its text.
    assert.equal(await page.textContent('#secret'), 'only for bob');
    await context.close();
    // Not signed in: the CDN's 401 challenges for HTTP Basic, which a browser with no credentials
    // to offer ends as an authentication failure (Chromium's ERR_INVALID_AUTH_CREDENTIALS).
    const stranger = await browser.newContext();
    await assert.rejects((await stranger.newPage()).goto(`${base}/cdn/bob/site@main/index.html`), /ERR_INVALID_AUTH_CREDENTIALS/);
    await stranger.close();
  });

  it('origin-scheme-mismatch-refused: an https Origin on this plain-http host:port is refused, with a clear message, on forms and API cookie writes', async () => {
    const port = server.httpPort;
    const wrong = `https://127.0.0.1:${port}`;
    const right = `http://127.0.0.1:${port}`;
    const cookie = ['-H', `Cookie: ferry_session=${session}`];
    // A web form: the settings page's visibility form, with the right CSRF token.
    const page = await curl([...cookie, `${base}/bob/site/-/settings`]);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
    assert.ok(csrf, 'the settings page has a csrf field');
    const form = (origin: string) => curl([...cookie, '-H', `Origin: ${origin}`, '-d', `public=0&csrf=${csrf}`, `${base}/bob/site/-/settings/visibility`]);
    const refused = await form(wrong);
    assert.equal(refused.status, 403);
    assert.ok(refused.body.includes(`this form was sent from ${wrong}, not from this site (${right})`), refused.body);
    assert.equal((await form(right)).status, 303, 'the right origin is accepted');
    // The same with Referer (no Origin), as some browsers send on a same-origin form.
    const byReferer = await curl([...cookie, '-H', `Referer: ${wrong}/bob/site/-/settings`, '-d', `public=0&csrf=${csrf}`, `${base}/bob/site/-/settings/visibility`]);
    assert.equal(byReferer.status, 403);
    // An API write with the cookie and the CSRF header.
    const api = (origin: string, name: string) =>
      curl([...cookie, '-H', `Origin: ${origin}`, '-H', `X-Ferry-CSRF: ${csrf}`, '-H', 'Content-Type: application/json', '-d', JSON.stringify({ name }), `${base}/api/v1/user/repos`]);
    const apiRefused = await api(wrong, 'made-wrong');
    assert.equal(apiRefused.status, 403, apiRefused.body);
    const body = JSON.parse(apiRefused.body) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'FERRY_ACCESS_DENIED');
    assert.ok(body.error.message.includes(`sent from ${wrong}, not from this site (${right})`), body.error.message);
    assert.equal((await api(right, 'made-right')).status, 201, 'the right origin is accepted');
  });

  it('private-by-form-refused-at-once: a repo made private with the settings form is refused to the anonymous on the CDN from the moment the form answers', async () => {
    const cookie = ['-H', `Cookie: ferry_session=${session}`];
    const origin = ['-H', `Origin: http://127.0.0.1:${server.httpPort}`];
    const page = await curl([...cookie, `${base}/bob/site/-/settings`]);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
    assert.ok(csrf, 'the settings page has a csrf field');
    const visibility = (value: '0' | '1') => curl([...cookie, ...origin, '-d', `public=${value}&csrf=${csrf}`, `${base}/bob/site/-/settings/visibility`]);
    for (let round = 0; round < 3; round++) {
      assert.equal((await visibility('1')).status, 303);
      // Public: the anonymous read it, so every CDN worker's lookup holds the repo as public.
      for (let i = 0; i < 6; i++) assert.equal((await curl([`${base}/cdn/bob/site@main/README?warm=${round}-${i}`])).status, 200);
      assert.equal((await visibility('0')).status, 303);
      // From the form's answer on: refused on fresh connections (both workers), fresh targets (no reused answer).
      for (let i = 0; i < 6; i++) {
        const r = await curl([`${base}/cdn/bob/site@main/README?after=${round}-${i}`]);
        assert.equal(r.status, 401, `request ${i} after the form answered, round ${round}: ${r.body.slice(0, 80)}`);
      }
    }
  });

  it('api-csrf-refusal-in-api-words: an API write with the session cookie and no CSRF token answers in the API JSON shape, naming X-Ferry-CSRF', async () => {
    const r = await curl(['-H', `Cookie: ferry_session=${session}`, '-H', 'Content-Type: application/json', '-d', '{"name":"nocsrf"}', `${base}/api/v1/user/repos`]);
    assert.equal(r.status, 403);
    const body = JSON.parse(r.body) as { error: { code: string; message: string }; message: string; url: string };
    assert.equal(body.error.code, 'FERRY_ACCESS_DENIED');
    assert.match(body.error.message, /X-Ferry-CSRF/);
    assert.match(body.error.message, /Authorization: token T/);
    assert.doesNotMatch(body.error.message, /this form|reload the page/);
    assert.equal(body.message, body.error.message, 'Gitea-like top-level message');
    assert.equal(body.url, `${base}/api/v1/openapi.json`);
    // Every API error has that shape (here a 404).
    const missing = JSON.parse((await curl([`${base}/api/v1/repos/nobody/nothing`])).body) as { error: { code: string }; message: string; url: string };
    assert.equal(missing.error.code, 'FERRY_REPO_NOT_FOUND');
    assert.equal(typeof missing.message, 'string');
    assert.equal(missing.url, `${base}/api/v1/openapi.json`);
  });
});

describe('behind a TLS-terminating proxy ([http] base_url https://…): the public origin is https', () => {
  let server: FerryServer;
  let session: string;

  before(async () => {
    server = await startFerry({ toml: '[http]\nbase_url = "https://git.example.test"\n' });
    await addUser(server, 'carol');
    await server.cliOk(['user', 'passwd', 'carol'], { input: 'carol-password\n' });
    session = await curlSignIn(server.baseUrl, 'carol', 'carol-password', 'git.example.test');
  });

  after(async () => {
    await server?.stop();
  });

  it('origin-scheme-behind-proxy: with base_url https://host, Origin https://host is accepted and http://host refused', async () => {
    const csrfPage = await curl(['-H', 'Host: git.example.test', '-H', `Cookie: ferry_session=${session}`, `${server.baseUrl}/-/settings`]);
    const csrf = /name="csrf" value="([^"]+)"/.exec(csrfPage.body)?.[1];
    assert.ok(csrf, `the settings page has a csrf field: ${csrfPage.status}`);
    const api = (origin: string, name: string) =>
      curl(['-H', 'Host: git.example.test', '-H', `Cookie: ferry_session=${session}`, '-H', `Origin: ${origin}`, '-H', `X-Ferry-CSRF: ${csrf}`, '-H', 'Content-Type: application/json', '-d', JSON.stringify({ name }), `${server.baseUrl}/api/v1/user/repos`]);
    const refused = await api('http://git.example.test', 'plain');
    assert.equal(refused.status, 403, refused.body);
    assert.match(refused.body, /sent from http:\/\/git\.example\.test, not from this site \(https:\/\/git\.example\.test\)/);
    const accepted = await api('https://git.example.test', 'tls');
    assert.equal(accepted.status, 201, accepted.body);
    // And the cookie carries Secure: the site is https.
    const signin = await run('curl', ['-s', '-D', '-', '-o', '/dev/null', '-H', 'Host: git.example.test', `${server.baseUrl}/-/signin`]);
    assert.match(signin.stdout, /Set-Cookie: ferry_signin=[^\r\n]*; Secure/i);
  });
});
