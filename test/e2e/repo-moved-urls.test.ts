import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { addUser, pushGitFiles, runOk, startFerry, waitForCdnWorkers, type Client, type FerryServer } from './harness.js';

function tokenOf(stdout: string): string {
  const m = /(ferry_[A-Za-z0-9_-]+)/.exec(stdout);
  assert.ok(m, `a token in ${stdout}`);
  return m[1] as string;
}

/** `curl -sI` (HEAD) or a GET with the head printed: status and Location. */
async function head(url: string, auth: string[], method: 'HEAD' | 'GET'): Promise<{ status: number; location: string | undefined }> {
  const r = await runOk('curl', ['-sS', ...(method === 'HEAD' ? ['-I'] : ['-o', '/dev/null', '-D', '-']), ...auth, url]);
  const status = Number(/^HTTP\/[\d.]+ (\d+)/.exec(r.stdout)?.[1]);
  const location = /^location: (.*)\r$/im.exec(r.stdout)?.[1];
  return { status, location };
}

for (const workers of [2, 1]) {
  describe(`a moved repo's old URLs redirect on every HTTP path that names it ([cdn] workers = ${workers})`, () => {
    let ferry: FerryServer;
    let alice: Client;
    let bobToken: string;
    let carolToken: string;

    const pushRepo = (path: string) => pushGitFiles(alice, ferry, path, { 'a.txt': `file of ${path}\n` });

    before(async () => {
      ferry = await startFerry({ toml: `[cdn]\nworkers = ${workers}\n`, env: { FERRY_LOG_LEVEL: 'info' } });
      if (workers > 1) {
        await waitForCdnWorkers(ferry);
      }
      alice = await addUser(ferry, 'alice', { admin: true });
      await ferry.cliOk(['user', 'add', 'bob']);
      await ferry.cliOk(['user', 'add', 'carol']);
      bobToken = tokenOf((await ferry.cliOk(['token', 'add', 'bob'])).stdout);
      carolToken = tokenOf((await ferry.cliOk(['token', 'add', 'carol'])).stdout);
      await ferry.cliOk(['repo', 'create', 'team/old', '--git']);
      await ferry.cliOk(['grant', 'bob', 'team/old', 'read']);
      await pushRepo('team/old');
      await ferry.cliOk(['repo', 'create', 'pub/old', '--git', '--public']);
      await pushRepo('pub/old');
    });
    after(() => ferry?.stop());

    it('answers the CDN, raw files, archives, LFS and the API of a renamed private repo with 301 to the same URL under the new path, to readers only', async () => {
      // Read once before the move: a CDN worker keeps the answer, which must not outlive the path.
      assert.equal((await runOk('curl', ['-sS', '-u', `bob:${bobToken}`, `${ferry.baseUrl}/cdn/team/old@main/a.txt`])).stdout, 'file of team/old\n');
      await ferry.cliOk(['repo', 'mv', 'team/old', 'team/new']);
      const bob = ['-u', `bob:${bobToken}`];
      const oid = '0'.repeat(64);
      const cases: [string, string][] = [
        ['/cdn/team/old@main/a.txt?v=1', '/cdn/team/new@main/a.txt?v=1'],
        ['/cdn/team/old/a.txt', '/cdn/team/new/a.txt'],
        ['/cdn/Team/Old@main/', '/cdn/team/new@main/'],
        ['/team/old/-/raw/main/a.txt?download=1', '/team/new/-/raw/main/a.txt?download=1'],
        ['/team/old/-/archive/main.tar.gz', '/team/new/-/archive/main.tar.gz'],
        ['/team/old/-/archive/main.zip', '/team/new/-/archive/main.zip'],
        ['/team/old/-/files/main/a.txt', '/team/new/-/files/main/a.txt'],
        [`/team/old.git/info/lfs/objects/${oid}`, `/team/new.git/info/lfs/objects/${oid}`],
        ['/api/v1/repos/team/old/raw/a.txt?ref=main', '/api/v1/repos/team/new/raw/a.txt?ref=main'],
        ['/api/v1/repos/team/old/archive/main.zip', '/api/v1/repos/team/new/archive/main.zip'],
        ['/api/v1/repos/team/old', '/api/v1/repos/team/new'],
        ['/team/old/info/refs?service=git-upload-pack', '/team/new/info/refs?service=git-upload-pack'],
      ];
      for (const [from, to] of cases) {
        for (const method of ['HEAD', 'GET'] as const) {
          const got = await head(`${ferry.baseUrl}${from}`, bob, method);
          assert.deepEqual(got, { status: 301, location: to }, `${method} ${from} as a reader`);
          const anonymous = await head(`${ferry.baseUrl}${from}`, [], method);
          assert.notEqual(anonymous.status, 301, `${method} ${from} anonymously: the move is not told`);
          assert.equal(anonymous.location, undefined, `${method} ${from} anonymously`);
          const stranger = await head(`${ferry.baseUrl}${from}`, ['-u', `carol:${carolToken}`], method);
          assert.equal(stranger.location, undefined, `${method} ${from} as a stranger`);
        }
      }
      // curl -L follows to the file itself (credentials kept: same host).
      const followed = await runOk('curl', ['-sS', '-L', ...bob, `${ferry.baseUrl}/cdn/team/old@main/a.txt?v=1`]);
      assert.equal(followed.stdout, 'file of team/old\n');
      const raw = await runOk('curl', ['-sS', '-L', ...bob, `${ferry.baseUrl}/api/v1/repos/team/old/raw/a.txt?ref=main`]);
      assert.equal(raw.stdout, 'file of team/old\n');
    });

    it('answers a write (POST) to a moved repo with 308, so curl -L re-sends the POST and the commit status is not lost', async () => {
      await ferry.cliOk(['repo', 'create', 'team/wold', '--git']);
      await pushRepo('team/wold');
      await ferry.cliOk(['repo', 'mv', 'team/wold', 'team/wnew']);
      const token = tokenOf((await ferry.cliOk(['token', 'add', 'alice'])).stdout);
      const auth = ['-H', `Authorization: token ${token}`];
      const post = ['-X', 'POST', ...auth, '-H', 'Content-Type: application/json', '--data-raw', '{"state":"success","context":"ci/moved"}'];
      // Without -L: 308 to the same URL under the new path; GET and HEAD keep 301.
      const once = await runOk('curl', ['-sS', '-o', '/dev/null', '-D', '-', ...post, `${ferry.baseUrl}/api/v1/repos/team/wold/statuses/main`]);
      assert.match(once.stdout, /^HTTP\/[\d.]+ 308/);
      assert.match(once.stdout, /^location: \/api\/v1\/repos\/team\/wnew\/statuses\/main\r$/im);
      assert.deepEqual(await head(`${ferry.baseUrl}/api/v1/repos/team/wold/statuses/main`, auth, 'GET'), { status: 301, location: '/api/v1/repos/team/wnew/statuses/main' });
      // With -L the POST (method and body) reaches the new path and the status exists there.
      const followed = await runOk('curl', ['-sS', '-L', '-w', '\n%{http_code}', ...post, `${ferry.baseUrl}/api/v1/repos/team/wold/statuses/main`]);
      assert.match(followed.stdout, /\n201$/, followed.stdout);
      const listed = await runOk('curl', ['-sS', ...auth, `${ferry.baseUrl}/api/v1/repos/team/wnew/statuses/main`]);
      const statuses = JSON.parse(listed.stdout) as { context: string; state: string }[];
      assert.deepEqual(statuses.map((x) => [x.context, x.state]), [['ci/moved', 'success']]);
      // The wire protocols and the web pages too: a POST is 308, its GET 301.
      for (const [path, to] of [
        ['/team/wold/git-upload-pack', '/team/wnew/git-upload-pack'],
        ['/team/wold/-/settings', '/team/wnew/-/settings'],
      ] as const) {
        const r = await runOk('curl', ['-sS', '-o', '/dev/null', '-D', '-', '-X', 'POST', ...auth, '--data-raw', 'x', `${ferry.baseUrl}${path}`]);
        assert.match(r.stdout, /^HTTP\/[\d.]+ 308/, `POST ${path}: ${r.stdout}`);
        assert.match(r.stdout, new RegExp(`^location: ${to}\r$`, 'im'), `POST ${path}`);
      }
    });

    it('redirects anonymous CDN readers of a renamed public repo, also after the fast lane reused an answer', async () => {
      for (let i = 0; i < 3; i++) assert.equal((await runOk('curl', ['-sS', `${ferry.baseUrl}/cdn/pub/old@main/a.txt`])).stdout, 'file of pub/old\n');
      await ferry.cliOk(['repo', 'mv', 'pub/old', 'pub/new']);
      for (const method of ['HEAD', 'GET'] as const) {
        assert.deepEqual(await head(`${ferry.baseUrl}/cdn/pub/old@main/a.txt`, [], method), { status: 301, location: '/cdn/pub/new@main/a.txt' });
        assert.deepEqual(await head(`${ferry.baseUrl}/cdn/pub/old/a.txt?x=y`, [], method), { status: 301, location: '/cdn/pub/new/a.txt?x=y' });
      }
      const followed = await runOk('curl', ['-sS', '-L', '-w', '%{http_code} %{num_redirects}', `${ferry.baseUrl}/cdn/pub/old@main/a.txt`]);
      assert.equal(followed.stdout, 'file of pub/old\n200 1');
      // Renamed again through the REST API (as from the web settings): both old paths lead to the new one.
      const token = tokenOf((await ferry.cliOk(['token', 'add', 'alice'])).stdout);
      const renamed = await runOk('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'PATCH', '-H', `Authorization: token ${token}`, '-H', 'Content-Type: application/json', '--data-raw', '{"name":"renamed"}', `${ferry.baseUrl}/api/v1/repos/pub/new`]);
      assert.equal(renamed.stdout, '200');
      for (const from of ['old', 'new']) {
        assert.deepEqual(await head(`${ferry.baseUrl}/cdn/pub/${from}@main/a.txt?v=2`, [], 'GET'), { status: 301, location: '/cdn/pub/renamed@main/a.txt?v=2' }, from);
        assert.deepEqual(await head(`${ferry.baseUrl}/pub/${from}/-/raw/main/a.txt`, [], 'HEAD'), { status: 301, location: '/pub/renamed/-/raw/main/a.txt' }, from);
      }
    });
  });
}
