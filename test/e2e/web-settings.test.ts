/**
 * Settings on the web (issue 15 items 11–13, issue 13 items 1 and 3): a repository's settings
 * page for its admins (visibility, hg phases, grants, deploy keys, mirror, rename, delete), the
 * admin page's resets, renames and deletes, a user's own password and token expiry, and a
 * mirror's status on its page and in `ferry mirror list`. Driven in Chromium (1280 and 390 px,
 * light and dark; screenshots in FERRY_SHOTS) and checked with hg, git, ssh and curl.
 */
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { expireToken } from './token-clock.js';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, signIn } from './browser.js';
import { makeGitSource, type GitSource } from './git-source.js';
import { addUser, makeClient, makeKey, run, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';
import { startGitHttp, type Remote } from './remotes.js';

const SHOTS = process.env['FERRY_SHOTS'] ?? tempDir('ferry-shots-');
const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;
const SCHEMES = ['light', 'dark'] as const;
const MIRROR_PASSWORD = 'mirror-source-password-42';

/** Clicks something that submits a form and waits for the page the 303 leads to. */
async function submit(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

async function assertFits(page: Page, selector: string, what: string): Promise<void> {
  const box = await page.locator(selector).first().boundingBox();
  const width = page.viewportSize()?.width ?? 0;
  assert.ok(box, `${what} is rendered`);
  assert.ok(box.x >= 0 && box.x + box.width <= width + 0.5, `${what} fits in ${width} px: x=${box.x} width=${box.width}`);
  const sideways = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(sideways <= 1, `no sideways scrolling at ${width} px (${sideways} px)`);
}

async function cookieHeader(context: BrowserContext): Promise<string> {
  return (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
}

describe('settings on the web', () => {
  let server: FerryServer;
  let alice: Client;
  let browser: Browser;
  let source: GitSource;
  let http: Remote;

  before(async () => {
    server = await startFerry();
    alice = await addUser(server, 'alice');
    await server.cliOk(['user', 'add', 'root', '--admin']);
    await server.cliOk(['user', 'add', 'bob']);
    for (const name of ['root', 'alice', 'bob']) await server.cliOk(['user', 'passwd', name], { input: `${name}-password\n` });
    await server.cliOk(['repo', 'create', 'team/hgapp']);
    await server.cliOk(['repo', 'create', 'team/gitapp', '--git', '--public']);
    await server.cliOk(['grant', 'alice', 'team/', 'admin']);
    const work = join(tempDir('ferry-ws-git-'), 'gitapp');
    await alice.git(['init', '-q', '-b', 'main', work]);
    writeFileSync(join(work, 'README.md'), '# gitapp\n');
    await runOk('git', ['-C', work, 'add', '.'], { env: alice.env });
    await runOk('git', ['-C', work, 'commit', '-q', '-m', 'first'], { env: alice.env });
    await runOk('git', ['-C', work, 'push', '-q', alice.sshUrl('team/gitapp'), 'main'], { env: alice.env });
    const author = await makeClient({ sshPort: 0 }, 'author');
    source = await makeGitSource(author);
    http = await startGitHttp(source.root);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await http?.stop();
  });

  async function signedIn(name: string, viewport: { width: number; height: number } = VIEWPORTS[0], colorScheme: 'light' | 'dark' = 'light'): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport, colorScheme });
    const page = await context.newPage();
    await signIn(page, server.baseUrl, name, `${name}-password`);
    return { context, page };
  }

  it('a repo admin sets visibility and hg phases (publishing/non-publishing) on the settings page; a draft pushed then stays draft', async () => {
    const { context, page } = await signedIn('alice');
    await page.goto(`${server.baseUrl}/team/hgapp`);
    assert.equal(await page.locator('nav.tabs a', { hasText: 'Settings' }).count(), 1, 'the Settings tab shows for a repo admin');
    await page.goto(`${server.baseUrl}/team/hgapp/-/settings`);
    assert.equal((await fetch(`${server.baseUrl}/team/hgapp`)).status, 404, 'private at first');
    await submit(page, '#toggle-visibility');
    assert.match((await page.textContent('[role=status]')) ?? '', /team\/hgapp is now public/);
    assert.equal((await fetch(`${server.baseUrl}/team/hgapp`)).status, 200, 'anonymous visitors see it now');
    await page.reload();
    assert.equal((await fetch(`${server.baseUrl}/team/hgapp`)).status, 200, 'a reload does not post again');
    await submit(page, '#toggle-visibility');
    assert.equal((await fetch(`${server.baseUrl}/team/hgapp`)).status, 404, 'private again');

    assert.equal(await page.textContent('#phases-state'), 'publishing');
    await submit(page, '#toggle-phases');
    assert.equal(await page.textContent('#phases-state'), 'non-publishing');
    const repo = join(tempDir('ferry-ws-hg-'), 'hgapp');
    await runOk('hg', ['init', repo], { env: alice.env });
    writeFileSync(join(repo, 'a.txt'), 'a\n');
    await runOk('hg', ['-R', repo, 'commit', '-A', '-m', 'draft work'], { env: alice.env });
    await runOk('hg', ['-R', repo, 'push', alice.sshUrl('team/hgapp')], { env: alice.env });
    const clone = join(tempDir('ferry-ws-hgc-'), 'c');
    await runOk('hg', ['clone', '-q', alice.sshUrl('team/hgapp'), clone], { env: alice.env });
    assert.equal((await runOk('hg', ['-R', clone, 'log', '-r', 'tip', '-T', '{phase}'], { env: alice.env })).stdout, 'draft');
    assert.equal((await page.locator('#toggle-phases').count()), 1);
    assert.equal(await page.locator('#toggle-phases').textContent(), 'Make publishing');
    await page.goto(`${server.baseUrl}/team/gitapp/-/settings`);
    assert.equal(await page.locator('#toggle-phases').count(), 0, 'a git repo has no phases setting');
    await context.close();
  });

  it('grants: a repo admin adds and removes a user (confirmed); the user gains and loses access at once', async () => {
    const { context, page } = await signedIn('alice');
    const bob = await signedIn('bob');
    assert.equal((await bob.page.goto(`${server.baseUrl}/team/hgapp`))?.status(), 404);
    await page.goto(`${server.baseUrl}/team/hgapp/-/settings`);
    await page.fill('#grant-user', 'bob');
    await page.selectOption('#grant-level', 'write');
    await submit(page, 'form[action$="/-/settings/grants"] button[type=submit]');
    assert.match((await page.textContent('#grants')) ?? '', /bob\s*write/);
    assert.match((await page.textContent('#grants')) ?? '', /alice\s*admin\s*through the group team\//);
    assert.equal((await bob.page.goto(`${server.baseUrl}/team/hgapp`))?.status(), 200, 'bob reads it now');
    assert.match((await server.cliOk(['grant', 'list'])).stdout, /^bob\s+team\/hgapp\s+write$/m);
    await page.fill('#grant-user', 'nobody');
    await submit(page, 'form[action$="/-/settings/grants"] button[type=submit]');
    assert.match((await page.textContent('[role=alert]')) ?? '', /no user named nobody/);

    await submit(page, '#grants a.button.danger');
    assert.match(page.url(), /\/team\/hgapp\/-\/settings\/grants\/remove\?user=bob$/);
    assert.match((await page.textContent('#confirm')) ?? '', /bob loses the write grant/);
    await submit(page, '#confirm button[type=submit]');
    assert.match((await page.textContent('[role=status]')) ?? '', /Removed bob's access/);
    assert.equal((await bob.page.goto(`${server.baseUrl}/team/hgapp`))?.status(), 404, 'bob lost it on his next request');
    await bob.context.close();
    await context.close();
  });

  it('deploy keys: added read-write on the page, it clones and pushes with git over SSH; removed (confirmed), it is refused', async () => {
    const { context, page } = await signedIn('alice');
    const key = await makeKey(tempDir('ferry-ws-dk-'), 'deploy');
    const ci = await makeClient(server, 'ci', key);
    await page.goto(`${server.baseUrl}/team/gitapp/-/settings`);
    await page.fill('#deploy-key', `${key.publicLine}`);
    await page.check('input[name=write]');
    await submit(page, 'form[action$="/-/settings/deploy-keys"] button[type=submit]');
    assert.match((await page.textContent('#deploy-key-list')) ?? '', new RegExp(`${key.fingerprint.replace(/[+/]/g, '\\$&')}\\s*read-write`));
    assert.match((await server.cliOk(['deploy-key', 'list', 'team/gitapp'])).stdout, /read-write/);
    const work = join(tempDir('ferry-ws-dkc-'), 'w');
    await runOk('git', ['clone', '-q', ci.sshUrl('team/gitapp'), work], { env: ci.env });
    writeFileSync(join(work, 'ci.txt'), 'ci\n');
    await runOk('git', ['-C', work, 'add', '.'], { env: ci.env });
    await runOk('git', ['-C', work, 'commit', '-q', '-m', 'from ci'], { env: ci.env });
    await runOk('git', ['-C', work, 'push', '-q', 'origin', 'main'], { env: ci.env });
    // The same key again is refused with a clear line, and nothing changes.
    await page.fill('#deploy-key', `${key.publicLine}`);
    await submit(page, 'form[action$="/-/settings/deploy-keys"] button[type=submit]');
    assert.match((await page.textContent('[role=alert]')) ?? '', /already in use/);

    await submit(page, '#deploy-key-list a.button.danger');
    await submit(page, '#confirm button[type=submit]');
    assert.match((await page.textContent('#deploy-key-list')) ?? '', /No deploy keys/);
    const refused = await ci.git(['ls-remote', ci.sshUrl('team/gitapp')]);
    assert.notEqual(refused.code, 0, 'the removed deploy key no longer reaches the repo');
    await context.close();
  });

  it('settings are for repo admins only: 404 for a private repo, 403 for a public one, decided on every request (a removed admin cannot post)', async () => {
    for (const p of ['/team/hgapp/-/settings', '/team/hgapp/-/settings/delete']) assert.equal((await fetch(`${server.baseUrl}${p}`)).status, 404, `${p} anonymous`);
    assert.equal((await fetch(`${server.baseUrl}/team/gitapp/-/settings`)).status, 403, 'anonymous on a public repo');
    await server.cliOk(['grant', 'bob', 'team/gitapp', 'write']);
    const bob = await signedIn('bob');
    assert.equal((await bob.page.goto(`${server.baseUrl}/team/gitapp/-/settings`))?.status(), 403, 'a writer is no admin');
    assert.equal(await bob.page.locator('nav.tabs a', { hasText: 'Settings' }).count(), 0);
    assert.equal((await bob.page.goto(`${server.baseUrl}/team/hgapp/-/settings`))?.status(), 404, 'a private repo bob cannot see');
    const csrf = await bob.page.evaluate(() => (document.querySelector('input[name=csrf]') as HTMLInputElement | null)?.value ?? '');
    const posted = await bob.page.request.post(`${server.baseUrl}/team/gitapp/-/settings/visibility`, { form: { csrf, public: '0' }, maxRedirects: 0 });
    assert.equal(posted.status(), 403, 'a writer posting with a valid token is refused');
    await bob.context.close();
    await server.cliOk(['revoke', 'bob', 'team/gitapp']);

    // An admin's page left open after the grant is taken away cannot post.
    await server.cliOk(['grant', 'bob', 'team/gitapp', 'admin']);
    const again = await signedIn('bob');
    await again.page.goto(`${server.baseUrl}/team/gitapp/-/settings`);
    await server.cliOk(['revoke', 'bob', 'team/gitapp']);
    const [response] = await Promise.all([again.page.waitForNavigation(), again.page.click('#toggle-visibility')]);
    assert.equal(response?.status(), 403);
    assert.equal((await fetch(`${server.baseUrl}/team/gitapp`)).status, 200, 'still public: the post did nothing');
    await again.context.close();
  });

  it('a settings POST without the CSRF token, or from another origin, is refused (curl with the session cookie)', async () => {
    const { context, page } = await signedIn('alice');
    await page.goto(`${server.baseUrl}/team/gitapp/-/settings`);
    const cookie = await cookieHeader(context);
    const csrf = await page.evaluate(() => (document.querySelector('input[name=csrf]') as HTMLInputElement).value);
    const curl = (args: string[]): Promise<string> => runOk('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', `Cookie: ${cookie}`, ...args]).then((r) => r.stdout);
    assert.equal(await curl(['-d', 'public=0', `${server.baseUrl}/team/gitapp/-/settings/visibility`]), '403', 'no token');
    assert.equal(await curl(['-d', `public=0&csrf=${'x'.repeat(32)}`, `${server.baseUrl}/team/gitapp/-/settings/visibility`]), '403', 'a wrong token');
    assert.equal(await curl(['-H', 'Origin: http://evil.example', '-d', `public=0&csrf=${csrf}`, `${server.baseUrl}/team/gitapp/-/settings/visibility`]), '403', 'another origin');
    assert.equal(await curl(['-d', `confirmed=1&confirm_path=team/gitapp`, `${server.baseUrl}/team/gitapp/-/settings/delete`]), '403', 'a delete without a token');
    assert.equal((await fetch(`${server.baseUrl}/team/gitapp`)).status, 200, 'still there and public');
    assert.equal(await curl(['-d', `public=0&csrf=${csrf}`, `${server.baseUrl}/team/gitapp/-/settings/visibility`]), '303', 'the right token works (control)');
    assert.equal(await curl(['-d', `public=1&csrf=${csrf}`, `${server.baseUrl}/team/gitapp/-/settings/visibility`]), '303');
    await context.close();
  });

  it('rename keeps a redirect that git follows, refuses a namespace the admin does not own; delete asks for the path typed', async () => {
    await server.cliOk(['repo', 'create', 'team/old', '--git', '--public']);
    await server.cliOk(['repo', 'create', 'team/doomed']);
    const { context, page } = await signedIn('alice');
    await page.goto(`${server.baseUrl}/team/old/-/settings`);
    await page.fill('#new-path', 'root/stolen');
    await submit(page, '#rename button[type=submit]');
    assert.match((await page.textContent('[role=alert]')) ?? '', /alice may not create repositories at root\/stolen/);
    await page.fill('#new-path', 'team/new');
    await submit(page, '#rename button[type=submit]');
    assert.match(page.url(), /\/team\/new\/-\/settings$/);
    const moved = await runOk('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', `${server.baseUrl}/team/old`]);
    assert.equal(moved.stdout, `301 ${server.baseUrl}/team/new`);
    const ls = await run('git', ['ls-remote', `${server.baseUrl}/team/old`], { env: alice.env });
    assert.equal(ls.code, 0, `git follows the redirect: ${ls.stderr}`);

    await page.goto(`${server.baseUrl}/team/doomed/-/settings`);
    await submit(page, '#delete-link');
    await page.fill('#confirm-path', 'team/wrong');
    await submit(page, '#confirm button[type=submit]');
    assert.match((await page.textContent('[role=alert]')) ?? '', /type the repository's path, team\/doomed/);
    assert.match((await server.cliOk(['repo', 'list'])).stdout, /team\/doomed/);
    await page.fill('#confirm-path', 'team/doomed');
    await submit(page, '#confirm button[type=submit]');
    assert.equal(new URL(page.url()).pathname, '/');
    assert.doesNotMatch((await server.cliOk(['repo', 'list'])).stdout, /team\/doomed/);
    assert.equal((await fetch(`${server.baseUrl}/team/doomed`)).status, 404);
    await context.close();
  });

  it('a mirror says so on its page (source and last error only to writers, never a credential); sync now, schedule, refused force-push in ferry mirror list', async () => {
    const url = `${http.url}src.git`;
    await server.cliOk(['import', url, 'mirrors/lib', '--mirror', '--every', '1h', '--public'], { env: { FERRY_IMPORT_USER: 'mirror-bot', FERRY_IMPORT_PASSWORD: MIRROR_PASSWORD } });
    await server.cliOk(['grant', 'alice', 'mirrors/lib', 'write']);
    await server.cliOk(['grant', 'bob', 'mirrors/lib', 'read']);
    await source.commit('ahead');
    const root = await signedIn('root');
    await root.page.goto(`${server.baseUrl}/mirrors/lib/-/settings`);
    assert.equal(await root.page.textContent('#mirror-source'), url);
    assert.match((await root.page.textContent('#mirror-last-sync')) ?? '', /never/);
    await submit(root.page, '#sync-now');
    assert.match((await root.page.textContent('[role=status]')) ?? '', /Synced/);
    assert.match((await root.page.textContent('#mirror-last-sync')) ?? '', /20\d\d-.*\(worked\)/);
    await root.page.fill('#mirror-every', '2h');
    await submit(root.page, 'form[action$="/mirror/schedule"] button[type=submit]');
    assert.match((await root.page.textContent('[role=status]')) ?? '', /Syncs every 2h/);
    assert.match((await server.cliOk(['mirror', 'list'])).stdout, /^mirrors\/lib\s+git\s+\S+\s+2h\s/m);
    await root.page.fill('#mirror-every', 'soon');
    await submit(root.page, 'form[action$="/mirror/schedule"] button[type=submit]');
    assert.match((await root.page.textContent('[role=alert]')) ?? '', /invalid duration "soon"/);

    // Upstream rewrites main: the mirror keeps its history and says why, everywhere.
    await source.git('-C', source.work, 'checkout', '--quiet', 'main');
    await source.git('-C', source.work, 'reset', '--quiet', '--hard', 'HEAD~1');
    await source.commit('rewritten', { force: true });
    await submit(root.page, '#sync-now');
    assert.match((await root.page.textContent('[role=alert]')) ?? '', /refused/);
    assert.match((await root.page.textContent('#mirror-error')) ?? '', /upstream rewrote main \(non-fast-forward\)/);
    const list = (await server.cliOk(['mirror', 'list'])).stdout;
    assert.match(list, /^mirrors\/lib\s+git\s+http:\/\/127\.0\.0\.1:\d+\/src\.git\s+2h\s+20\d\d-\S+\s+20\d\d-\S+\s+1\s+20\d\d-\S+\s+sync of mirrors\/lib refused: upstream rewrote main/m);
    assert.ok(!list.includes(MIRROR_PASSWORD) && !list.includes('mirror-bot'), 'no credential in ferry mirror list');

    const writer = await signedIn('alice');
    await writer.page.goto(`${server.baseUrl}/mirrors/lib`);
    assert.match((await writer.page.textContent('#mirror-status')) ?? '', /Mirror/);
    assert.equal(await writer.page.textContent('#mirror-source'), `of ${url}`);
    assert.match((await writer.page.textContent('#mirror-error')) ?? '', /upstream rewrote main/);
    assert.match((await writer.page.textContent('#mirror-next')) ?? '', /20\d\d-.* UTC \(every 2h\)/);
    const reader = await signedIn('bob');
    await reader.page.goto(`${server.baseUrl}/mirrors/lib`);
    const seen = (await reader.page.textContent('#mirror-status')) ?? '';
    assert.match(seen, /Mirror/);
    assert.match(seen, /failed/);
    assert.equal(await reader.page.locator('#mirror-source').count(), 0, 'a reader does not see the source');
    assert.equal(await reader.page.locator('#mirror-error').count(), 0, 'nor the error that may name it');
    const anon = await (await fetch(`${server.baseUrl}/mirrors/lib`)).text();
    assert.ok(!anon.includes('src.git'), 'anonymous visitors do not see the source');
    for (const p of [root.page, writer.page]) {
      const body = await p.content();
      assert.ok(!body.includes(MIRROR_PASSWORD) && !body.includes('mirror-bot'), 'no credential on the page');
    }
    for (const viewport of VIEWPORTS) {
      for (const scheme of SCHEMES) {
        const ctx = await signedIn('root', viewport, scheme);
        await ctx.page.goto(`${server.baseUrl}/mirrors/lib/-/settings`);
        await assertFits(ctx.page, '#mirror', 'the mirror section');
        await ctx.page.screenshot({ path: join(SHOTS, `settings-mirror-${viewport.name}-${scheme}.png`), fullPage: true });
        await ctx.page.goto(`${server.baseUrl}/mirrors/lib`);
        await assertFits(ctx.page, '#mirror-status', 'the mirror status');
        await ctx.page.screenshot({ path: join(SHOTS, `mirror-page-${viewport.name}-${scheme}.png`), fullPage: true });
        await ctx.context.close();
      }
    }
    await submit(root.page, '#mirror a.button.danger');
    await submit(root.page, '#confirm button[type=submit]');
    assert.doesNotMatch((await server.cliOk(['mirror', 'list'])).stdout, /mirrors\/lib/);
    for (const c of [root, writer, reader]) await c.context.close();
  });

  it('settings pages fit at 1280 and 390 px, light and dark, and work without JavaScript', async () => {
    for (const viewport of VIEWPORTS) {
      for (const scheme of SCHEMES) {
        const context = await browser.newContext({ viewport, colorScheme: scheme, javaScriptEnabled: false });
        const page = await context.newPage();
        await signIn(page, server.baseUrl, 'root', 'root-password');
        for (const [path, name] of [['/team/hgapp/-/settings', 'repo-hg'], ['/team/gitapp/-/settings', 'repo-git'], ['/team/gitapp/-/settings/delete', 'delete'], ['/-/settings', 'account'], ['/-/admin', 'admin']] as const) {
          await page.goto(`${server.baseUrl}${path}`);
          await assertFits(page, 'main', `${name} page`);
          await page.screenshot({ path: join(SHOTS, `settings-${name}-${viewport.name}-${scheme}.png`), fullPage: true });
        }
        await context.close();
      }
    }
  });

  it('a web session survives ferry user passwd: a new password (own change, admin reset, CLI) signs the user out everywhere else', async () => {
    const first = await signedIn('bob');
    const second = await signedIn('bob');
    await first.page.goto(`${server.baseUrl}/-/settings`);
    await first.page.fill('#current-password', 'wrong-password');
    await first.page.fill('#new-password', 'bob-password-2');
    await first.page.fill('#repeat-password', 'bob-password-2');
    await submit(first.page, '#password button[type=submit]');
    assert.match((await first.page.textContent('[role=alert]')) ?? '', /current password is not right/);
    await first.page.fill('#current-password', 'bob-password');
    await first.page.fill('#new-password', 'bob-password-2');
    await first.page.fill('#repeat-password', 'bob-password-3');
    await submit(first.page, '#password button[type=submit]');
    assert.match((await first.page.textContent('[role=alert]')) ?? '', /two new passwords differ/);
    await first.page.fill('#current-password', 'bob-password');
    await first.page.fill('#new-password', 'bob-password-2');
    await first.page.fill('#repeat-password', 'bob-password-2');
    await submit(first.page, '#password button[type=submit]');
    assert.match((await first.page.textContent('[role=status]')) ?? '', /Password changed/);
    await first.page.reload();
    assert.match(new URL(first.page.url()).pathname, /^\/-\/settings$/, 'the session that changed it goes on');
    await second.page.goto(`${server.baseUrl}/-/settings`);
    assert.match(new URL(second.page.url()).pathname, /^\/-\/signin$/, 'the other session ended');
    const basic = (password: string): Promise<number> =>
      fetch(`${server.baseUrl}/team/gitapp/info/refs?service=git-upload-pack`, { headers: { Authorization: `Basic ${Buffer.from(`bob:${password}`).toString('base64')}` } }).then((r) => r.status);
    assert.equal(await basic('bob-password-2'), 200, 'the new password works over HTTP');

    // The admin page's reset ends bob's sessions too.
    const root = await signedIn('root');
    await root.page.goto(`${server.baseUrl}/-/admin`);
    const row = root.page.locator('#users li', { hasText: 'bob' });
    await row.locator('summary', { hasText: 'Reset password' }).click();
    await row.locator('input[name=password]').fill('bob-password-4');
    await Promise.all([root.page.waitForNavigation(), row.locator('form[action="/-/admin/users/password"] button').click()]);
    assert.match((await root.page.textContent('[role=status]')) ?? '', /New password set for bob/);
    await first.page.goto(`${server.baseUrl}/-/settings`);
    assert.match(new URL(first.page.url()).pathname, /^\/-\/signin$/, 'the admin reset signed bob out');
    await root.page.goto(`${server.baseUrl}/-/admin`);
    assert.equal(new URL(root.page.url()).pathname, '/-/admin', 'the admin who reset it stays signed in');

    // And so does `ferry user passwd`, the case the issue reported.
    const third = await first.context.newPage();
    await signIn(third, server.baseUrl, 'bob', 'bob-password-4');
    await server.cliOk(['user', 'passwd', 'bob'], { input: 'bob-password\n' });
    await third.goto(`${server.baseUrl}/-/settings`);
    assert.match(new URL(third.url()).pathname, /^\/-\/signin$/, 'ferry user passwd signed bob out of the web');
    for (const c of [first, second, root]) await c.context.close();
  });

  it('tokens show their expiry; made on the web with one; an expired token is refused over HTTP by hg and git', async () => {
    const { context, page } = await signedIn('bob');
    await page.goto(`${server.baseUrl}/-/settings`);
    await page.fill('#label', 'laptop');
    await page.selectOption('#expires', '7');
    await submit(page, 'form[action="/-/settings/tokens"] button[type=submit]');
    const token = (await page.textContent('#new-token')) ?? '';
    const expiry = (await page.textContent('#tokens .token-expiry')) ?? '';
    const expected = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    assert.match(expiry, new RegExp(`^expires ${expected} \\d\\d:\\d\\d UTC$`));
    assert.match((await server.cliOk(['token', 'list', 'bob'])).stdout, new RegExp(`laptop`));
    assert.match((await server.cliOk(['token', 'list', 'bob'])).stdout, new RegExp(`${expected}T`));
    const status = (t: string): Promise<number> =>
      fetch(`${server.baseUrl}/team/gitapp/info/refs?service=git-upload-pack`, { headers: { Authorization: `Basic ${Buffer.from(`x:${t}`).toString('base64')}` } }).then((r) => r.status);
    assert.equal(await status(token), 200);

    await server.cliOk(['grant', 'bob', 'team/hgapp', 'read']);
    await server.cliOk(['repo', 'set', 'team/gitapp', '--private']);
    await server.cliOk(['grant', 'bob', 'team/gitapp', 'read']);
    // Tokens last at least an hour: made for one, then its expiry is moved into the past.
    const made = await server.cliOk(['token', 'add', 'bob', '--expires', '1h', '--label', 'short']);
    const expiresAt = Date.parse(/expires (20\d\d-\S+);/.exec(made.stderr)?.[1] ?? '');
    assert.ok(expiresAt > Date.now(), made.stderr);
    const short = made.stdout.trim();
    const hgUrl = `http://bob:${short}@127.0.0.1:${server.httpPort}/team/hgapp`;
    const gitUrl = `http://bob:${short}@127.0.0.1:${server.httpPort}/team/gitapp`;
    const before = await run('hg', ['identify', hgUrl], { env: alice.env });
    assert.equal(before.code, 0, `hg reads with the token before it expires: ${before.stderr}`);
    const gitBefore = await run('git', ['ls-remote', gitUrl], { env: alice.env });
    assert.equal(gitBefore.code, 0, `git reads with it too: ${gitBefore.stderr}`);
    expireToken(server.dataDir, 'short');
    assert.notEqual((await run('hg', ['identify', hgUrl], { env: alice.env })).code, 0, 'hg is refused once it expired');
    assert.notEqual((await run('git', ['ls-remote', gitUrl], { env: alice.env })).code, 0, 'git is refused once it expired');
    assert.equal(await status(short), 401);
    assert.match((await server.cliOk(['token', 'list', 'bob'])).stdout, /\(expired\)\s+\S+\s+short/);
    await page.reload();
    assert.match((await page.textContent('#tokens')) ?? '', /expired 20\d\d-/);
    const bad = await server.cli(['token', 'add', 'bob', '--expires', 'soon']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid duration "soon"/);
    await context.close();
  });

  it('the admin page renames and deletes repositories (path typed) and its forms are CSRF-protected', async () => {
    await server.cliOk(['repo', 'create', 'ops/tool', '--git']);
    const root = await signedIn('root');
    await root.page.goto(`${server.baseUrl}/-/admin`);
    const row = root.page.locator('#repos li', { hasText: 'ops/tool' });
    await row.locator('summary', { hasText: 'Rename' }).click();
    await row.locator('input[name=to]').fill('ops/tool2');
    await Promise.all([root.page.waitForNavigation(), row.locator('form[action="/-/admin/repos/rename"] button').click()]);
    assert.match((await root.page.textContent('[role=status]')) ?? '', /Renamed ops\/tool to ops\/tool2/);
    assert.match((await server.cliOk(['repo', 'list'])).stdout, /ops\/tool2/);
    const cookie = await cookieHeader(root.context);
    const forged = await runOk('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', `Cookie: ${cookie}`, '-d', 'path=ops/tool2&confirmed=1&confirm_path=ops/tool2', `${server.baseUrl}/-/admin/repos/delete`]);
    assert.equal(forged.stdout, '403');
    await root.page.locator('#repos li', { hasText: 'ops/tool2' }).locator('a', { hasText: 'Delete' }).click();
    await root.page.waitForURL(/\/-\/admin\/repos\/delete\?path=/);
    await root.page.fill('#confirm-path', 'ops/tool');
    await submit(root.page, '#confirm button[type=submit]');
    assert.match((await root.page.textContent('[role=alert]')) ?? '', /type the repository's path, ops\/tool2/);
    await root.page.fill('#confirm-path', 'ops/tool2');
    await submit(root.page, '#confirm button[type=submit]');
    assert.match((await root.page.textContent('[role=status]')) ?? '', /Deleted ops\/tool2/);
    assert.doesNotMatch((await server.cliOk(['repo', 'list'])).stdout, /ops\/tool/);
    await root.context.close();
  });
});
