/**
 * The read caches behind the web pages and the REST API (src/vcs/read-caches.ts, refs read once
 * per refs stamp): what a push changes shows at once, whether it came through Ferry (a repo
 * event) or straight onto the disk (another node sharing the data dir); what a commit id fixes
 * (blame, a file's contents at a commit) answers the same from memory. Driven with hg, git and
 * curl, for hg and git repos.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addUser, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

/** curl's status, headers and body. */
async function curl(url: string, extra: readonly string[] = []): Promise<{ status: number; headers: string; body: string }> {
  const dir = tempDir('ferry-curl-');
  const r = await runOk('curl', ['-s', '-D', join(dir, 'h'), '-o', join(dir, 'b'), '-w', '%{http_code}', ...extra, url]);
  return { status: Number(r.stdout), headers: readFileSync(join(dir, 'h'), 'utf8'), body: readFileSync(join(dir, 'b'), 'utf8') };
}

/** The file's text from the API's `contents` answer (base64). */
async function apiText(server: FerryServer, repo: string, path: string, ref?: string): Promise<string> {
  const r = await curl(`${server.baseUrl}/api/v1/repos/${repo}/contents/${path}${ref ? `?ref=${encodeURIComponent(ref)}` : ''}`);
  assert.equal(r.status, 200, `contents of ${repo}/${path}: ${r.body}`);
  return Buffer.from((JSON.parse(r.body) as { content: string }).content, 'base64').toString('utf8');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('read caches: fresh after every push, the same for a commit id', () => {
  let server: FerryServer;
  let alice: Client;
  let hgWork = '';
  let gitWork = '';

  const hg = (args: string[]): Promise<{ stdout: string }> => runOk('hg', ['-R', hgWork, ...args], { env: alice.env });
  const git = (args: string[]): Promise<{ stdout: string }> => runOk('git', ['-C', gitWork, ...args], { env: alice.env });

  before(async () => {
    server = await startFerry();
    alice = await addUser(server, 'alice');
    await server.cliOk(['repo', 'create', 'team/app', '--public']);
    await server.cliOk(['repo', 'create', 'team/site', '--git', '--public']);
    await server.cliOk(['grant', 'alice', 'team/', 'write']);
    hgWork = join(tempDir('ferry-cache-hg-'), 'app');
    await alice.hg(['init', hgWork]);
    writeFileSync(join(hgWork, 'a.txt'), 'version 1\n');
    await hg(['commit', '-A', '-m', 'hg one']);
    await hg(['push', alice.sshUrl('team/app')]);
    gitWork = join(tempDir('ferry-cache-git-'), 'site');
    await alice.git(['init', '-q', '-b', 'main', gitWork]);
    writeFileSync(join(gitWork, 'a.txt'), 'version 1\n');
    await git(['add', '.']);
    await git(['commit', '-q', '-m', 'git one']);
    await git(['push', '-q', alice.sshUrl('team/site'), 'main']);
  });

  after(async () => {
    await server?.stop();
  });

  it('shows each push at once in pages and the API, also pushes in quick succession (hg and git)', async () => {
    for (const kind of ['hg', 'git'] as const) {
      const repo = kind === 'hg' ? 'team/app' : 'team/site';
      const branch = kind === 'hg' ? 'default' : 'main';
      // Read everything once, so that the caches hold version 1.
      assert.equal(await apiText(server, repo, 'a.txt'), 'version 1\n', `${kind}: first read`);
      assert.ok((await curl(`${server.baseUrl}/${repo}/-/log`)).body.includes(`${kind} one`), `${kind}: log shows the first commit`);
      for (let n = 2; n <= 4; n++) {
        writeFileSync(join(kind === 'hg' ? hgWork : gitWork, 'a.txt'), `version ${n}\n`);
        if (kind === 'hg') {
          await hg(['commit', '-m', `hg number ${n}`]);
          await hg(['tag', `v${n}`]);
          await hg(['push', alice.sshUrl(repo)]);
        } else {
          await git(['commit', '-q', '-am', `git number ${n}`]);
          await git(['tag', `v${n}`]);
          await git(['push', '-q', alice.sshUrl(repo), branch, '--tags']);
        }
        assert.equal(await apiText(server, repo, 'a.txt'), `version ${n}\n`, `${kind}: the API's contents after push ${n}`);
        assert.equal(await apiText(server, repo, 'a.txt', branch), `version ${n}\n`, `${kind}: contents at ${branch} after push ${n}`);
        const home = await curl(`${server.baseUrl}/${repo}`);
        assert.ok(home.body.includes(`${kind} number ${n}`), `${kind}: the repo page lists commit ${n}`);
        const log = await curl(`${server.baseUrl}/${repo}/-/log`);
        assert.ok(log.body.includes(`${kind} number ${n}`), `${kind}: the log lists commit ${n}`);
        const tags = await curl(`${server.baseUrl}/api/v1/repos/${repo}/tags`);
        assert.ok((JSON.parse(tags.body) as { name: string }[]).some((t) => t.name === `v${n}`), `${kind}: the API lists tag v${n}`);
        const file = await curl(`${server.baseUrl}/${repo}/-/files/${branch}/a.txt`);
        assert.ok(file.body.includes(`version ${n}`), `${kind}: the file view at ${branch} shows version ${n}`);
      }
    }
  });

  it('sees refs moved on disk by another node sharing the data dir (no event here), after the cache settled', async () => {
    // Let the stamps settle (src/vcs/refs-stamp.ts trusts a stamp older than 2 s), read to cache.
    await sleep(2500);
    const gitDir = join(server.dataDir, 'repos', 'team', 'site');
    const hgDir = join(server.dataDir, 'repos', 'team', 'app');
    const gitBranches = async (): Promise<string[]> => (JSON.parse((await curl(`${server.baseUrl}/api/v1/repos/team/site/branches`)).body) as { name: string }[]).map((b) => b.name);
    const hgBranches = async (): Promise<string[]> => (JSON.parse((await curl(`${server.baseUrl}/api/v1/repos/team/app/branches`)).body) as { name: string }[]).map((b) => b.name);
    assert.deepEqual(await gitBranches(), ['main']);
    assert.ok(!(await hgBranches()).includes('elsewhere'));
    assert.ok(!(await curl(`${server.baseUrl}/team/site/-/branches`)).body.includes('elsewhere'));
    // Another node writes the repos directly: git update-ref, hg bookmark.
    await runOk('git', ['--git-dir', gitDir, 'update-ref', 'refs/heads/elsewhere', 'refs/heads/main'], { env: alice.env });
    await runOk('hg', ['-R', hgDir, 'bookmark', '-r', 'tip', 'elsewhere'], { env: { ...alice.env, HGRCPATH: '' } });
    assert.deepEqual((await gitBranches()).sort(), ['elsewhere', 'main'], 'git: a branch made on disk is listed');
    assert.ok((await hgBranches()).includes('elsewhere'), 'hg: a bookmark made on disk is listed');
    assert.ok((await curl(`${server.baseUrl}/team/site/-/branches`)).body.includes('elsewhere'), 'git: the branches page lists it');
    // And moved again at once (within the same second): still seen.
    await runOk('git', ['--git-dir', gitDir, 'update-ref', '-d', 'refs/heads/elsewhere'], { env: alice.env });
    assert.deepEqual(await gitBranches(), ['main'], 'git: a branch deleted on disk right after is gone');
  });

  it('answers blame of a commit the same from memory as the first time, and sends Server-Timing (hg and git)', async () => {
    for (const repo of ['team/app', 'team/site']) {
      const url = `${server.baseUrl}/${repo}/-/blame/v2/a.txt`;
      const first = await curl(url);
      const second = await curl(url);
      assert.equal(first.status, 200, `${repo}: blame at v2`);
      assert.ok(first.body.includes('version 2'), `${repo}: blame at v2 shows version 2`);
      assert.equal(second.body, first.body, `${repo}: the cached blame renders the same page`);
      assert.match(second.headers, /^server-timing: app;dur=[\d.]+/im, `${repo}: the page says its server time`);
      const latest = await curl(`${server.baseUrl}/${repo}/-/blame/v4/a.txt`);
      assert.ok(latest.body.includes('version 4') && !latest.body.includes('version 2'), `${repo}: blame at v4 is v4's, not the cached v2`);
    }
  });
});
