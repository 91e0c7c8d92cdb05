import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium, signIn } from './browser.js';
import { startFerry, type FerryServer } from './harness.js';

describe('web access control in Chromium', () => {
  let server: FerryServer;
  let browser: Browser;

  before(async () => {
    server = await startFerry();
    await server.cliOk(['user', 'add', 'root', '--admin']);
    await server.cliOk(['user', 'passwd', 'root'], { input: 'root-password\n' });
    await server.cliOk(['user', 'add', 'bob']);
    await server.cliOk(['user', 'passwd', 'bob'], { input: 'bob-password\n' });
    await server.cliOk(['repo', 'create', 'secret/plans']);
    await server.cliOk(['repo', 'create', 'open/lib', '--public']);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('hides private repositories from anonymous visitors and from users without a grant (404)', async () => {
    const anon = await browser.newPage();
    await anon.goto(`${server.baseUrl}/`);
    const home = (await anon.textContent('main')) ?? '';
    assert.ok(home.includes('open/lib') || home.includes('lib'), 'public repo listed');
    assert.ok(!home.includes('secret'), 'private repo not listed');
    for (const p of ['/secret/plans', '/secret/plans/-/log', '/secret/', '/secret/plans/-/files/default']) {
      const r = await anon.goto(`${server.baseUrl}${p}`);
      assert.equal(r?.status(), 404, `${p} is 404 for anonymous`);
    }
    await anon.close();

    const context = await browser.newContext();
    const bob = await context.newPage();
    await signIn(bob, server.baseUrl, 'bob', 'bob-password');
    assert.ok(!((await bob.textContent('main')) ?? '').includes('secret'));
    assert.equal((await bob.goto(`${server.baseUrl}/secret/plans`))?.status(), 404);
    assert.equal((await bob.goto(`${server.baseUrl}/-/admin`))?.status(), 404, 'admin pages are not for bob');
    await server.cliOk(['grant', 'bob', 'secret/', 'read']);
    assert.equal((await bob.goto(`${server.baseUrl}/secret/plans`))?.status(), 200, 'a grant makes it visible');
    await context.close();
  });

  it('refuses a form post without the session CSRF token and wrong passwords', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'bob', 'bob-password');
    const forged = await page.request.post(`${server.baseUrl}/-/settings/tokens`, { form: { label: 'forged' } });
    assert.equal(forged.status(), 403);
    const wrong = await page.request.post(`${server.baseUrl}/-/settings/tokens`, { form: { label: 'forged', csrf: 'x'.repeat(32) } });
    assert.equal(wrong.status(), 403);
    await page.goto(`${server.baseUrl}/-/settings`);
    assert.ok(((await page.textContent('#tokens')) ?? '').includes('No tokens'), 'nothing was created');
    await context.close();

    const fresh = await browser.newPage();
    await fresh.goto(`${server.baseUrl}/-/signin`);
    await fresh.fill('#name', 'bob');
    await fresh.fill('#password', 'not-his-password');
    await fresh.click('form[action="/-/signin"] button');
    assert.match((await fresh.textContent('.error')) ?? '', /Wrong user name or password/);
    await fresh.close();
  });

  it('lets an admin create a user and a repository and make it public', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'root', 'root-password');
    await page.goto(`${server.baseUrl}/-/admin`);
    await page.fill('#new-user', 'carol');
    await page.fill('#new-password', 'carol-password');
    await Promise.all([page.waitForNavigation(), page.click('form[action="/-/admin/users"] button')]);
    assert.match((await page.textContent('[role=status]')) ?? '', /Created user carol/);
    assert.ok(((await page.textContent('#users')) ?? '').includes('carol'));
    await Promise.all([page.waitForNavigation(), page.click('#users li:has-text("carol") button:text("Make admin")')]);
    assert.match((await server.cliOk(['user', 'list'])).stdout, /carol\s+admin/);

    await page.goto(`${server.baseUrl}/-/admin`);
    await page.fill('#new-repo', 'web/made-here');
    await page.selectOption('#kind', 'git');
    await Promise.all([page.waitForURL(`${server.baseUrl}/web/made-here`), page.click('form[action="/-/admin/repos"] button')]);
    assert.match((await page.textContent('main')) ?? '', /Empty repository/);
    const anon = await browser.newPage();
    assert.equal((await anon.goto(`${server.baseUrl}/web/made-here`))?.status(), 404);
    await page.goto(`${server.baseUrl}/-/admin`);
    await Promise.all([page.waitForNavigation(), page.click('#repos li:has-text("web/made-here") button:text("Make public")')]);
    assert.equal((await anon.goto(`${server.baseUrl}/web/made-here`))?.status(), 200);
    await anon.close();
    await context.close();
  });
});
