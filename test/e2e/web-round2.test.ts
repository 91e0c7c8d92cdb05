/**
 * The web UI, round two (issue 15): layouts that fit at 1280 and 390 px in light and dark, the
 * live filter, clone commands, big diffs, confirmed destructive actions, the last admin, hg named
 * branches in the repo page, the log past its end, tag order and images. Driven in Chromium and
 * with plain HTTP requests. Screenshots land in FERRY_SHOTS (default: a temp dir) to look at.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, signIn } from './browser.js';
import { addUser, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><script>window.__svg = 1</script><rect width="40" height="20" fill="#0b63c5"/></svg>\n`;
const SHOTS = process.env['FERRY_SHOTS'] ?? tempDir('ferry-shots-');
const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;
const SCHEMES = ['light', 'dark'] as const;

function lines(n: number, prefix: string): string {
  return Array.from({ length: n }, (_, i) => `${prefix} line ${i + 1}`).join('\n') + '\n';
}

/** Asserts that an element lies inside the viewport's width (not cut off, no sideways scroll). */
async function assertFits(page: Page, selector: string, what: string): Promise<void> {
  const box = await page.locator(selector).first().boundingBox();
  const width = page.viewportSize()?.width ?? 0;
  assert.ok(box, `${what} is rendered`);
  assert.ok(box.x >= 0 && box.x + box.width <= width + 0.5, `${what} fits in ${width} px: x=${box.x} width=${box.width}`);
  const overflow = await page.locator(selector).first().evaluate((el) => el.scrollWidth - el.clientWidth);
  assert.ok(overflow <= 1, `${what} shows its whole text (overflow ${overflow} px)`);
}

describe('web UI round two', () => {
  let server: FerryServer;
  let alice: Client;
  let browser: Browser;
  let bigCommit = '';
  let hugeCommit = '';

  before(async () => {
    server = await startFerry();
    alice = await addUser(server, 'alice');
    await server.cliOk(['user', 'add', 'root', '--admin']);
    await server.cliOk(['user', 'passwd', 'root'], { input: 'root-password\n' });
    await server.cliOk(['user', 'passwd', 'alice'], { input: 'alice-password\n' });
    await server.cliOk(['repo', 'create', 'team/app', '--public']);
    await server.cliOk(['repo', 'create', 'team/site', '--git', '--public']);
    await server.cliOk(['repo', 'create', 'team/empty-with-a-rather-long-name', '--git', '--public']);
    await server.cliOk(['repo', 'create', 'other/tool', '--public']);
    await server.cliOk(['grant', 'alice', 'team/', 'write']);
    const hg = (args: string[]): Promise<unknown> => runOk('hg', ['-R', work, ...args], { env: alice.env });
    const work = join(tempDir('ferry-r2-hg-'), 'app');
    await alice.hg(['init', work]);
    writeFileSync(join(work, 'README.md'), '# App\n');
    mkdirSync(join(work, 'img'));
    writeFileSync(join(work, 'img', 'dot.png'), PNG_1X1);
    writeFileSync(join(work, 'img', 'logo.svg'), SVG);
    await hg(['commit', '-A', '-m', 'default: first']);
    await hg(['tag', 'v1.0']);
    await hg(['branch', 'stable']);
    writeFileSync(join(work, 'stable.txt'), 'stable\n');
    await hg(['commit', '-A', '-m', 'stable: only on stable']);
    await hg(['update', 'default']);
    await hg(['merge', 'stable']);
    await hg(['commit', '-m', 'default: merge stable']);
    await hg(['branch', 'old']);
    writeFileSync(join(work, 'old.txt'), 'old\n');
    await hg(['commit', '-A', '-m', 'old: work']);
    await hg(['commit', '--close-branch', '-m', 'old: closed']);
    await hg(['update', 'default']);
    writeFileSync(join(work, 'big.txt'), lines(20_000, 'big'));
    writeFileSync(join(work, 'small.txt'), 'small\n');
    await hg(['commit', '-A', '-m', 'default: a 20,000-line file and a small one']);
    await hg(['tag', 'v1.1']);
    writeFileSync(join(work, 'huge.txt'), lines(60_000, 'huge'));
    await hg(['commit', '-A', '-m', 'default: a 60,000-line file']);
    await hg(['push', '--new-branch', alice.sshUrl('team/app')]);
    const ids = await runOk('hg', ['-R', work, 'log', '-r', 'desc("20,000") + desc("60,000")', '-T', '{node}\\n'], { env: alice.env });
    [bigCommit, hugeCommit] = ids.stdout.trim().split('\n') as [string, string];

    const git = join(tempDir('ferry-r2-git-'), 'site');
    await alice.git(['init', '-q', '-b', 'main', git]);
    writeFileSync(join(git, 'index.js'), 'console.log(1);\n');
    await runOk('git', ['-C', git, 'add', '.'], { env: alice.env });
    await runOk('git', ['-C', git, 'commit', '-q', '-m', 'git: first'], { env: alice.env });
    await runOk('git', ['-C', git, 'tag', 'v1.0'], { env: alice.env });
    writeFileSync(join(git, 'index.js'), 'console.log(2);\n');
    await runOk('git', ['-C', git, 'commit', '-q', '-am', 'git: second'], { env: alice.env });
    await runOk('git', ['-C', git, 'tag', 'v1.1'], { env: alice.env });
    await runOk('git', ['-C', git, 'push', '-q', alice.sshUrl('team/site'), 'main', '--tags'], { env: alice.env });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function contextFor(viewport: (typeof VIEWPORTS)[number], scheme: (typeof SCHEMES)[number], javaScriptEnabled = true): Promise<BrowserContext> {
    return browser.newContext({ viewport: { width: viewport.width, height: viewport.height }, colorScheme: scheme, javaScriptEnabled });
  }

  it('the empty-repo page shows its push commands whole, at 1280 and 390 px, light and dark', async () => {
    for (const viewport of VIEWPORTS) {
      for (const scheme of SCHEMES) {
        const context = await contextFor(viewport, scheme);
        const page = await context.newPage();
        await page.goto(`${server.baseUrl}/team/empty-with-a-rather-long-name`);
        await assertFits(page, '#empty-repo', 'the empty-repo box');
        await assertFits(page, '#push-commands', 'the push commands');
        const box = await page.locator('#empty-repo').boundingBox();
        assert.ok(box && box.width >= Math.min(viewport.width - 40, 500), `the box is not a narrow strip: ${box?.width} px`);
        const push = await page.locator('#push-commands').boundingBox();
        assert.ok(push && push.height < 120, `two commands do not wrap a letter per line: ${push?.height} px high`);
        await page.screenshot({ path: join(SHOTS, `empty-${viewport.name}-${scheme}.png`), fullPage: true });
        await context.close();
      }
    }
  });

  it('the live filter hides the repos that do not match ([hidden] wins over display rules)', async () => {
    const context = await contextFor(VIEWPORTS[0], 'light');
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/`);
    await page.fill('#repo-filter', 'site');
    assert.equal(await page.locator('li[data-repo="team/site"]').isVisible(), true);
    assert.equal(await page.locator('li[data-repo="team/app"]').isVisible(), false, 'team/app is hidden');
    assert.equal(await page.locator('li[data-repo="team/app"]').evaluate((el) => getComputedStyle(el).display), 'none');
    assert.equal(await page.locator('section[data-group="other"]').isVisible(), false, 'a group with no match is hidden');
    await page.fill('#repo-filter', '');
    assert.equal(await page.locator('li[data-repo="team/app"]').isVisible(), true);
    await context.close();
    // Without JavaScript the copy buttons (hidden until the script shows them) stay hidden.
    const noJs = await contextFor(VIEWPORTS[0], 'light', false);
    const plain = await noJs.newPage();
    await plain.goto(`${server.baseUrl}/team/app`);
    assert.ok((await plain.locator('button[data-copy]').count()) > 0);
    for (const b of await plain.locator('button[data-copy]').all()) assert.equal(await b.isVisible(), false, 'copy button hidden without JS');
    await noJs.close();
  });

  it('clone commands on the repo page are shown whole, at 1280 and 390 px, light and dark', async () => {
    for (const viewport of VIEWPORTS) {
      for (const scheme of SCHEMES) {
        const context = await contextFor(viewport, scheme);
        const page = await context.newPage();
        await page.goto(`${server.baseUrl}/team/app`);
        for (const id of ['#clone-ssh', '#clone-http', '#cdn-url']) await assertFits(page, id, id);
        assert.match((await page.textContent('#clone-http')) ?? '', new RegExp(`^hg clone ${server.baseUrl}/team/app$`));
        await page.screenshot({ path: join(SHOTS, `repo-${viewport.name}-${scheme}.png`), fullPage: true });
        await context.close();
      }
    }
  });

  it('a commit names every file, links a big file to its own diff page (no JS), and caps one file', async () => {
    const context = await contextFor(VIEWPORTS[1], 'dark', false);
    const page = await context.newPage();
    await page.goto(`${server.baseUrl}/team/app/-/commit/${bigCommit}`);
    const index = (await page.textContent('#changed-files')) ?? '';
    assert.ok(index.includes('big.txt') && index.includes('small.txt') && index.includes('.hgtags') === false, `every file named: ${index}`);
    assert.ok(!((await page.textContent('main')) ?? '').includes('not shown.'.repeat(2)));
    const load = page.locator('#file-0 a.load-diff, .deferred:has-text("big.txt") a.load-diff').first();
    assert.match((await load.getAttribute('href')) ?? '', /\?file=big\.txt$/);
    await page.screenshot({ path: join(SHOTS, `commit-big-phone-dark.png`), fullPage: false });
    await Promise.all([page.waitForURL(/\?file=big\.txt$/, { waitUntil: 'load' }), load.click()]);
    await page.locator('#diff-cut').waitFor();
    assert.equal(await page.locator('table.diff tr').count(), 5000, 'one file capped at 5000 diff lines');
    assert.match((await page.textContent('#diff-cut')) ?? '', /15001 more diff lines/);
    await assertFits(page, '.fhead', 'the file header');
    await context.close();
    // A 60,000-line file does not send megabytes of HTML on the commit page, nor on its own.
    for (const url of [`/team/app/-/commit/${hugeCommit}`, `/team/app/-/commit/${hugeCommit}?file=huge.txt`]) {
      const res = await fetch(`${server.baseUrl}${url}`);
      assert.equal(res.status, 200);
      const size = (await res.arrayBuffer()).byteLength;
      assert.ok(size < 1_000_000, `${url}: ${size} bytes of HTML`);
    }
    assert.equal((await fetch(`${server.baseUrl}/team/app/-/commit/${bigCommit}?file=nope.txt`)).status, 404);
  });

  it('removing admin rights is confirmed; the only admin cannot be removed (web and CLI); POSTs answer 303', async () => {
    const context = await contextFor(VIEWPORTS[1], 'light', false);
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'root', 'root-password');
    await page.goto(`${server.baseUrl}/-/admin`);
    const statuses: number[] = [];
    page.on('response', (r) => {
      if (r.request().method() === 'POST') statuses.push(r.status());
    });
    await page.click('#users li:has-text("root") a:text("Remove admin")');
    assert.match(page.url(), /\/-\/admin\/users\/admin\?name=root&admin=0$/);
    await page.screenshot({ path: join(SHOTS, 'confirm-phone-light.png'), fullPage: true });
    await assertFits(page, '#confirm', 'the confirmation box');
    await page.click('#confirm button[type=submit]');
    assert.match(page.url(), /\/-\/admin$/);
    assert.match((await page.textContent('.error')) ?? '', /only admin/);
    assert.deepEqual(statuses, [303]);
    assert.match((await server.cliOk(['user', 'list'])).stdout, /root\s+admin/);
    // The same rule in the CLI.
    for (const args of [['user', 'admin', 'root', '--off'], ['user', 'rm', 'root']]) {
      const r = await server.cli(args);
      assert.notEqual(r.code, 0, `ferry ${args.join(' ')} refused`);
      assert.match(r.stderr + r.stdout, /only admin/);
    }
    // A post without CSRF token is refused; one without confirmation is sent to the confirmation page.
    const csrf = await page.locator('input[name=csrf]').first().getAttribute('value');
    const bare = await context.request.post(`${server.baseUrl}/-/admin/users/admin`, { form: { name: 'root', admin: '0' }, maxRedirects: 0 });
    assert.equal(bare.status(), 403);
    const unconfirmed = await context.request.post(`${server.baseUrl}/-/admin/users/admin`, { form: { name: 'root', admin: '0', csrf: csrf ?? '' }, maxRedirects: 0 });
    assert.equal(unconfirmed.status(), 303);
    assert.equal(unconfirmed.headers()['location'], '/-/admin/users/admin?name=root&admin=0');
    // With a second admin, root may step down and lands on the home page, not a 404.
    await page.goto(`${server.baseUrl}/-/admin`);
    await page.click('#users li:has-text("alice") button:text("Make admin")');
    await page.click('#users li:has-text("root") a:text("Remove admin")');
    const [landed] = await Promise.all([page.waitForNavigation(), page.click('#confirm button[type=submit]')]);
    assert.equal(landed?.status(), 200);
    assert.equal(new URL(page.url()).pathname, '/');
    assert.match((await server.cliOk(['user', 'list'])).stdout, /root\s+user/);
    assert.ok(statuses.every((s) => s === 303), `every POST answered 303: ${statuses.join(',')}`);
    await context.close();
  });

  it('removing a key and revoking a token are confirmed, and a new token survives the 303', async () => {
    const context = await contextFor(VIEWPORTS[0], 'dark', false);
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'alice', 'alice-password');
    await page.goto(`${server.baseUrl}/-/settings`);
    await page.fill('#label', 'ci');
    const [created] = await Promise.all([page.waitForNavigation(), page.click('form[action="/-/settings/tokens"] button')]);
    assert.match(page.url(), /\/-\/settings$/);
    assert.equal(created?.request().redirectedFrom()?.method(), 'POST');
    assert.match((await page.textContent('#new-token')) ?? '', /^ferry_/);
    await page.reload();
    assert.equal(await page.locator('#new-token').count(), 0, 'shown once: a reload neither posts again nor shows it again');
    assert.equal((await page.locator('#tokens li').count()), 1, 'one token, not two');
    await page.click('#tokens li:has-text("ci") a:text("Revoke")');
    assert.match((await page.textContent('#confirm')) ?? '', /Revoke this token/);
    await page.click('#confirm a:text("Cancel")');
    assert.equal(await page.locator('#tokens li:has-text("ci")').count(), 1, 'cancel keeps it');
    await page.click('#tokens li:has-text("ci") a:text("Revoke")');
    await Promise.all([page.waitForNavigation(), page.click('#confirm button[type=submit]')]);
    assert.match((await page.textContent('[role=status]')) ?? '', /Token revoked/);
    assert.equal(await page.locator('#tokens li:has-text("ci")').count(), 0);
    await context.close();
  });

  it('hg default on the repo page lists only default; the log past its end is a 404; branch states; tag order', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.baseUrl}/team/app`);
    const recent = (await page.textContent('.area-files')) ?? '';
    assert.ok(recent.includes('default: merge stable'));
    assert.ok(!recent.includes('stable: only on stable') && !recent.includes('old: work'), `only default's changesets: ${recent}`);
    assert.equal((await fetch(`${server.baseUrl}/team/app/-/log?page=99`)).status, 404);
    assert.equal((await fetch(`${server.baseUrl}/team/site/-/log?page=99`)).status, 404);
    assert.equal((await fetch(`${server.baseUrl}/team/app/-/log?page=1`)).status, 200);
    await page.goto(`${server.baseUrl}/team/app/-/branches`);
    assert.equal(await page.textContent('#branch-list li[data-ref="stable"] .badge.state'), 'merged');
    assert.equal(await page.textContent('#branch-list li[data-ref="old"] .badge.state'), 'closed');
    assert.equal(await page.locator('#branch-list li[data-ref="default"] .badge.state').count(), 0);
    const order = await page.locator('#branch-list li').evaluateAll((els) => els.map((e) => e.getAttribute('data-ref')));
    assert.deepEqual(order, ['default', 'stable', 'old'], 'active, then merged, then closed');
    await page.screenshot({ path: join(SHOTS, 'branches-desktop-light.png'), fullPage: true });
    for (const repo of ['team/app', 'team/site']) {
      await page.goto(`${server.baseUrl}/${repo}/-/tags`);
      const tags = await page.locator('#tag-list li').evaluateAll((els) => els.map((e) => e.getAttribute('data-ref')));
      assert.deepEqual(tags, ['v1.1', 'v1.0'], `${repo}: newest first`);
    }
    await page.close();
  });

  it('shows png and svg images with <img> in the file view, never inline SVG markup', async () => {
    for (const scheme of SCHEMES) {
      const context = await contextFor(VIEWPORTS[1], scheme);
      const page = await context.newPage();
      for (const file of ['img/dot.png', 'img/logo.svg']) {
        const res = await page.goto(`${server.baseUrl}/team/app/-/files/default/${file}`);
        const body = (await res?.text()) ?? '';
        assert.ok(!body.includes('<svg') && !body.includes('__svg'), 'no SVG markup in the page');
        const width = await page.locator('img#image').evaluate((img) => (img as HTMLImageElement).naturalWidth);
        assert.ok(width > 0, `${file} loaded as an image`);
      }
      assert.equal(await page.evaluate(() => (window as unknown as { __svg?: number }).__svg), undefined);
      await page.screenshot({ path: join(SHOTS, `image-phone-${scheme}.png`), fullPage: true });
      await context.close();
    }
    const raw = await fetch(`${server.baseUrl}/team/app/-/raw/default/img/logo.svg`);
    assert.equal(raw.headers.get('content-type'), 'image/svg+xml');
    assert.match(raw.headers.get('content-security-policy') ?? '', /sandbox/);
  });
});
