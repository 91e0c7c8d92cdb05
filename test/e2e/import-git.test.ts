import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ferryCli, makeClient, runOk, tempDir, type Client } from './harness.js';
import { assertStoredNowhere } from './secrets.js';
import { makeGitSource, type GitSource } from './git-source.js';
import { startGitHttp, startProxy, type Remote } from './remotes.js';

async function refs(dir: string): Promise<string> {
  return (await runOk('git', ['-C', dir, 'for-each-ref', '--format=%(objectname) %(refname)'])).stdout;
}

describe('ferry import from a git server', () => {
  let client: Client;
  let source: GitSource;
  let http: Remote;
  let url: string;
  before(async () => {
    client = await makeClient({ sshPort: 0 }, 'author');
    source = await makeGitSource(client);
    http = await startGitHttp(source.root);
    url = `${http.url}src.git`;
  });
  after(async () => {
    await http.stop();
  });

  it('copies every ref and object over smart HTTP, verifies with fsck, and keeps no remote in the config', async () => {
    const data = tempDir('ferry-data-');
    const r = await ferryCli(data, ['import', url, 'team/lib', '--public']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^imported team\/lib from http:\/\/127\.0\.0\.1:\d+\/src\.git: git 4 refs, \d+ objects, verified \(public\)\n  git clone ssh:\/\/\S+\n  git clone http:\/\/\S+\n$/);
    const copy = join(data, 'repos', 'team', 'lib');
    assert.equal(await refs(copy), await refs(source.bare));
    const count = async (dir: string) => (await runOk('git', ['-C', dir, 'rev-list', '--all', '--objects'])).stdout.split('\n').length;
    assert.equal(await count(copy), await count(source.bare));
    const config = readFileSync(join(copy, 'config'), 'utf8');
    assert.doesNotMatch(config, /remote|127\.0\.0\.1/);
    assert.equal((await runOk('git', ['-C', copy, 'config', '--bool', 'core.bare'])).stdout.trim(), 'true');
    assert.deepEqual(readdirSync(join(data, 'tmp')), []);
  });

  it('takes a user and token from the environment (GIT_ASKPASS for the run only) and stores them nowhere', async () => {
    const proxy = await startProxy(http, { user: 'bot', password: 'tok-123-secret' });
    try {
      const data = tempDir('ferry-data-');
      const without = await ferryCli(data, ['import', `${proxy.url}src.git`, 'x', '--git']);
      assert.equal(without.code, 1);
      assert.match(without.stderr, /^ferry: could not fetch .*: fatal: /m);
      const ok = await ferryCli(data, ['import', `${proxy.url}src.git`, 'x'], { env: { FERRY_IMPORT_USER: 'bot', FERRY_IMPORT_PASSWORD: 'tok-123-secret' } });
      assert.equal(ok.code, 0, ok.stderr);
      assert.ok(proxy.authorizedRequests() > 0);
      assert.deepEqual(readdirSync(join(data, 'tmp')), [], 'the askpass script is gone');
      assertStoredNowhere(data, ['tok-123-secret'], 'the token is stored nowhere in the data dir');
      assert.doesNotMatch(readFileSync(join(data, 'repos', 'x', 'config'), 'utf8'), /bot|127\.0\.0\.1/);
    } finally {
      await proxy.stop();
    }
  });

  it('leaves no half repo behind when the remote dies mid-clone', async () => {
    const proxy = await startProxy(http, { cutAfterBytes: 1024 * 1024 });
    try {
      const data = tempDir('ferry-data-');
      const r = await ferryCli(data, ['import', `${proxy.url}src.git`, 'team/broken', '--git']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^ferry: could not fetch http:\/\/127\.0\.0\.1:\d+\/src\.git: (fatal|error): /m);
      assert.ok(proxy.cuts() > 0);
      assert.ok(!existsSync(join(data, 'repos', 'team')));
      assert.deepEqual(readdirSync(join(data, 'tmp')), []);
    } finally {
      await proxy.stop();
    }
  });

  it('fails the import and says what differs when the copy does not match the source', async () => {
    const moving = await makeGitSource(client);
    const movingHttp = await startGitHttp(moving.root);
    let changed = '';
    const proxy = await startProxy(movingHttp, {
      beforeEnd: {
        pattern: /git-upload-pack$/,
        minBytes: 1024 * 1024,
        run: async () => {
          if (changed === '') changed = await moving.commit('pushed while the import ran');
        },
      },
    });
    try {
      const data = tempDir('ferry-data-');
      const r = await ferryCli(data, ['import', `${proxy.url}src.git`, 'moving']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`^ferry: the copy differs from http://127\\.0\\.0\\.1:\\d+/src\\.git: ref refs/heads/main is [0-9a-f]{12} in the copy but ${changed.slice(0, 12)} in the source$`, 'm'));
      assert.ok(!existsSync(join(data, 'repos', 'moving')));
      assert.deepEqual(readdirSync(join(data, 'tmp')), []);
    } finally {
      await proxy.stop();
      await movingHttp.stop();
    }
  });

  it('refuses URLs that would run code (CVE-2017-1000116/1000117 and ext::) before spawning anything', async () => {
    const data = tempDir('ferry-data-');
    const marker = join(tempDir('ferry-marker-'), 'pwned');
    for (const bad of [`ext::touch ${marker}`, `ext::sh`, `ssh://-oProxyCommand=touch%20${marker}/x`, `ssh://host/--upload-pack=touch`, 'fd::3']) {
      const r = await ferryCli(data, ['import', bad, 'evil', '--git']);
      assert.equal(r.code, 1, bad);
      assert.match(r.stderr, /^ferry: refusing import URL .*: /, bad);
    }
    assert.ok(!existsSync(marker));
    assert.ok(!existsSync(join(data, 'repos', 'evil')));
  });

  it('imports a list with --from: bounded jobs, a summary table, and a re-run skips what is done', async () => {
    const data = tempDir('ferry-data-');
    const list = join(tempDir('ferry-list-'), 'imports.txt');
    writeFileSync(list, `# imports\n\n${url} bulk/one\n${url}   bulk/two\next::sh bulk/evil\n${http.url}missing.git bulk/missing\nnot-enough-fields\n`);
    const first = await ferryCli(data, ['import', '--from', list, '--jobs', '2']);
    assert.equal(first.code, 1, first.stderr);
    assert.match(first.stdout, /^PATH\s+RESULT\s+SOURCE\s+DETAIL$/m);
    assert.match(first.stdout, /^bulk\/one\s+imported\s+\S+src\.git\s+git 4 refs/m);
    assert.match(first.stdout, /^bulk\/two\s+imported/m);
    assert.match(first.stdout, /^bulk\/evil\s+failed\s+.*refusing import URL/m);
    assert.match(first.stdout, /^bulk\/missing\s+failed\s+.*answers neither as an hg nor as a git repository/m);
    assert.match(first.stdout, /^\s+failed\s+not-enough-fields\s+line 7: expected "URL PATH"/m);
    assert.match(first.stdout, /^2 imported, 0 skipped, 3 failed$/m);
    const again = await ferryCli(data, ['import', '--from', list]);
    assert.match(again.stdout, /^bulk\/one\s+skipped\s+\S+\s+already there/m);
    assert.match(again.stdout, /^0 imported, 2 skipped, 3 failed$/m);
  });
});
