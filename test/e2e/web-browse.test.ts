import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium, signIn } from './browser.js';
import { addUser, makeKey, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

const XSS = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">`;

describe('web pages in Chromium', () => {
  let server: FerryServer;
  let alice: Client;
  let browser: Browser;
  let hgWork: string;

  before(async () => {
    server = await startFerry();
    alice = await addUser(server, 'alice');
    await server.cliOk(['user', 'passwd', 'alice'], { input: 'alice-password\n' });
    await server.cliOk(['repo', 'create', 'team/app', '--public']);
    await server.cliOk(['repo', 'create', 'team/site', '--git', '--public']);
    await server.cliOk(['grant', 'alice', 'team/', 'write']);
    // Content made with the real clients and pushed into the repository directories.
    hgWork = join(tempDir('ferry-web-hg-'), 'app');
    await alice.hg(['init', hgWork]);
    mkdirSync(join(hgWork, 'src'));
    writeFileSync(join(hgWork, 'README.md'), `# App\n\nHello **world**. ${XSS}\n\n[bad](javascript:window.__pwned=3) [docs](src/main.ts)\n`);
    writeFileSync(join(hgWork, 'src', 'main.ts'), 'export function greet(name: string): string {\n  return `hi ${name}`;\n}\n');
    writeFileSync(join(hgWork, 'page.html'), `<!doctype html><html><body>${XSS}</body></html>\n`);
    await runOk('hg', ['-R', hgWork, 'commit', '-A', '-m', 'first: add the app'], { env: alice.env });
    await runOk('hg', ['-R', hgWork, 'branch', 'stable'], { env: alice.env });
    writeFileSync(join(hgWork, 'src', 'main.ts'), 'export function greet(name: string): string {\n  return `hello ${name}`;\n}\n');
    await runOk('hg', ['-R', hgWork, 'commit', '-m', 'stable: say hello'], { env: alice.env });
    await runOk('hg', ['-R', hgWork, 'update', 'default'], { env: alice.env });
    writeFileSync(join(hgWork, 'notes.txt'), 'notes\n');
    await runOk('hg', ['-R', hgWork, 'commit', '-A', '-m', `escape test ${XSS}`], { env: alice.env });
    await runOk('hg', ['-R', hgWork, 'merge', 'stable'], { env: alice.env });
    await runOk('hg', ['-R', hgWork, 'commit', '-m', 'merge stable'], { env: alice.env });
    await runOk('hg', ['-R', hgWork, 'tag', 'v1.0'], { env: alice.env });
    await runOk('hg', ['-R', hgWork, 'bookmark', 'feature-x'], { env: alice.env });
    await runOk('hg', ['-R', hgWork, 'push', '-B', 'feature-x', join(server.dataDir, 'repos', 'team', 'app')], { env: alice.env });
    const gitWork = join(tempDir('ferry-web-git-'), 'site');
    await alice.git(['init', '-q', gitWork]);
    writeFileSync(join(gitWork, 'index.js'), 'console.log("<b>hi</b>");\n');
    await runOk('git', ['-C', gitWork, 'add', '.'], { env: alice.env });
    await runOk('git', ['-C', gitWork, 'commit', '-q', '-m', 'git: first'], { env: alice.env });
    await runOk('git', ['-C', gitWork, 'checkout', '-q', '-b', 'feature/x'], { env: alice.env });
    writeFileSync(join(gitWork, 'index.js'), 'console.log("<b>hello</b>");\n');
    await runOk('git', ['-C', gitWork, 'commit', '-q', '-am', 'git: on a branch with a slash'], { env: alice.env });
    await runOk('git', ['-C', gitWork, 'tag', 'v2.0'], { env: alice.env });
    await runOk('git', ['-C', gitWork, 'push', '-q', alice.sshUrl('team/site'), 'main', 'feature/x', 'v2.0'], { env: alice.env });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('signs in with a password, adds and removes an SSH key and a token in settings, and signs out', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, server.baseUrl, 'alice', 'alice-password');
    const cookie = (await context.cookies()).find((c) => c.name === 'ferry_session');
    assert.ok(cookie, 'session cookie set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    await page.goto(`${server.baseUrl}/-/settings`);
    const key = await makeKey(tempDir(), 'laptop');
    await page.fill('#key', key.publicLine);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/-/settings/keys"] button')]);
    assert.match((await page.textContent('[role=status]')) ?? '', /Key added/);
    assert.ok((await page.textContent('#keys'))?.includes(key.fingerprint));
    const listed = await server.cliOk(['key', 'list', 'alice']);
    assert.ok(listed.stdout.includes(key.fingerprint), 'the key is stored for alice');
    await page.click(`#keys li:has-text("${key.fingerprint}") a:text("Remove")`);
    await Promise.all([page.waitForNavigation(), page.click('#confirm button[type=submit]')]);
    assert.match((await page.textContent('[role=status]')) ?? '', /Key removed/);
    assert.ok(!(await page.textContent('#keys'))?.includes(key.fingerprint));
    // A token is shown once.
    await page.fill('#label', 'ci');
    await page.click('form[action="/-/settings/tokens"] button');
    assert.match((await page.textContent('#new-token')) ?? '', /^ferry_/);
    // Sign out ends the session.
    await Promise.all([page.waitForURL(`${server.baseUrl}/`), page.click('form[action="/-/signout"] button')]);
    await page.goto(`${server.baseUrl}/-/settings`);
    assert.match(page.url(), /\/-\/signin/);
    await context.close();
  });

  it('browses to a file with highlighting and line anchors, opens a commit, and sees the graph', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.baseUrl}/`);
    await page.click('a[href="/team/app"]');
    assert.equal(await page.textContent('.markdown h1'), 'App');
    await page.click('nav.tabs a:text("Files")');
    await page.click('a:text("src/")');
    await page.click('a:text("main.ts")');
    assert.match(page.url(), /\/team\/app\/-\/files\/default\/src\/main\.ts$/);
    assert.ok((await page.locator('table.code .hljs-keyword').count()) > 0, 'syntax highlighted');
    await page.click('a[href="#L2"]');
    assert.match(page.url(), /#L2$/);
    assert.match((await page.textContent("#L2")) ?? "", /return `hello \$\{name\}`/);

    await page.click('nav.tabs a:text("Log")');
    const dots = await page.locator('ul.log svg.graph circle').count();
    assert.equal(dots, 5, 'one node per changeset (4 commits and the tag commit)');
    const lanes = await page.locator('ul.log svg.graph path[d*="C"]').count();
    assert.ok(lanes >= 2, 'the branch and the merge are drawn as curves');
    assert.ok((await page.locator('ul.log .badge.branch:text("stable")').count()) >= 1);
    assert.ok((await page.locator('ul.log .badge.tag:text("v1.0")').count()) === 1);
    assert.ok((await page.locator('ul.log .badge.bookmark:text("feature-x")').count()) === 1);
    assert.ok((await page.locator('ul.log .badge.phase:text("draft")').count()) >= 1, 'draft phase shown');

    await page.click('ul.log a:text("stable: say hello")');
    assert.match(page.url(), /\/-\/commit\/[0-9a-f]{40}$/);
    assert.equal(await page.locator('details.file').count(), 1);
    assert.match((await page.textContent('details.file summary')) ?? '', /src\/main\.ts/);
    assert.equal(await page.locator('tr.add').count(), 1);
    assert.equal(await page.locator('tr.del').count(), 1);
    const rawDiff = await page.request.get(`${page.url()}.diff`);
    assert.match(await rawDiff.text(), /^diff --git a\/src\/main\.ts b\/src\/main\.ts/m);

    await page.goto(`${server.baseUrl}/team/app/-/branches`);
    assert.ok(((await page.textContent('main')) ?? '').includes('stable'));
    await page.goto(`${server.baseUrl}/team/app/-/tags`);
    assert.ok(((await page.textContent('main')) ?? '').includes('v1.0'));
    await page.close();
  });

  it('shows clone commands that work as shown, for SSH and HTTP', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.baseUrl}/team/app`);
    const ssh = ((await page.textContent('#clone-ssh')) ?? '').split(' ');
    const http = ((await page.textContent('#clone-http')) ?? '').split(' ');
    assert.equal(ssh[0], 'hg');
    assert.match((await page.textContent('#ssh-config')) ?? '', new RegExp(`Port ${server.sshPort}`));
    assert.match((await page.textContent('#cdn-url')) ?? '', /\/cdn\/team\/app@default\/$/);
    const dir = tempDir('ferry-web-clone-');
    await runOk('hg', [...ssh.slice(1), join(dir, 'via-ssh')], { env: alice.env });
    await runOk('hg', [...http.slice(1), join(dir, 'via-http')], { env: alice.env });
    // A push over SSH shows on pages already served once (the long-lived readers see new data).
    writeFileSync(join(dir, 'via-ssh', 'fresh.txt'), 'fresh\n');
    await runOk('hg', ['-R', join(dir, 'via-ssh'), 'commit', '-A', '-m', 'pushed after a page view'], { env: alice.env });
    await runOk('hg', ['-R', join(dir, 'via-ssh'), 'push', alice.sshUrl('team/app')], { env: alice.env });
    await page.goto(`${server.baseUrl}/team/app/-/log`);
    assert.equal(await page.locator('ul.log a:text("pushed after a page view")').count(), 1);
    await page.goto(`${server.baseUrl}/team/app/-/files/default/fresh.txt`);
    assert.match((await page.textContent('table.code')) ?? '', /fresh/);
    await page.goto(`${server.baseUrl}/team/site`);
    const gitSsh = ((await page.textContent('#clone-ssh')) ?? '').split(' ');
    assert.equal(gitSsh[0], 'git');
    await runOk('git', [...gitSsh.slice(1), join(dir, 'site')], { env: alice.env });
    await page.close();
  });

  it('browses a git repo at a branch whose name holds a slash, and its tags', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.baseUrl}/team/site/-/files/feature/x/index.js`);
    assert.match((await page.textContent('table.code')) ?? '', /console\.log\("<b>hello<\/b>"\)/);
    await page.goto(`${server.baseUrl}/team/site/-/log`);
    assert.equal(await page.locator('ul.log svg.graph circle').count(), 2);
    assert.ok((await page.locator('ul.log .badge.tag:text("v2.0")').count()) === 1);
    await page.goto(`${server.baseUrl}/team/site/-/branches`);
    assert.ok(((await page.textContent('main')) ?? '').includes('feature/x'));
    await page.close();
  });

  it('never runs script from a file, a README or a commit message, and shows the text literally', async () => {
    const page = await browser.newPage();
    const pages = ['/team/app', '/team/app/-/log', '/team/app/-/files/default/page.html', '/team/app/-/files/default/README.md?plain=1'];
    const tip = (await runOk('hg', ['-R', hgWork, 'log', '-r', `desc('escape test')`, '-T', '{node}'], { env: alice.env })).stdout;
    pages.push(`/team/app/-/commit/${tip}`);
    for (const p of pages) {
      await page.goto(`${server.baseUrl}${p}`);
      assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, `no script ran on ${p}`);
      assert.equal(await page.locator('main script, main img[src="x"]').count(), 0, `no injected element on ${p}`);
    }
    await page.goto(`${server.baseUrl}/team/app/-/commit/${tip}`);
    assert.ok((await page.textContent('main'))?.includes(`escape test ${XSS}`), 'commit message shown literally');
    await page.goto(`${server.baseUrl}/team/app/-/files/default/page.html`);
    assert.ok((await page.textContent('table.code'))?.includes(XSS), 'file shown literally');
    await page.goto(`${server.baseUrl}/team/app`);
    assert.ok((await page.textContent('.markdown'))?.includes(XSS), 'README raw HTML shown as text');
    assert.equal(await page.locator('.markdown a[href^="javascript:"]').count(), 0, 'no javascript: link');
    await page.close();
    const raw = await fetch(`${server.baseUrl}/team/app/-/raw/default/page.html`);
    assert.equal(raw.status, 200);
    assert.equal(raw.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(raw.headers.get('x-content-type-options'), 'nosniff');
    assert.ok((await raw.text()).includes(XSS));
  });
});
