import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pushAndCloneBoth, startServing, type ServingProcess } from './deploy-helpers.js';
import { ROOT, makeClient, makeKey, run, tempDir } from './harness.js';
import { stageImageFiles } from './image-files.js';

// Run from the files the image holds, laid out as the Dockerfile's runtime stage copies them: a
// file Ferry reads at run time that the Dockerfile leaves out (src/web/static/ferry.css was) fails
// here in every test run, not only in the opt-in image build.
const IMAGE_ROOT = tempDir('ferry-image-files-');
stageImageFiles(ROOT, IMAGE_ROOT);
const ENTRYPOINT = join(IMAGE_ROOT, 'deploy', 'docker', 'entrypoint.sh');
const HEALTHCHECK = join(IMAGE_ROOT, 'deploy', 'docker', 'healthcheck.mjs');

/** The environment the image gives the entrypoint (Dockerfile ENV), on free ports and a temp data dir. */
function containerEnv(data: string, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: data, FERRY_DATA: data, FERRY_SSH_LISTEN: '127.0.0.1', FERRY_SSH_PORT: '0', FERRY_HTTP_LISTEN: '127.0.0.1', FERRY_HTTP_PORT: '0', ...extra };
}

describe("the container image's entrypoint, run in a plain directory holding the image's files", () => {
  const running: ServingProcess[] = [];
  after(async () => {
    for (const r of running) await r.stop();
  });

  it('makes the admin from FERRY_BOOTSTRAP_ADMIN_KEYS, serves, and hg and git clone over ssh', async () => {
    const home = tempDir('ferry-entry-keys-');
    const key = await makeKey(home, 'id_admin');
    const other = await makeKey(home, 'id_laptop');
    const data = join(tempDir('ferry-entry-'), 'data');
    // Two keys in one variable, "\n" between them as an env file writes it.
    const serving = await startServing('sh', [ENTRYPOINT], containerEnv(data, { FERRY_BOOTSTRAP_ADMIN_KEYS: `${key.publicLine}\\n${other.publicLine}` }));
    running.push(serving);
    assert.match(serving.output(), /created user admin with 2 key\(s\)/);
    const admin = await makeClient(serving, 'admin', key);
    assert.match((await admin.ssh(['127.0.0.1'])).stdout, /admin/);
    await pushAndCloneBoth(admin);
    // Pages with their stylesheet (read from src/web/static/ at start).
    const page = await run('curl', ['-s', '-w', '\n%{http_code}', `http://127.0.0.1:${serving.httpPort}/`]);
    assert.match(page.stdout, /\n200$/, page.stdout);
    const css = /\/-\/static\/ferry\.\w+\.css/.exec(page.stdout)?.[0];
    assert.ok(css, page.stdout);
    const sheet = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${serving.httpPort}${css}`]);
    assert.equal(sheet.stdout, '200');

    // The HEALTHCHECK command: healthy while serving.
    const health = await run(process.execPath, [HEALTHCHECK], { env: { ...process.env, FERRY_HTTP_PORT: String(serving.httpPort) } });
    assert.equal(health.code, 0, health.stderr);
    // Arguments run a ferry command on the same data dir.
    const users = await run('sh', [ENTRYPOINT, 'user', 'list'], { env: containerEnv(data, {}) });
    assert.equal(users.code, 0, users.stderr);
    assert.match(users.stdout, /admin/);
    await serving.stop();
    const down = await run(process.execPath, [HEALTHCHECK], { env: { ...process.env, FERRY_HTTP_PORT: String(serving.httpPort) } });
    assert.equal(down.code, 1);
  });

  it('takes the keys from FERRY_BOOTSTRAP_ADMIN_KEYS_FILE (a mounted authorized_keys file)', async () => {
    const home = tempDir('ferry-entry-keys-');
    const key = await makeKey(home, 'id_admin');
    const file = join(home, 'authorized_keys');
    writeFileSync(file, `# the admin\n${key.publicLine}\n`);
    const data = join(tempDir('ferry-entry-'), 'data');
    const serving = await startServing('sh', [ENTRYPOINT], containerEnv(data, { FERRY_BOOTSTRAP_ADMIN_KEYS_FILE: file }));
    running.push(serving);
    const admin = await makeClient(serving, 'admin', key);
    const who = await admin.ssh(['127.0.0.1']);
    assert.equal(who.code, 0, who.stderr);
    assert.match(who.stdout, /admin/);
  });

  it('says in one line what to do when the data dir cannot be written or the keys file is missing', async () => {
    const missing = await run('sh', [ENTRYPOINT], { env: containerEnv(tempDir('ferry-entry-'), { FERRY_BOOTSTRAP_ADMIN_KEYS_FILE: '/nonexistent/keys' }) });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^ferry: cannot read FERRY_BOOTSTRAP_ADMIN_KEYS_FILE=\/nonexistent\/keys: mount the authorized_keys file there/);
    const notDir = join(tempDir('ferry-entry-'), 'file');
    writeFileSync(notDir, '');
    const bad = await run('sh', [ENTRYPOINT], { env: containerEnv(notDir, {}) });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^ferry: the data dir .* is not writable by uid \d+: give the volume to that user/);
  });
});
