import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, signIn } from './browser.js';
import { addUser, expectOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';
import { startReceiver, type Receiver } from './webhook-receiver.js';

const SECRET = 'web-form-secret-93b7';
const REPO = 'team/hooked';

/** Clicks something that submits a form and waits for the page the 303 leads to. */
async function submit(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

describe('webhooks on the repo settings page (Chromium at 1280 px)', () => {
  let server: FerryServer;
  let alice: Client;
  let browser: Browser;
  let receiver: Receiver;
  let work = '';

  before(async () => {
    server = await startFerry({ toml: '[webhooks]\nallowed_hosts = "loopback"\nretry_delay = "300ms"\nmax_attempts = 2\n' });
    alice = await addUser(server, 'alice');
    await server.cliOk(['user', 'add', 'bob']);
    for (const name of ['alice', 'bob']) await server.cliOk(['user', 'passwd', name], { input: `${name}-password\n` });
    await server.cliOk(['repo', 'create', REPO, '--git']);
    await server.cliOk(['grant', 'alice', 'team/', 'admin']);
    await server.cliOk(['grant', 'bob', REPO, 'write']);
    receiver = await startReceiver(SECRET);
    work = join(tempDir('ferry-web-hooks-'), 'w');
    await expectOk(alice.git(['init', '-q', '-b', 'main', work]));
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await receiver?.close();
    await server?.stop();
  });

  async function signedIn(name: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, server.baseUrl, name, `${name}-password`);
    return { context, page };
  }

  async function push(file: string): Promise<string> {
    writeFileSync(join(work, file), `${file}\n`);
    await expectOk(alice.git(['-C', work, 'add', '-A']));
    await expectOk(alice.git(['-C', work, 'commit', '-q', '-m', `add ${file}`]));
    await expectOk(alice.git(['-C', work, 'push', '-q', alice.sshUrl(REPO), 'main']));
    return (await expectOk(alice.git(['-C', work, 'rev-parse', 'HEAD']))).stdout.trim();
  }

  it('a repo admin adds a hook in the form, a push delivers (signed) and the delivery is listed; redeliver and remove work; the secret is never shown', async () => {
    const { context, page } = await signedIn('alice');
    const settings = `${server.baseUrl}/${REPO}/-/settings`;
    await page.goto(settings);
    assert.match((await page.textContent('#hook-list')) ?? '', /No webhooks/);
    const box = await page.locator('#webhooks').boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 1280.5, `the section fits in 1280 px: ${JSON.stringify(box)}`);

    await page.fill('#hook-url', receiver.url);
    await page.fill('#hook-secret', SECRET);
    await submit(page, '#hook-add button[type=submit]');
    assert.match((await page.textContent('[role=status]')) ?? '', /Added webhook \d+/);
    assert.equal(await page.locator('#hook-list li.hook').count(), 1);
    assert.equal(await page.textContent('#hook-list .hook-url'), receiver.url);
    assert.equal(await page.textContent('#hook-list .hook-events'), 'push, create, delete');
    assert.equal(await page.textContent('#hook-list .hook-state'), 'active');
    assert.match((await page.textContent('#hook-list .hook-last')) ?? '', /No deliveries yet/);
    assert.ok(!(await page.content()).includes(SECRET), 'the secret is not on the page');
    assert.equal(await page.inputValue('#hook-secret'), '', 'nor in the form');

    const head = await push('a.txt');
    const [delivered] = await receiver.waitFor((r) => r.headers['x-github-event'] === 'push' && r.json.after === head);
    assert.equal(delivered?.signatureValid, true, 'signed with the secret typed in the form');
    let last = '';
    for (let i = 0; i < 50 && !/push delivered \(HTTP 200\)/.test(last); i++) {
      await page.reload();
      last = (await page.textContent('#hook-list .hook-last')) ?? '';
      if (!/push delivered/.test(last)) await sleep(200);
    }
    assert.match(last, /Last delivery: push delivered \(HTTP 200\)/);

    const guid = String(delivered?.headers['x-github-delivery']);
    await submit(page, '#hook-list .hook-redeliver');
    assert.match((await page.textContent('[role=status]')) ?? '', new RegExp(`Delivery ${guid} queued again`));
    const twice = await receiver.waitFor((r) => r.headers['x-github-delivery'] === guid, 2);
    assert.equal(twice[1]?.signatureValid, true);

    // A refused URL is the service's own error, as a flash; nothing is added.
    await page.fill('#hook-url', 'http://169.254.169.254/latest/meta-data');
    await submit(page, '#hook-add button[type=submit]');
    assert.match((await page.textContent('[role=alert]')) ?? '', /allowed_hosts|not allowed|refus/i);
    assert.equal(await page.locator('#hook-list li.hook').count(), 1);

    // No event ticked: the service says which events there are.
    await page.fill('#hook-url', receiver.url);
    for (const e of ['push', 'create', 'delete']) await page.uncheck(`#hook-add input[value=${e}]`);
    await submit(page, '#hook-add button[type=submit]');
    assert.match((await page.textContent('[role=alert]')) ?? '', /choose from push, create, delete, repository/);

    // Without the CSRF token a POST (with the session's cookie) is refused and changes nothing.
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const forged = await fetch(`${settings}/hooks`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: server.baseUrl }, body: new URLSearchParams({ url: receiver.url, events: 'push' }) });
    assert.equal(forged.status, 403);
    const hookId = await page.getAttribute('#hook-list li.hook', 'data-hook-id');
    const forgedRemove = await fetch(`${settings}/hooks/remove`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: server.baseUrl }, body: new URLSearchParams({ id: String(hookId), confirmed: '1' }) });
    assert.equal(forgedRemove.status, 403);
    await page.reload();
    assert.equal(await page.locator('#hook-list li.hook').count(), 1);

    await submit(page, '#hook-list .hook-remove');
    assert.match((await page.textContent('#confirm')) ?? '', new RegExp(receiver.url.replace(/[.]/g, '\\.')));
    await submit(page, '#confirm button[type=submit]');
    assert.match((await page.textContent('[role=status]')) ?? '', new RegExp(`Webhook ${hookId} removed`));
    assert.match((await page.textContent('#hook-list')) ?? '', /No webhooks/);
    const quiet = await push('b.txt');
    await sleep(1500);
    assert.equal(receiver.received.filter((r) => r.json.after === quiet).length, 0, 'a removed hook gets nothing');
    await context.close();
  });

  it('a user who may write but not administer never sees the Webhooks section, and cannot post to its forms', async () => {
    await server.cliOk(['hook', 'add', REPO, receiver.url, '--secret', SECRET]);
    const { context, page } = await signedIn('bob');
    await page.goto(`${server.baseUrl}/${REPO}`);
    assert.equal(await page.locator('nav.tabs a', { hasText: 'Settings' }).count(), 0);
    const settings = await page.goto(`${server.baseUrl}/${REPO}/-/settings`);
    assert.equal(settings?.status(), 403);
    assert.equal(await page.locator('#webhooks').count(), 0);
    assert.ok(!(await page.content()).includes(receiver.url));
    const confirm = await page.goto(`${server.baseUrl}/${REPO}/-/settings/hooks/remove?id=1`);
    assert.equal(confirm?.status(), 403);
    await context.close();
    const list = (await server.cliOk(['hook', 'list', REPO])).stdout.trim().split('\n').slice(1);
    assert.equal(list.length, 1, 'the hook is still there');
  });
});
