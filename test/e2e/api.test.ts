import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { giteaApi } from 'gitea-js';
import type { Browser } from 'playwright-core';
import { launchChromium, signIn } from './browser.js';
import { eventually, makeGitSource } from './git-source.js';
import { addUser, expectOk, makeKey, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';
import { startGitHttp, type Remote } from './remotes.js';

/** curl with an argument array; returns status, headers (lower-case names) and body. */
async function curl(args: readonly string[]): Promise<{ status: number; headers: Map<string, string>; body: string }> {
  const r = await runOk('curl', ['-sS', '-D', '-', ...args]);
  const split = r.stdout.indexOf('\r\n\r\n');
  const head = r.stdout.slice(0, split).split('\r\n');
  const headers = new Map<string, string>();
  for (const line of head.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(head[0]?.split(' ')[1]), headers, body: r.stdout.slice(split + 4) };
}

function tokenOf(stdout: string): string {
  const m = /(ferry_[A-Za-z0-9_-]+)/.exec(stdout);
  assert.ok(m, `a token in ${stdout}`);
  return m[1] as string;
}

describe('REST API /api/v1 (Gitea-shaped) with gitea-js, curl and Chromium', () => {
  let server: FerryServer;
  let alice: Client;
  let aliceToken: string;
  let readOnly: string;
  let bobToken: string;
  let api: string;
  let gitHead = '';
  let hgTagged = '';

  before(async () => {
    server = await startFerry();
    api = `${server.baseUrl}/api/v1`;
    alice = await addUser(server, 'alice');
    await server.cliOk(['user', 'passwd', 'alice'], { input: 'alice-password\n' });
    await server.cliOk(['user', 'add', 'bob']);
    aliceToken = tokenOf((await server.cliOk(['token', 'add', 'alice'])).stdout);
    readOnly = tokenOf((await server.cliOk(['token', 'add', 'alice', '--read-only'])).stdout);
    bobToken = tokenOf((await server.cliOk(['token', 'add', 'bob'])).stdout);
    await server.cliOk(['repo', 'create', 'alice/pubgit', '--git', '--public']);
    await server.cliOk(['repo', 'create', 'alice/privgit', '--git']);
    await server.cliOk(['repo', 'create', 'alice/pubhg', '--public']);
    await server.cliOk(['repo', 'create', 'alice/privhg']);
    await server.cliOk(['repo', 'create', 'team/web/app', '--git', '--public']);
    await server.cliOk(['grant', 'alice', 'team/web/app', 'write']);

    const push = (path: string) => `http://alice:${aliceToken}@127.0.0.1:${server.httpPort}/${path}`;
    const work = join(tempDir('ferry-api-git-'), 'w');
    await expectOk(alice.git(['init', '--quiet', '-b', 'main', work]));
    const git = (...args: string[]) => expectOk(alice.git(['-C', work, '-c', 'user.name=Alice', '-c', 'user.email=alice@example.com', ...args]), `git ${args.join(' ')}`);
    writeFileSync(join(work, 'README.md'), '# hello\n');
    mkdirSync(join(work, 'src'));
    writeFileSync(join(work, 'src', 'main.c'), 'int main(void) { return 0; }\n');
    await git('add', '-A');
    await git('commit', '--quiet', '-m', 'first');
    await git('tag', 'v1.0');
    writeFileSync(join(work, 'README.md'), '# hello\nworld\n');
    writeFileSync(join(work, 'new.txt'), 'new\n');
    await git('rm', '--quiet', 'src/main.c');
    await git('add', '-A');
    await git('commit', '--quiet', '-m', 'second');
    await git('branch', 'feature/x');
    gitHead = (await git('rev-parse', 'HEAD')).stdout.trim();
    for (const path of ['alice/pubgit', 'alice/privgit', 'team/web/app']) await git('push', '--quiet', push(path), 'main', 'feature/x', '--tags');

    const hgWork = join(tempDir('ferry-api-hg-'), 'w');
    const hg = (...args: string[]) => expectOk(alice.hg(['-R', hgWork, '--config', 'ui.username=Alice <alice@example.com>', ...args]), `hg ${args.join(' ')}`);
    await expectOk(alice.hg(['init', hgWork]));
    writeFileSync(join(hgWork, 'hello.txt'), 'hello hg\n');
    await hg('commit', '-A', '-m', 'one');
    hgTagged = (await hg('log', '-r', '.', '-T', '{node}')).stdout.trim();
    await hg('tag', 'v1.0');
    await hg('branch', 'stable');
    writeFileSync(join(hgWork, 'hello.txt'), 'hello stable\n');
    await hg('commit', '-m', 'on stable');
    await hg('bookmark', 'feature');
    for (const path of ['alice/pubhg', 'alice/privhg']) await hg('push', '--new-branch', '-B', 'feature', push(path));
  });

  after(async () => {
    await server?.stop();
  });

  it('gitea-js lists repos, reads a file at a tag (hg and git) and creates a repo', async () => {
    const client = giteaApi(server.baseUrl, { token: aliceToken, customFetch: fetch });
    assert.equal((await client.version.getVersion()).data.version, '0.1.0');
    const search = await client.repos.repoSearch({ q: 'alice', limit: 50 });
    const names = (search.data.data ?? []).map((r) => r.full_name).sort();
    assert.deepEqual(names, ['alice/privgit', 'alice/privhg', 'alice/pubgit', 'alice/pubhg']);
    const mine = await client.user.userCurrentListRepos({ limit: 50 });
    assert.ok(mine.data.some((r) => r.full_name === 'alice/privhg' && r.private === true && r.permissions?.admin === true));

    for (const repo of ['pubgit', 'privgit']) {
      const file = await client.repos.repoGetContents('alice', repo, 'src/main.c', { ref: 'v1.0' });
      assert.equal(Buffer.from(file.data.content ?? '', 'base64').toString('utf8'), 'int main(void) { return 0; }\n');
      assert.equal(file.data.type, 'file');
    }
    const hgFile = await client.repos.repoGetContents('alice', 'privhg', 'hello.txt', { ref: 'v1.0' });
    assert.equal(Buffer.from(hgFile.data.content ?? '', 'base64').toString('utf8'), 'hello hg\n');
    assert.equal(hgFile.data.last_commit_sha, hgTagged, 'hg answers with the full 40-hex changeset id');

    const created = await client.user.createCurrentUserRepo({ name: 'made-by-api', description: 'from gitea-js', private: true });
    assert.equal(created.status, 201);
    assert.equal(created.data.full_name, 'alice/made-by-api');
    assert.equal(created.data.private, true);
    assert.equal(created.data.description, 'from gitea-js');
    const ls = await server.cliOk(['repo', 'list']);
    assert.match(ls.stdout, /alice\/made-by-api/);
    // The new repo takes a push at its clone URL.
    const clone = join(tempDir('ferry-api-clone-'), 'c');
    const url = new URL(created.data.clone_url ?? '');
    url.username = 'alice';
    url.password = aliceToken;
    await expectOk(alice.git(['clone', '--quiet', url.href, clone]));
  });

  it('hides private repos (hg and git) from outsiders with 404 on every endpoint, and shows public ones', async () => {
    const paths = ['', '/branches', '/tags', '/commits', `/git/commits/${'0'.repeat(40)}`, '/contents', '/contents/README.md', '/raw/README.md', '/archive/main.tar.gz', '/git/trees/main', '/commits/main/status'];
    for (const repo of ['privgit', 'privhg']) {
      for (const p of paths) {
        for (const auth of [[], ['-H', `Authorization: token ${bobToken}`]]) {
          const r = await curl([...auth, `${api}/repos/alice/${repo}${p}`]);
          assert.equal(r.status, 404, `${repo}${p} is 404 to ${auth.length ? 'bob' : 'anonymous'}`);
          assert.equal(JSON.parse(r.body).error.code, 'FERRY_REPO_NOT_FOUND');
        }
      }
      const own = await curl(['-H', `Authorization: token ${aliceToken}`, `${api}/repos/alice/${repo}`]);
      assert.equal(own.status, 200);
    }
    const missing = await curl([`${api}/repos/alice/nothing-here`]);
    assert.equal(missing.body, (await curl([`${api}/repos/alice/privgit`])).body.split('privgit').join('nothing-here'), 'a hidden repo answers like a missing one');
    for (const repo of ['pubgit', 'pubhg']) {
      const r = await curl([`${api}/repos/alice/${repo}`]);
      assert.equal(r.status, 200);
      const json = JSON.parse(r.body);
      assert.equal(json.vcs, repo.endsWith('hg') ? 'hg' : 'git');
      assert.equal(json.permissions.push, false);
      assert.equal(json.default_branch, repo.endsWith('hg') ? 'default' : 'main');
    }
    const anonSearch = JSON.parse((await curl([`${api}/repos/search?q=alice`])).body);
    assert.deepEqual(anonSearch.data.map((r: { full_name: string }) => r.full_name).sort(), ['alice/pubgit', 'alice/pubhg']);
    // An owner with slashes is URL-encoded.
    const nested = await curl([`${api}/repos/team%2Fweb/app`]);
    assert.equal(nested.status, 200);
    assert.equal(JSON.parse(nested.body).full_name, 'team/web/app');
  });

  it('refuses writes with a read-only token (403) and with no credentials (401), changing nothing', async () => {
    const ro = ['-H', `Authorization: token ${readOnly}`, '-H', 'Content-Type: application/json'];
    const attempts: [string, string, string][] = [
      ['POST', '/user/repos', '{"name":"ro-made"}'],
      ['PATCH', '/repos/alice/privgit', '{"private":false}'],
      ['DELETE', '/repos/alice/privgit', ''],
      ['POST', `/repos/alice/privgit/statuses/${gitHead}`, '{"state":"success"}'],
      ['POST', '/user/keys', '{"key":"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOr4tXhlyWq8xgoyq9Q0s9T3EBm2cj8YxzuBpW6RUYbn x"}'],
    ];
    for (const [method, path, body] of attempts) {
      const r = await curl([...ro, '-X', method, ...(body ? ['--data', body] : []), `${api}${path}`]);
      assert.equal(r.status, 403, `${method} ${path} with a read-only token`);
      assert.equal(JSON.parse(r.body).error.code, 'FERRY_ACCESS_DENIED');
      const anon = await curl(['-H', 'Content-Type: application/json', '-X', method, ...(body ? ['--data', body] : []), `${api}${path}`]);
      assert.ok(anon.status === 401 || anon.status === 404, `${method} ${path} anonymously: ${anon.status}`);
    }
    // Reads still work with it.
    assert.equal((await curl(['-H', `Authorization: Bearer ${readOnly}`, `${api}/repos/alice/privgit`])).status, 200);
    assert.equal((await curl(['-u', `any:${readOnly}`, `${api}/repos/alice/privhg/branches`])).status, 200, 'HTTP Basic with a token');
    const repo = JSON.parse((await curl(['-H', `Authorization: token ${aliceToken}`, `${api}/repos/alice/privgit`])).body);
    assert.equal(repo.private, true, 'still private');
    assert.doesNotMatch((await server.cliOk(['repo', 'list'])).stdout, /ro-made/);
    const status = JSON.parse((await curl(['-H', `Authorization: token ${aliceToken}`, `${api}/repos/alice/privgit/commits/${gitHead}/status`])).body);
    assert.equal(status.total_count, 0);
    // Wrong credentials are 401, never anonymous.
    assert.equal((await curl(['-H', 'Authorization: token ferry_wrong', `${api}/repos/alice/pubgit`])).status, 401);
    // Bob may read a public repo but not change it.
    const bob = await curl(['-H', `Authorization: token ${bobToken}`, '-H', 'Content-Type: application/json', '-X', 'PATCH', '--data', '{"description":"x"}', `${api}/repos/alice/pubgit`]);
    assert.equal(bob.status, 403);
  });

  it('lists branches (hg named branches and bookmarks, Heptapod names), tags and commits with the files they changed, paginated with Link and X-Total-Count', async () => {
    const auth = ['-H', `Authorization: token ${aliceToken}`];
    const gitBranches = JSON.parse((await curl([...auth, `${api}/repos/alice/privgit/branches`])).body);
    assert.deepEqual(gitBranches.map((b: { name: string }) => b.name).sort(), ['feature/x', 'main']);
    for (const b of gitBranches as { name: string; commit: { author: { email: string }; committer: { email: string } } }[]) {
      assert.match(b.commit.author.email, /^alice@/, `the list names ${b.name}'s author as the branch route does`);
      assert.match(b.commit.committer.email, /^alice@/);
    }
    const one = JSON.parse((await curl([...auth, `${api}/repos/alice/privgit/branches/feature%2Fx`])).body);
    assert.equal(one.commit.id, gitHead);
    assert.match(one.commit.author.email, /^alice@/);
    const hgBranches = JSON.parse((await curl([...auth, `${api}/repos/alice/privhg/branches`])).body);
    const byName = new Map(hgBranches.map((b: { name: string; kind: string }) => [b.name, b.kind]));
    for (const b of hgBranches as { name: string; commit: { author: { name: string } } }[]) assert.notEqual(b.commit.author.name, '', b.name);
    assert.equal(byName.get('default'), 'branch');
    assert.equal(byName.get('stable'), 'branch');
    assert.equal(byName.get('feature'), 'bookmark');
    const viaHeptapod = JSON.parse((await curl([...auth, `${api}/repos/alice/privhg/contents/hello.txt?ref=branch/stable`])).body);
    assert.equal(Buffer.from(viaHeptapod.content, 'base64').toString('utf8'), 'hello stable\n');
    assert.match(viaHeptapod.last_commit_sha, /^[0-9a-f]{40}$/);

    const tags = JSON.parse((await curl([...auth, `${api}/repos/alice/privhg/tags`])).body);
    assert.deepEqual(tags.map((t: { name: string; id: string }) => [t.name, t.id]), [['v1.0', hgTagged]]);

    const page1 = await curl([...auth, `${api}/repos/alice/privgit/commits?limit=1`]);
    const commits = JSON.parse(page1.body);
    assert.equal(commits.length, 1);
    assert.equal(commits[0].sha, gitHead);
    assert.deepEqual(
      commits[0].files.map((f: { filename: string; status: string }) => `${f.status} ${f.filename}`).sort(),
      ['added new.txt', 'modified README.md', 'removed src/main.c'],
    );
    assert.equal(commits[0].stats.additions, 2);
    assert.match(page1.headers.get('link') ?? '', /page=2&limit=1>; rel="next"|limit=1&page=2>; rel="next"/);
    const hgCommit = JSON.parse((await curl([...auth, `${api}/repos/alice/privhg/git/commits/${hgTagged.slice(0, 12)}`])).body);
    assert.equal(hgCommit.sha, hgTagged);
    assert.deepEqual(hgCommit.files, [{ filename: 'hello.txt', status: 'added' }]);
    assert.equal(hgCommit.commit.author.name, 'Alice');

    const repos = await curl([...auth, `${api}/repos/search?q=alice%2Fp&limit=2&page=1`]);
    assert.equal(repos.headers.get('x-total-count'), '4');
    assert.match(repos.headers.get('link') ?? '', /rel="next".*rel="last"/);
    assert.equal(JSON.parse(repos.body).data.length, 2);
    // Over the maximum is lowered to it, as Gitea's convert.ToCorrectPageSize (api-validation.test.ts).
    const big = await curl([...auth, `${api}/repos/search?limit=1000`]);
    assert.equal(big.status, 200);
    const bad = await curl([...auth, `${api}/repos/search?limit=many`]);
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body).error.code, 'FERRY_INVALID_INPUT');
  });

  it('serves contents (file and directory), raw bytes, git trees and streamed archives for hg and git', async () => {
    const auth = ['-H', `Authorization: token ${aliceToken}`];
    const dir = JSON.parse((await curl([...auth, `${api}/repos/alice/privgit/contents?ref=v1.0`])).body);
    assert.deepEqual(dir.map((e: { name: string; type: string }) => `${e.type} ${e.name}`), ['dir src', 'file README.md']);
    const sub = JSON.parse((await curl([...auth, `${api}/repos/alice/privgit/contents/src?ref=v1.0`])).body);
    assert.deepEqual(sub.map((e: { path: string }) => e.path), ['src/main.c']);
    const raw = await curl([...auth, `${api}/repos/alice/privgit/raw/README.md?ref=main`]);
    assert.equal(raw.body, '# hello\nworld\n');
    assert.equal(raw.headers.get('x-content-type-options'), 'nosniff');
    const hgRaw = await curl([...auth, `${api}/repos/alice/privhg/raw/hello.txt?ref=v1.0`]);
    assert.equal(hgRaw.body, 'hello hg\n');
    const tree = JSON.parse((await curl([...auth, `${api}/repos/alice/privgit/git/trees/v1.0?recursive=1`])).body);
    assert.deepEqual(tree.tree.map((e: { path: string; type: string }) => `${e.type} ${e.path}`), ['tree src', 'blob src/main.c', 'blob README.md']);
    const hgTree = JSON.parse((await curl([...auth, `${api}/repos/alice/privhg/git/trees/stable?recursive=1`])).body);
    assert.deepEqual(hgTree.tree.map((e: { path: string }) => e.path), ['.hgtags', 'hello.txt']);

    const out = tempDir('ferry-api-archive-');
    for (const [repo, expected] of [['privgit', 'privgit-v1.0/src/main.c'], ['privhg', 'privhg-v1.0/hello.txt']] as const) {
      const tgz = join(out, `${repo}.tar.gz`);
      await runOk('curl', ['-sSf', ...auth, '-o', tgz, `${api}/repos/alice/${repo}/archive/v1.0.tar.gz`]);
      assert.match((await runOk('tar', ['tzf', tgz])).stdout, new RegExp(expected.replaceAll('.', '\\.')));
      const zip = join(out, `${repo}.zip`);
      await runOk('curl', ['-sSf', ...auth, '-o', zip, `${api}/repos/alice/${repo}/archive/v1.0.zip`]);
      assert.match((await runOk('unzip', ['-l', zip])).stdout, new RegExp(expected.replaceAll('.', '\\.')));
    }
    const nope = await curl([...auth, `${api}/repos/alice/privgit/archive/nope.tar.gz`]);
    assert.equal(nope.status, 404);
  });

  it('records commit statuses, combines them, and shows them on the web commit page', async () => {
    const auth = ['-H', `Authorization: token ${aliceToken}`, '-H', 'Content-Type: application/json'];
    for (const [repo, ref] of [['privgit', 'main'], ['privhg', 'v1.0']]) {
      const post = (body: object) => curl([...auth, '-X', 'POST', '--data', JSON.stringify(body), `${api}/repos/alice/${repo}/statuses/${ref}`]);
      assert.equal((await post({ state: 'pending', context: 'ci/build', target_url: 'https://ci.example.com/1', description: 'building' })).status, 201);
      assert.equal((await post({ state: 'success', context: 'ci/build', target_url: 'https://ci.example.com/1', description: 'built' })).status, 201);
      assert.equal((await post({ state: 'failure', context: 'ci/lint', description: 'lint failed' })).status, 201);
      const bad = await post({ state: 'success', target_url: 'javascript:alert(1)' });
      assert.equal(bad.status, 400, 'only http(s) links');
      const combined = JSON.parse((await curl([...auth, `${api}/repos/alice/${repo}/commits/${ref}/status`])).body);
      assert.equal(combined.state, 'failure');
      assert.equal(combined.total_count, 2, 'one status per context');
      assert.match(combined.sha, /^[0-9a-f]{40}$/);
    }
    const browser: Browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await signIn(page, server.baseUrl, 'alice', 'alice-password');
      await page.goto(`${server.baseUrl}/alice/privgit/-/commit/${gitHead}`);
      const text = (await page.textContent('main')) ?? '';
      assert.match(text, /ci\/build/);
      assert.match(text, /built/);
      assert.match(text, /ci\/lint/);
      assert.equal(await page.getAttribute('a[href="https://ci.example.com/1"]', 'rel'), 'nofollow noopener noreferrer');

      // The web session works for the API too; a write needs the session's CSRF token.
      const me = await page.request.get(`${api}/user`);
      assert.equal((await me.json()).login, 'alice');
      const forged = await page.request.patch(`${api}/repos/alice/privgit`, { data: { description: 'forged' } });
      assert.equal(forged.status(), 403);
      await page.goto(`${server.baseUrl}/-/settings`);
      const csrf = (await page.getAttribute('input[name=csrf]', 'value')) ?? '';
      const ok = await page.request.patch(`${api}/repos/alice/privgit`, { data: { description: 'from the browser' }, headers: { 'X-Ferry-CSRF': csrf } });
      assert.equal(ok.status(), 200);
      assert.equal((await ok.json()).description, 'from the browser');
    } finally {
      await browser.close();
    }
  });

  it('edits visibility, description and default branch, then deletes (repo admins)', async () => {
    const auth = ['-H', `Authorization: token ${aliceToken}`, '-H', 'Content-Type: application/json'];
    const patch = (path: string, body: object) => curl([...auth, '-X', 'PATCH', '--data', JSON.stringify(body), `${api}/repos/alice/${path}`]);
    assert.equal((await curl([`${api}/repos/alice/privhg`])).status, 404);
    const r = await patch('privhg', { private: false, description: 'now public' });
    assert.equal(r.status, 200);
    assert.equal(JSON.parse((await curl([`${api}/repos/alice/privhg`])).body).description, 'now public', 'anonymous sees it now');
    assert.equal((await patch('privhg', { private: true })).status, 200);
    assert.equal((await curl([`${api}/repos/alice/privhg`])).status, 404);
    const head = await patch('privgit', { default_branch: 'feature/x' });
    assert.equal(JSON.parse(head.body).default_branch, 'feature/x');
    const clone = join(tempDir('ferry-api-head-'), 'c');
    await expectOk(alice.git(['clone', '--quiet', `http://alice:${aliceToken}@127.0.0.1:${server.httpPort}/alice/privgit`, clone]));
    assert.equal((await runOk('git', ['-C', clone, 'rev-parse', '--abbrev-ref', 'HEAD'])).stdout.trim(), 'feature/x');
    const unknown = await patch('privgit', { default_branch: 'nope' });
    assert.equal(unknown.status, 400);
    assert.equal((await patch('privhg', { default_branch: 'stable' })).status, 400, 'an hg repo lands on default');

    const org = await curl([...auth, '-X', 'POST', '--data', '{"name":"tool","vcs":"hg","private":false}', `${api}/orgs/alice/repos`]);
    assert.equal(org.status, 201);
    assert.equal(JSON.parse(org.body).vcs, 'hg');
    const other = await curl([...auth, '-X', 'POST', '--data', '{"name":"x"}', `${api}/orgs/team%2Fweb/repos`]);
    assert.equal(other.status, 403, 'no write on team/web/');
    const del = await curl([...auth, '-X', 'DELETE', `${api}/repos/alice/tool`]);
    assert.equal(del.status, 204);
    assert.equal((await curl([...auth, `${api}/repos/alice/tool`])).status, 404);
  });

  it('manages SSH keys (/user/keys), lists them publicly (/users/{u}/keys) and as /USER.keys', async () => {
    const auth = ['-H', `Authorization: token ${aliceToken}`, '-H', 'Content-Type: application/json'];
    const key = await makeKey(tempDir('ferry-api-key-'), 'laptop');
    const added = await curl([...auth, '-X', 'POST', '--data', JSON.stringify({ key: key.publicLine, title: 'laptop' }), `${api}/user/keys`]);
    assert.equal(added.status, 201);
    const id = JSON.parse(added.body).id as number;
    assert.equal(JSON.parse(added.body).fingerprint, key.fingerprint);
    const mine = JSON.parse((await curl([...auth, `${api}/user/keys`])).body);
    assert.equal(mine.length, 2, 'the key from set-up and the new one');
    const plain = await curl([`${server.baseUrl}/alice.keys`]);
    assert.equal(plain.status, 200);
    assert.match(plain.headers.get('content-type') ?? '', /^text\/plain/);
    const lines = plain.body.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.ok(lines.includes(key.publicLine.split(' ').slice(0, 2).join(' ')), 'one key per line, as GitHub serves them');
    const pub = JSON.parse((await curl([`${api}/users/alice/keys`])).body);
    assert.equal(pub.length, 2);
    const dup = await curl([...auth, '-X', 'POST', '--data', JSON.stringify({ key: key.publicLine }), `${api}/user/keys`]);
    assert.equal(dup.status, 409);
    assert.equal((await curl([...auth, '-X', 'DELETE', `${api}/user/keys/${id}`])).status, 204);
    assert.equal((await curl([`${server.baseUrl}/alice.keys`])).body.trim().split('\n').length, 1);
    const garbage = await curl([...auth, '-X', 'POST', '--data', '{"key":"not a key"}', `${api}/user/keys`]);
    assert.equal(garbage.status, 400);
    assert.equal(JSON.parse(garbage.body).error.code, 'FERRY_INVALID_KEY');
  });

  it('serves an OpenAPI document that validates, and answers unknown endpoints with a JSON 404', async () => {
    const doc = JSON.parse((await curl([`${api}/openapi.json`])).body);
    await SwaggerParser.validate(doc);
    for (const p of ['/api/v1/repos/{owner}/{repo}', '/api/v1/repos/{owner}/{repo}/contents/{filepath}', '/api/v1/repos/{owner}/{repo}/statuses/{sha}', '/api/v1/user/keys']) {
      assert.ok(doc.paths[p], `${p} is documented`);
    }
    const nope = await curl([`${api}/nope`]);
    assert.equal(nope.status, 404);
    assert.equal(JSON.parse(nope.body).error.code, 'FERRY_NOT_FOUND');
  });

  it('answers a body that is not JSON, or JSON that does not parse, with 400 and what to send (not 500)', async () => {
    const auth = ['-H', `Authorization: token ${aliceToken}`];
    const broken = await curl([...auth, '-H', 'Content-Type: application/json', '-d', '{"name":', `${api}/user/repos`]);
    assert.equal(broken.status, 400, broken.body);
    assert.deepEqual(JSON.parse(broken.body).error, { code: 'FERRY_INVALID_INPUT', message: 'the JSON body does not parse; see /api/v1/openapi.json for the expected shape' });
    const form = await curl([...auth, '-d', 'name=formbody', `${api}/user/repos`]); // curl -d: application/x-www-form-urlencoded
    assert.equal(form.status, 400, form.body);
    assert.match(JSON.parse(form.body).error.message, /^send the body as JSON with Content-Type: application\/json/);
    assert.equal((await curl([...auth, `${api}/repos/alice/formbody`])).status, 404, 'nothing was created');
  });

  describe('mirror-sync', () => {
    let remote: Remote;
    after(async () => {
      await remote?.stop();
    });

    it('POST /repos/{o}/{r}/mirror-sync syncs a pull mirror now; a repo that is no mirror is 404', async () => {
      const author = await addUser(server, 'author');
      const source = await makeGitSource(author);
      remote = await startGitHttp(source.root);
      await server.cliOk(['import', `${remote.url}src.git`, 'alice/mirror', '--mirror', '--every', '1h']);
      const next = await source.commit('after import');
      const auth = ['-H', `Authorization: token ${aliceToken}`];
      const r = await curl([...auth, '-X', 'POST', `${api}/repos/alice/mirror/mirror-sync`]);
      assert.equal(r.status, 200);
      await eventually('the sync brings the new commit', async () => {
        const branches = JSON.parse((await curl([...auth, `${api}/repos/alice/mirror/branches`])).body) as { commit: { id: string } }[];
        return branches.some((b) => b.commit.id === next);
      });
      const notMirror = await curl([...auth, '-X', 'POST', `${api}/repos/alice/pubgit/mirror-sync`]);
      assert.equal(notMirror.status, 404);
      const ro = await curl(['-H', `Authorization: token ${readOnly}`, '-X', 'POST', `${api}/repos/alice/mirror/mirror-sync`]);
      assert.equal(ro.status, 403);
    });
  });
});
