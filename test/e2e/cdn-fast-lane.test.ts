import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addUser, run, runOk, startFerry, tempDir, type Client, type FerryServer, waitForCdnWorkers } from './harness.js';
import { exchange, splitResponses } from './raw-http.js';

const LIB = `export const answer = 42;\n${'// padding that compresses well\n'.repeat(100)}`;

describe('CDN workers answer HTTP/1.1 themselves', () => {
  let ferry: FerryServer;
  let alice: Client;
  let work: string;
  let base: string;
  const git = (args: string[]) => alice.git(args);

  async function commitAndPush(file: string, text: string): Promise<void> {
    writeFileSync(join(work, file), text);
    for (const args of [['-C', work, 'add', '-A'], ['-C', work, 'commit', '-q', '-m', `${file}: ${text.slice(0, 20)}`]]) {
      const r = await git(args);
      assert.equal(r.code, 0, `git ${args.join(' ')}: ${r.stderr}`);
    }
    const push = await git(['-C', work, 'push', '-q', `ssh://git@127.0.0.1:${ferry.sshPort}/site/lib`, 'main']);
    assert.equal(push.code, 0, push.stderr);
  }

  before(async () => {
    ferry = await startFerry({ toml: '[cdn]\nworkers = 2\n', env: { FERRY_LOG_LEVEL: 'info' } });
    await waitForCdnWorkers(ferry);
    alice = await addUser(ferry, 'alice', { admin: true });
    await ferry.cliOk(['repo', 'create', 'site/lib', '--git', '--public']);
    work = join(tempDir('ferry-fast-lane-'), 'w');
    assert.equal((await git(['init', '-q', '-b', 'main', work])).code, 0);
    writeFileSync(join(work, 'b.txt'), 'bee\n');
    await commitAndPush('lib.js', LIB);
    base = `${ferry.baseUrl}/cdn/site/lib@main`;
  });
  after(() => ferry?.stop());

  it('keeps connections alive for curl, answers HEAD and HTTP/1.0, and hands other requests on to the primary', async () => {
    const twice = await runOk('curl', ['-sS', '-v', `${base}/lib.js`, `${base}/b.txt`]);
    assert.equal(twice.stdout, `${LIB}bee\n`);
    assert.match(twice.stderr, /Re-using existing connection/);
    assert.match(twice.stderr, /< Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT/);

    const head = await runOk('curl', ['-sS', '-I', `${base}/lib.js`]);
    assert.match(head.stdout, /^HTTP\/1\.1 200 OK/);
    assert.match(head.stdout, new RegExp(`Content-Length: ${Buffer.byteLength(LIB)}\\r\\n`, 'i'));

    const old = await runOk('curl', ['-sS', '-0', '-D', '-', `${base}/b.txt`]);
    assert.match(old.stdout, /Connection: close\r\n/i);
    assert.ok(old.stdout.endsWith('\r\n\r\nbee\n'));

    const gz = await runOk('curl', ['-sS', '--compressed', '-D', '-', `${base}/lib.js`]);
    assert.match(gz.stdout, /Content-Encoding: (gzip|br)\r\n/i);
    assert.ok(gz.stdout.endsWith(`\r\n\r\n${LIB}`));

    // One connection: a CDN file (a worker takes the connection), a POST (405 from node's server in
    // the worker), a page (answered by the primary through the worker), a CDN file again.
    const w = ['-s', '-o', '/dev/null', '-w', '%{http_code} %{num_connects}\\n'];
    const mixed = await runOk('curl', [...w, `${base}/b.txt`, '--next', ...w, '-X', 'POST', `${base}/b.txt`, '--next', ...w, `${ferry.baseUrl}/healthz`, '--next', ...w, `${base}/b.txt`]);
    assert.equal(mixed.stdout, '200 1\n405 0\n200 0\n200 0\n');

    // Past the 256 KB every Ferry server takes (one argument may not pass 128 KB: three headers).
    const big = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `${base}/b.txt`, '--next', '-s', '-o', '/dev/null', '-w', ' %{http_code}', ...[1, 2, 3].flatMap((i) => ['-H', `X-Big-${i}: ${'x'.repeat(100_000)}`]), `${base}/b.txt`]);
    assert.equal(big.stdout, '200 431');
  });

  it('answers pipelined requests in order, HEAD without a body, and the rest after a hand-over', async () => {
    const port = ferry.httpPort;
    const req = (method: string, path: string, extra = '') => `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}\r\n`;
    const stream = await exchange(
      port,
      req('GET', '/cdn/site/lib@main/b.txt') +
        req('HEAD', '/cdn/site/lib@main/lib.js') +
        req('GET', '/cdn/site/lib@main/nope.txt') +
        req('GET', '/cdn/site/lib@main/lib.js', 'Range: bytes=0-5\r\n') +
        req('GET', '/healthz') +
        req('GET', '/cdn/site/lib@main/b.txt', 'Connection: close\r\n'),
    );
    const answers = splitResponses(stream, [1]);
    // The commit the 404 names comes from the pushed repo, not from the server's own answer.
    const head = await git(['-C', work, 'rev-parse', 'main']);
    assert.equal(head.code, 0, head.stderr);
    const commit = head.stdout.trim();
    assert.deepEqual(
      answers.map((a) => [a.status, a.body]),
      [
        [200, 'bee\n'],
        [200, ''],
        [404, `no file nope.txt in site/lib at ${commit.slice(0, 12)}\n`],
        [206, 'export'],
        [200, 'ok\n'],
        [200, 'bee\n'],
      ],
    );
    assert.equal(answers[1]?.headers.get('content-length'), String(Buffer.byteLength(LIB)));
  });

  it('serves a push on the first request after it returns, though the old file was just answered many times', async () => {
    let previous = 'bee\n';
    for (const version of ['two', 'three', 'four']) {
      for (let i = 0; i < 5; i++) assert.equal(await (await fetch(`${base}/b.txt`)).text(), previous);
      previous = `${version}\n`;
      await commitAndPush('b.txt', `${version}\n`);
      assert.equal(await (await fetch(`${base}/b.txt`)).text(), `${version}\n`);
      assert.equal(await (await fetch(`${base}/b.txt`)).text(), `${version}\n`);
    }
  });

  it('sends a large file whole on one connection, plain and gzip, and the pushed version right after a push', async () => {
    const big = (version: string) => `/* ${version} */\n${Array.from({ length: 4000 }, (_, i) => `export const v${i} = ${(i * 7919) % 10007};`).join('\n')}\n`;
    await commitAndPush('big.js', big('one'));
    const urls = Array.from({ length: 6 }, () => `${base}/big.js`);
    for (const compressed of [[], ['--compressed']]) {
      const again = await runOk('curl', ['-sS', '-v', ...compressed, ...urls]);
      assert.equal(again.stdout, big('one').repeat(urls.length));
      assert.equal(again.stderr.match(/Re-using existing connection|Reusing existing/g)?.length, urls.length - 1, 'one connection');
    }
    for (let i = 0; i < 5; i++) assert.equal(await (await fetch(`${base}/big.js`)).text(), big('one'));
    await commitAndPush('big.js', big('two'));
    assert.equal(await (await fetch(`${base}/big.js`)).text(), big('two'));
  });

  it('stops answering the anonymous as soon as the repo is made private from the CLI (another process)', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await fetch(`${base}/lib.js`)).status, 200);
    await ferry.cliOk(['repo', 'set', 'site/lib', '--private']);
    // Every worker, on fresh connections: none keeps its reused answer a moment longer.
    for (let i = 0; i < 8; i++) assert.equal((await runOk('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `${base}/lib.js`])).stdout, '401', 'the CDN kept serving a private repo to the anonymous');
    const token = (await ferry.cliOk(['token', 'add', 'alice', '--read-only'])).stdout.trim().split(/\s+/).pop() as string;
    const signedIn = await runOk('curl', ['-sS', '-u', `alice:${token}`, `${base}/lib.js`]);
    assert.equal(signedIn.stdout, LIB);
    await ferry.cliOk(['repo', 'set', 'site/lib', '--public']);
  });

  it('a repo removed, or moved away, and a new one made at its path from the CLI: the CDN serves the new repo at once, never the old files', async () => {
    const old = tempDir('ferry-cdn-rm-');
    const push = async (path: string, text: string) => {
      const dir = join(old, path.replaceAll('/', '_'));
      await runOk('git', ['init', '-q', '-b', 'main', dir]);
      writeFileSync(join(dir, 'app.js'), text);
      await runOk('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'x', '--allow-empty']);
      await runOk('git', ['-C', dir, 'add', '-A']);
      await runOk('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', text]);
      const r = await git(['-C', dir, 'push', '-q', `ssh://git@127.0.0.1:${ferry.sshPort}/${path}`, 'main']);
      assert.equal(r.code, 0, r.stderr);
    };
    const get = async (url: string) => {
      const r = await runOk('curl', ['-sS', '-w', '\n%{http_code}', url]);
      return r.stdout;
    };
    for (const how of ['rm', 'mv'] as const) {
      const path = `gone/${how}`;
      await ferry.cliOk(['repo', 'create', path, '--git', '--public']);
      await push(path, `old ${how}\n`);
      const url = `http://127.0.0.1:${ferry.httpPort}/cdn/${path}@main/app.js`;
      for (let i = 0; i < 6; i++) assert.equal(await get(url), `old ${how}\n\n200`);
      await ferry.cliOk(how === 'rm' ? ['repo', 'rm', path] : ['repo', 'mv', path, `${path}-elsewhere`]);
      await ferry.cliOk(['repo', 'create', path, '--git', '--public']);
      for (let i = 0; i < 6; i++) assert.match(await get(url), /\n404$/, `the empty new repo at ${path}, at once`);
      await push(path, `new ${how}\n`);
      for (let i = 0; i < 6; i++) assert.equal(await get(url), `new ${how}\n\n200`);
    }
  });
});
