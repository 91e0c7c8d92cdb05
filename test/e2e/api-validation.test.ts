import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addUser, expectOk, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

/** curl with an argument array; returns the status and the parsed JSON body (or the text). */
async function curlJson(args: readonly string[]): Promise<{ status: number; headers: string; body: unknown }> {
  const r = await runOk('curl', ['-sS', '-D', '-', ...args]);
  const split = r.stdout.indexOf('\r\n\r\n');
  const headers = r.stdout.slice(0, split);
  const text = r.stdout.slice(split + 4);
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: Number(headers.split(' ')[1]), headers, body };
}

function errorOf(body: unknown): { code: string; message: string } {
  const e = (body as { error?: { code: string; message: string } }).error;
  assert.ok(e, `an error body: ${JSON.stringify(body)}`);
  return e;
}

/**
 * Issue 16 field report: the API validates as Gitea does. Page sizes over the maximum are
 * clamped; unknown users and orgs are 404; query and body booleans are real booleans; a repo
 * name is one segment; default_branch is honoured on create (git HEAD) or refused (hg, not
 * `default`); ids in paths are positive whole numbers; one-line name fields refuse newlines.
 */
describe('REST API validation as Gitea does it (curl, git)', () => {
  let server: FerryServer;
  let alice: Client;
  let token: string;
  let api: string;
  const auth = () => ['-H', `Authorization: token ${token}`];
  const post = (path: string, body: unknown) => curlJson([...auth(), '-H', 'Content-Type: application/json', '-d', JSON.stringify(body), `${api}${path}`]);

  before(async () => {
    server = await startFerry();
    api = `${server.baseUrl}/api/v1`;
    alice = await addUser(server, 'alice');
    token = /(ferry_[A-Za-z0-9_-]+)/.exec((await server.cliOk(['token', 'add', 'alice'])).stdout)?.[1] as string;
    for (let i = 0; i < 3; i++) await server.cliOk(['repo', 'create', `alice/r${i}`, '--git', '--public']);
    await server.cliOk(['repo', 'create', 'team/web/app', '--git', '--public']);
  });
  after(async () => {
    await server?.stop();
  });

  it('limit over the maximum is clamped to 100 (as Gitea), documented in openapi.json; 0 means the default', async () => {
    const big = await curlJson([...auth(), `${api}/repos/search?limit=1000`]);
    assert.equal(big.status, 200, JSON.stringify(big.body));
    assert.equal((big.body as { data: unknown[] }).data.length, 4);
    const zero = await curlJson([...auth(), `${api}/user/repos?limit=0`]);
    assert.equal(zero.status, 200);
    const one = await curlJson([...auth(), `${api}/user/repos?limit=1000&page=2`]);
    assert.equal(one.status, 200);
    assert.match(one.headers, /limit=100\b/, 'Link headers carry the clamped limit');
    const bad = await curlJson([...auth(), `${api}/user/repos?limit=ten`]);
    assert.equal(bad.status, 400);
    assert.match(errorOf(bad.body).message, /query\.limit: give a whole number/);
    const doc = (await curlJson([`${api}/openapi.json`])).body as { paths: Record<string, { get: { parameters: { name: string; description: string }[] } }> };
    const limit = doc.paths['/api/v1/user/repos']?.get.parameters.find((p) => p.name === 'limit');
    assert.match(limit?.description ?? '', /at most 100/);
  });

  it('an unknown user or org is 404 on every route that takes an owner name', async () => {
    for (const path of ['/users/nosuch/repos', '/orgs/nosuch/repos', '/orgs/team%2Fnosuch/repos', '/users/nosuch', '/users/nosuch/keys', '/repos/nosuch/app']) {
      const r = await curlJson([...auth(), `${api}${path}`]);
      assert.equal(r.status, 404, `${path}: ${JSON.stringify(r.body)}`);
    }
    const user = await curlJson([...auth(), `${api}/users/alice/repos`]);
    assert.equal(user.status, 200);
    assert.equal((user.body as unknown[]).length, 3);
    const group = await curlJson([`${api}/orgs/team%2Fweb/repos`]);
    assert.equal(group.status, 200);
    assert.equal((group.body as unknown[]).length, 1);
  });

  it('booleans in the query and the body must be booleans: private=maybe is 400 saying what to send', async () => {
    const maybe = await curlJson([...auth(), `${api}/repos/search?private=maybe`]);
    assert.equal(maybe.status, 400);
    assert.match(errorOf(maybe.body).message, /query\.private: give true or false/);
    const onlyPublic = await curlJson([...auth(), `${api}/repos/search?private=false`]);
    assert.equal((onlyPublic.body as { data: unknown[] }).data.length, 4, 'private=false lists the public repos (was read as true)');
    const onlyPrivate = await curlJson([...auth(), `${api}/repos/search?private=true`]);
    assert.equal((onlyPrivate.body as { data: unknown[] }).data.length, 0);
    const files = await curlJson([...auth(), `${api}/repos/alice/r0/commits?stat=yes`]);
    assert.equal(files.status, 400);
    assert.match(errorOf(files.body).message, /query\.stat: give true or false/);
    const body = await post('/user/repos', { name: 'x1', private: 'maybe' });
    assert.equal(body.status, 400);
    assert.match(errorOf(body.body).message, /json\.private: send a JSON boolean \(true or false, without quotes\)/);
    const none = await curlJson([...auth(), `${api}/repos/alice/x1`]);
    assert.equal(none.status, 404, 'a refused create makes nothing');
  });

  it('a "/" in a new repo name is refused on create (nested repos come from the owner)', async () => {
    for (const name of ['a/b', '../x', '.hidden', '-x', 'a b']) {
      const r = await post('/user/repos', { name });
      assert.equal(r.status, 400, `${name}: ${JSON.stringify(r.body)}`);
      assert.match(errorOf(r.body).message, /json\.name: a repo name is one path segment/);
    }
    const listed = await curlJson([...auth(), `${api}/user/repos`]);
    assert.deepEqual((listed.body as { full_name: string }[]).map((r) => r.full_name).filter((p) => p.startsWith('alice/a')), []);
  });

  it('a repo name ending in .git is refused on create, rename and in the CLI (git clients reach X.git as X)', async () => {
    for (const name of ['x.git', 'y.GIT']) {
      const r = await post('/user/repos', { name });
      assert.ok(r.status === 400 || r.status === 422, `${name}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.match(errorOf(r.body).message, /may not end in "\.git"/i);
    }
    const renamed = await curlJson([...auth(), '-X', 'PATCH', '-H', 'Content-Type: application/json', '-d', JSON.stringify({ name: 'r1.git' }), `${api}/repos/alice/r1`]);
    assert.ok(renamed.status === 400 || renamed.status === 422, `${renamed.status} ${JSON.stringify(renamed.body)}`);
    const cli = await server.cli(['repo', 'create', 'alice/z.git', '--git']);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /^ferry: invalid repository path "alice\/z\.git": a name may not end in "\.git" .*name it "alice\/z"\n$/);
    const mv = await server.cli(['repo', 'mv', 'alice/r2', 'alice/r2.git']);
    assert.equal(mv.code, 1, mv.stderr);
    const listed = await curlJson([...auth(), `${api}/user/repos`]);
    assert.deepEqual((listed.body as { full_name: string }[]).map((r) => r.full_name).filter((p) => /\.git$/i.test(p)), []);
    // A git client still reaches alice/r0 as alice/r0.git.
    await expectOk(alice.git(['ls-remote', `${server.baseUrl}/alice/r0.git`]));
  });

  it('default_branch is honoured on create: git HEAD names it, clones check it out; hg only takes "default"', async () => {
    const made = await post('/user/repos', { name: 'trunked', default_branch: 'trunk' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal((made.body as { default_branch: string }).default_branch, 'trunk');
    const remote = `http://alice:${token}@127.0.0.1:${server.httpPort}/alice/trunked`;
    // Push main and trunk at once: without the honoured default_branch, HEAD would follow main.
    const work = join(tempDir('ferry-apival-'), 'w');
    await expectOk(alice.git(['init', '--quiet', '-b', 'main', work]));
    writeFileSync(join(work, 'a.txt'), 'a\n');
    const git = (...args: string[]) => expectOk(alice.git(['-C', work, '-c', 'user.name=A', '-c', 'user.email=a@example.com', ...args]));
    await git('add', '-A');
    await git('commit', '--quiet', '-m', 'one');
    await git('branch', 'trunk');
    await git('push', '--quiet', remote, 'main', 'trunk');
    const ls = await expectOk(alice.git(['ls-remote', '--symref', remote, 'HEAD']));
    assert.match(ls.stdout, /ref: refs\/heads\/trunk\tHEAD/);
    const badGit = await post('/user/repos', { name: 'badbranch', default_branch: 'a..b' });
    assert.equal(badGit.status, 400);
    assert.match(errorOf(badGit.body).message, /not a valid git branch name/);
    assert.equal((await curlJson([...auth(), `${api}/repos/alice/badbranch`])).status, 404, 'nothing is left behind');
    const hg = await post('/user/repos', { name: 'hgtrunk', vcs: 'hg', default_branch: 'trunk' });
    assert.equal(hg.status, 400);
    assert.match(errorOf(hg.body).message, /default branch is always "default"/);
    const hgOk = await post('/user/repos', { name: 'hgdefault', vcs: 'hg', default_branch: 'default' });
    assert.equal(hgOk.status, 201);
    assert.equal((hgOk.body as { default_branch: string }).default_branch, 'default');
  });

  it('ids in paths are positive whole numbers; one-line names refuse control characters', async () => {
    for (const id of ['-1', '0', 'abc', '1.5']) {
      const r = await curlJson([...auth(), `${api}/repos/alice/r0/hooks/${id}`]);
      assert.equal(r.status, 400, `${id}: ${JSON.stringify(r.body)}`);
      assert.match(errorOf(r.body).message, /ids are positive whole numbers/);
    }
    const key = await post('/user/keys', { key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl', title: 'laptop\nssh-ed25519 AAAAforged' });
    assert.equal(key.status, 400);
    assert.match(errorOf(key.body).message, /json\.title: one line of text/);
    const hook = await post('/repos/alice/r0/hooks', { type: 'gitea', config: { url: `https://example.com/${'x'.repeat(3000)}`, content_type: 'json' } });
    assert.equal(hook.status, 400);
  });
});
