import { createHash } from 'node:crypto';
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run, tempDir, type Client, type FerryServer, type RunResult } from './harness.js';
import { filesUnder, largeText, ok, startLargeFilesHost, type LargeFilesHost, type Transport } from './large-files.js';

describe('Git LFS: the batch API over HTTP, git-lfs-authenticate over SSH, with Debian\'s git-lfs client', () => {
  let host: LargeFilesHost;
  let server: FerryServer;
  let alice: Client;
  let carol: Client;
  let dave: Client;
  let tokens: ReadonlyMap<string, string>;
  /** The large file's content pushed over each transport. */
  const pushed = new Map<Transport, string>();
  const lfsDir = () => join(server.dataDir, 'lfs');
  const stored = (oid: string) => filesUnder(lfsDir()).filter((f) => f.endsWith(`/${oid}`));

  const url = (client: Client, transport: Transport, path: string): string => host.url(client === alice ? 'alice' : client === carol ? 'carol' : 'dave', transport, path, '.git');
  const curl = (args: readonly string[]) => run('curl', ['-sS', '-o', '-', '-w', '\\n%{http_code}', ...args]);
  const statusOf = (r: RunResult) => Number(r.stdout.trim().split('\n').pop());

  before(async () => {
    host = await startLargeFilesHost(['alice', 'carol', 'dave']);
    ({ server, tokens } = host);
    [alice, carol, dave] = ['alice', 'carol', 'dave'].map((name) => host.clients.get(name) as Client) as [Client, Client, Client];
    for (const client of [alice, carol, dave]) ok(await client.git(['lfs', 'install']), 'git lfs install');
  });
  after(async () => {
    await server.stop();
  });

  for (const transport of ['http', 'ssh'] as const) {
    describe(`over ${transport}`, () => {
      const path = `team/assets-${transport}`;
      const big = largeText(`big over ${transport}`);
      pushed.set(transport, big.content);

      before(async () => {
        await server.cliOk(['repo', 'create', path, '--git', '--public']);
      });

      it('git lfs push stores the object, verified, under the repo id; a reader clones the content', async () => {
        const work = join(tempDir(), 'work');
        ok(await alice.git(['init', '-q', work]), 'git init');
        ok(await alice.git(['-C', work, 'lfs', 'track', '*.bin']), 'lfs track');
        writeFileSync(join(work, 'big.bin'), big.content);
        writeFileSync(join(work, 'README'), 'small\n');
        ok(await alice.git(['-C', work, 'add', '.']), 'git add');
        ok(await alice.git(['-C', work, 'commit', '-q', '-m', 'large']), 'commit');
        const push = ok(await alice.git(['-C', work, 'push', url(alice, transport, path), 'main'], { env: { GIT_TRACE: '1' } }), 'git push');
        const files = stored(big.sha256);
        assert.equal(files.length, 1, `the object is stored once: ${push.stderr}`);
        // Over SSH, git-lfs asked Ferry for the HTTP endpoint and a token.
        if (transport === 'ssh') assert.match(push.stderr, /git-lfs-authenticate/);
        assert.match(files[0] as string, new RegExp(`/lfs/\\d+/${big.sha256.slice(0, 2)}/${big.sha256.slice(2, 4)}/${big.sha256}$`));
        assert.equal(readFileSync(files[0] as string, 'utf8'), big.content);

        const clone = join(tempDir(), 'clone');
        ok(await carol.git(['clone', '-q', url(carol, transport, path), clone]), 'reader clone');
        assert.equal(readFileSync(join(clone, 'big.bin'), 'utf8'), big.content, 'the clone holds the content, not the pointer');
      });

      it('refuses a reader\'s upload and stores nothing (reader-uploads-lfs-object)', async () => {
        const clone = join(tempDir(), 'clone');
        ok(await carol.git(['clone', '-q', url(carol, transport, path), clone]), 'reader clone');
        const extra = largeText(`reader ${transport}`);
        writeFileSync(join(clone, 'extra.bin'), extra.content);
        ok(await carol.git(['-C', clone, 'add', 'extra.bin']), 'add');
        ok(await carol.git(['-C', clone, 'commit', '-q', '-m', 'reader']), 'commit');
        const push = await carol.git(['-C', clone, 'push', url(carol, transport, path), 'main']);
        assert.notEqual(push.code, 0, 'the push went through');
        assert.match(push.stderr, /carol may only read team\/assets/);
        assert.deepEqual(stored(extra.sha256), [], 'the reader\'s object reached the server');
        // git refuses before its pre-push hook uploads anything; git-lfs asked directly is refused too.
        const upload = await carol.git(['-C', clone, 'lfs', 'push', '--object-id', url(carol, transport, path), extra.sha256]);
        assert.notEqual(upload.code, 0, `the reader's upload went through: ${upload.stdout}`);
        assert.match(upload.stderr + upload.stdout, /carol may only read team\/assets/);
        assert.deepEqual(stored(extra.sha256), [], 'the reader\'s object reached the server');
      });
    });
  }

  it('the CDN and the web raw view serve the object, not the pointer; the pointer when the object is missing', async () => {
    const path = 'team/assets-http';
    const big = pushed.get('http') as string;
    const cdn = await curl([`${server.baseUrl}/cdn/${path}@main/big.bin`]);
    assert.equal(statusOf(cdn), 200);
    assert.equal(cdn.stdout.slice(0, cdn.stdout.lastIndexOf('\n')), big);
    const raw = await curl([`${server.baseUrl}/${path}/-/raw/main/big.bin`]);
    assert.equal(statusOf(raw), 200);
    assert.equal(raw.stdout.slice(0, raw.stdout.lastIndexOf('\n')), big);
    // A pointer whose object Ferry does not hold (pushed with GIT_LFS_SKIP_PUSH): the pointer.
    const work = join(tempDir(), 'work');
    ok(await alice.git(['clone', '-q', url(alice, 'http', path), work]), 'clone');
    const missing = largeText('never uploaded');
    writeFileSync(join(work, 'missing.bin'), missing.content);
    ok(await alice.git(['-C', work, 'add', 'missing.bin']), 'add');
    ok(await alice.git(['-C', work, 'commit', '-q', '-m', 'pointer only']), 'commit');
    ok(await alice.git(['-C', work, 'push', url(alice, 'http', path), 'main'], { env: { GIT_LFS_SKIP_PUSH: '1' } }), 'push without objects');
    const pointer = await curl([`${server.baseUrl}/${path}/-/raw/main/missing.bin`]);
    assert.equal(statusOf(pointer), 200);
    assert.match(pointer.stdout, new RegExp(`^version https://git-lfs.github.com/spec/v1\\noid sha256:${missing.sha256}\\nsize ${missing.content.length}\\n`));
    const cdnPointer = await curl([`${server.baseUrl}/cdn/${path}@main/missing.bin`]);
    assert.match(cdnPointer.stdout, new RegExp(`oid sha256:${missing.sha256}`));
  });

  it('refuses an upload whose content does not match its SHA-256 and keeps nothing (lfs-upload-sha-mismatch)', async () => {
    const claimed = largeText('claimed');
    const endpoint = `${server.baseUrl}/team/assets-http.git/info/lfs/objects/${claimed.sha256}`;
    const put = await curl(['-X', 'PUT', '-u', `alice:${tokens.get('alice') ?? ''}`, '-H', 'Content-Type: application/octet-stream', '--data-binary', 'something else entirely', endpoint]);
    assert.equal(statusOf(put), 422, put.stdout);
    assert.match(put.stdout, /SHA-256 is [0-9a-f]{64}, not/);
    assert.deepEqual(stored(claimed.sha256), []);
    assert.deepEqual(filesUnder(join(lfsDir(), 'tmp')), [], 'a partial upload was kept');
    // The same object with the right content is stored.
    const file = join(tempDir(), 'object');
    writeFileSync(file, claimed.content);
    const good = await curl(['-X', 'PUT', '-u', `alice:${tokens.get('alice') ?? ''}`, '--data-binary', `@${file}`, endpoint]);
    assert.equal(statusOf(good), 200, good.stdout);
    assert.equal(stored(claimed.sha256).length, 1);
  });

  it('decides each request: readers download, not upload; private repos are 404 to strangers and 401 to the anonymous', async () => {
    await server.cliOk(['repo', 'create', 'team/private-lfs', '--git']);
    const batch = (operation: string) => JSON.stringify({ operation, transfers: ['basic'], objects: [{ oid: 'a'.repeat(64), size: 1 }] });
    const endpoint = `${server.baseUrl}/team/private-lfs.git/info/lfs/objects/batch`;
    const headers = ['-H', 'Accept: application/vnd.git-lfs+json', '-H', 'Content-Type: application/vnd.git-lfs+json'];
    const as = (name: string) => ['-u', `${name}:${tokens.get(name) ?? ''}`];
    assert.equal(statusOf(await curl(['-X', 'POST', ...headers, ...as('carol'), '--data', batch('upload'), endpoint])), 403);
    const download = await curl(['-X', 'POST', ...headers, ...as('carol'), '--data', batch('download'), endpoint]);
    assert.equal(statusOf(download), 200);
    assert.match(download.stdout, /"error":\{"code":404/);
    assert.equal(statusOf(await curl(['-X', 'POST', ...headers, ...as('dave'), '--data', batch('download'), endpoint])), 404);
    const anonymous = await curl(['-X', 'POST', ...headers, '-D', '-', '--data', batch('download'), endpoint]);
    assert.equal(statusOf(anonymous), 401);
    assert.match(anonymous.stdout, /LFS-Authenticate: Basic/i);
    // Over SSH, git-lfs-authenticate answers by the same rules.
    const upload = await carol.ssh(['127.0.0.1', 'git-lfs-authenticate', 'team/private-lfs', 'upload']);
    assert.notEqual(upload.code, 0);
    assert.match(upload.stderr, /carol may only read team\/private-lfs/);
    assert.notEqual((await dave.ssh(['127.0.0.1', 'git-lfs-authenticate', 'team/private-lfs', 'download'])).code, 0);
    const granted = ok(await carol.ssh(['127.0.0.1', 'git-lfs-authenticate', 'team/private-lfs', 'download']), 'lfs authenticate');
    const answer = JSON.parse(granted.stdout) as { href: string; header: { Authorization: string }; expires_in: number };
    assert.match(answer.href, new RegExp(`^http://[^/]+:${server.httpPort}/team/private-lfs.git/info/lfs$`));
    const withToken = await curl(['-X', 'POST', ...headers, '-H', `Authorization: ${answer.header.Authorization}`, '--data', batch('download'), endpoint]);
    assert.equal(statusOf(withToken), 200);
    const uploadWithToken = await curl(['-X', 'POST', ...headers, '-H', `Authorization: ${answer.header.Authorization}`, '--data', batch('upload'), endpoint]);
    assert.equal(statusOf(uploadWithToken), 403, 'a reader\'s token uploads');
  });

  it('lfs-objects-lost-on-rename: a repo moved with ferry repo mv, then renamed through the API, keeps its objects; a reader clones the content at the new path', async () => {
    const content = pushed.get('http') as string;
    const sha = createHash('sha256').update(content).digest('hex');
    assert.equal(stored(sha).length, 1);
    await server.cliOk(['repo', 'mv', 'team/assets-http', 'team/assets-moved']);
    assert.equal(stored(sha).length, 1, 'the object stays after ferry repo mv');
    await server.cliOk(['grant', 'alice', 'team/assets-moved', 'admin']);
    const token = tokens.get('alice') as string;
    const rename = await curl(['-X', 'PATCH', '-H', `Authorization: token ${token}`, '-H', 'Content-Type: application/json', '-d', '{"name":"assets-renamed"}', `${server.baseUrl}/api/v1/repos/team/assets-moved`]);
    assert.equal(statusOf(rename), 200, rename.stdout);
    assert.equal(stored(sha).length, 1, 'the object stays after an API rename');
    // The repo also holds a pointer whose object was never pushed (the CDN test above): fetch big.bin's alone.
    const clone = join(tempDir(), 'clone-renamed');
    ok(await carol.git(['clone', '-q', url(carol, 'http', 'team/assets-renamed'), clone], { env: { GIT_LFS_SKIP_SMUDGE: '1' } }), 'reader clone at the new path');
    ok(await carol.git(['-C', clone, 'lfs', 'pull', '--include', 'big.bin']), 'git lfs pull of big.bin at the new path');
    assert.equal(readFileSync(join(clone, 'big.bin'), 'utf8'), content, 'the clone holds the content, not the pointer');
    await server.cliOk(['repo', 'mv', 'team/assets-renamed', 'team/assets-http']);
  });

  it('removes a repo\'s objects with the repo', async () => {
    const ids = readdirSync(lfsDir()).filter((n) => /^\d+$/.test(n));
    const before = ids.length;
    await server.cliOk(['repo', 'rm', 'team/assets-ssh']);
    assert.equal(readdirSync(lfsDir()).filter((n) => /^\d+$/.test(n)).length, before - 1);
  });
});
