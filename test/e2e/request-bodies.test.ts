/**
 * Request bodies through every path of Ferry's HTTP front (issue 12 item 2, and a tester's fault
 * with git push-to-create): Content-Length and chunked bodies, small and large, Expect:
 * 100-continue and a client that stops mid-body, to hgweb, git http-backend, the LFS store and
 * the API, with CDN workers on (the default: the front hands connections over) and off
 * (FERRY_CDN_WORKERS=1: node's server listens itself). One server of each kind serves every case.
 */
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { addUser, PLAIN_GIT_ENV, run, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

interface Front {
  readonly name: string;
  readonly server: FerryServer;
  readonly root: Client;
  readonly token: string;
}

/** `http://root:TOKEN@127.0.0.1:PORT/PATH` */
function authUrl(front: Front, path: string): string {
  return `http://root:${front.token}@127.0.0.1:${front.server.httpPort}/${path}`;
}

/** curl with `args`; the answer's body in `body`, its status in `status`. */
async function curl(args: readonly string[]): Promise<{ status: number; body: string }> {
  const out = join(tempDir('ferry-curl-'), 'body');
  const r = await run('curl', ['-sS', '-o', out, '-w', '%{http_code}', ...args]);
  let body = '';
  try {
    body = readFileSync(out, 'utf8');
  } catch {
    /* no body */
  }
  return { status: Number(r.stdout.trim()), body };
}

/**
 * hg's own request shapes on one keep-alive connection, as fast as they come: a GET, then POSTs
 * whose head and body are separate writes (hg's http client) with the arguments in the body.
 * Returns each answer's status line.
 */
async function keepAlivePosts(port: number, path: string, body: string, count: number): Promise<string[]> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => (buffered = Buffer.concat([buffered, chunk])));
  const answer = async (): Promise<string> => {
    for (let waited = 0; waited < 20_000; waited += 5) {
      const end = buffered.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = buffered.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? '0');
        if (buffered.length >= end + 4 + length) {
          buffered = buffered.subarray(end + 4 + length);
          return head.split('\r\n')[0] as string;
        }
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`no whole answer: ${buffered.toString('latin1').slice(0, 300)}`);
  };
  const write = (text: string) => new Promise<void>((resolve) => socket.write(text, 'latin1', () => resolve()));
  const statuses: string[] = [];
  await write(`GET /${path}?cmd=capabilities HTTP/1.1\r\nHost: x\r\nAccept: application/mercurial-0.1\r\n\r\n`);
  statuses.push(await answer());
  for (let i = 0; i < count; i++) {
    await write(`POST /${path}?cmd=batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/mercurial-0.1\r\nX-HgArgs-Post: ${body.length}\r\nContent-Length: ${body.length}\r\n\r\n`);
    await write(body);
    statuses.push(await answer());
  }
  socket.destroy();
  return statuses;
}

describe('request bodies through the HTTP front, with CDN workers on and off', () => {
  const fronts: Front[] = [];
  let headsSrc = '';
  let heads: string[] = [];

  before(async () => {
    const admin = PLAIN_GIT_ENV;
    headsSrc = join(tempDir('ferry-heads-'), 'src');
    const hgEnv = { ...admin, HGRCPATH: '/dev/null', HGPLAIN: '1', HGUSER: 't' };
    await runOk('hg', ['init', headsSrc], { env: hgEnv });
    await runOk('hg', ['-R', headsSrc, 'debugbuilddag', `+1:root${' *root'.repeat(400)}`], { env: hgEnv });
    rmSync(join(headsSrc, '.hg', 'localtags'), { force: true });
    heads = (await runOk('hg', ['-R', headsSrc, 'heads', '-T', '{node}\n'], { env: hgEnv })).stdout.trim().split('\n');
    assert.equal(heads.length, 400);
    const modes: [string, NodeJS.ProcessEnv][] = [
      ['workers on', {}],
      ['workers off', { FERRY_CDN_WORKERS: '1' }],
    ];
    for (const [name, env] of modes) {
      const server = await startFerry({ env });
      const root = await addUser(server, 'root', { admin: true });
      const token = (await server.cliOk(['token', 'add', 'root'])).stdout.trim().split(/\s+/).pop() as string;
      await server.cliOk(['import', headsSrc, 'team/heads', '--public']);
      await server.cliOk(['import', headsSrc, 'team/private-heads']);
      await server.cliOk(['repo', 'create', 'team/lfs', '--git', '--public']);
      fronts.push({ name, server, root, token });
    }
  });
  after(async () => {
    for (const front of fronts) await front.server.stop();
  });

  it('hg clones, pulls and pushes a repo with 400 heads: signed in (arguments in the body) and anonymous (X-HgArg headers)', async () => {
    for (const front of fronts) {
      const work = tempDir();
      const anonymous = `${front.server.baseUrl}/team/heads`;
      const caps = async (auth: boolean) => (await curl([...(auth ? ['-u', `root:${front.token}`] : []), `${anonymous}?cmd=capabilities`])).body;
      assert.doesNotMatch(await caps(false), /\bhttppostargs\b/, `${front.name}: anonymous clients send headers`);
      assert.match(await caps(true), /\bhttppostargs\b/, `${front.name}: signed-in clients are told to send arguments in the body`);
      for (const [label, url] of [
        ['anonymous', anonymous],
        ['signed in', authUrl(front, 'team/private-heads')],
      ] as const) {
        const dir = join(work, label.replace(' ', '-'));
        const clone = await front.root.hg(['clone', '-U', url, dir]);
        assert.equal(clone.code, 0, `${front.name}, ${label} clone: ${clone.stderr}`);
        const got = (await front.root.hg(['-R', dir, 'heads', '-T', '{node}\n'])).stdout.trim().split('\n');
        assert.equal(got.length, 400, `${front.name}, ${label}`);
        const pull = await front.root.hg(['-R', dir, 'pull', url]);
        assert.equal(pull.code, 0, `${front.name}, ${label} pull: ${pull.stderr}`);
        assert.match(pull.stdout, /no changes found/);
      }
      // Pushes, each after a session that began anonymous (the 401 comes at unbundle) or signed in.
      for (const [label, path] of [
        ['anonymous first', 'team/heads'],
        ['signed in', 'team/private-heads'],
      ] as const) {
        const dir = join(work, `push-${label.replace(' ', '-')}`);
        await runOk('hg', ['clone', '-q', '-U', authUrl(front, path), dir], { env: front.root.env });
        await runOk('hg', ['-R', dir, 'update', '-q', '-r', heads[0] as string], { env: front.root.env });
        writeFileSync(join(dir, 'pushed.txt'), `${label}\n`);
        await runOk('hg', ['-R', dir, 'commit', '-q', '-A', '-m', `push ${label}`], { env: front.root.env });
        const pushed = (await runOk('hg', ['-R', dir, 'log', '-r', '.', '-T', '{node}'], { env: front.root.env })).stdout;
        const push = await front.root.hg(['-R', dir, 'push', '-f', authUrl(front, path)]);
        assert.equal(push.code, 0, `${front.name}, ${label} push: ${push.stderr}`);
        const check = await curl(['-u', `root:${front.token}`, `${front.server.baseUrl}/${path}?cmd=lookup&key=${pushed}`]);
        assert.match(check.body, new RegExp(`^1 ${pushed}`), `${front.name}, ${label}: the pushed changeset is there`);
      }
    }
  });

  it('hg POSTs with arguments in the body arrive whole: Content-Length, Expect: 100-continue, twenty on one connection; chunked is refused clearly', async () => {
    const args = new URLSearchParams({ cmds: `heads ;known nodes=${heads.join(' ')}` }).toString();
    const file = join(tempDir(), 'args');
    writeFileSync(file, args);
    for (const front of fronts) {
      const url = `${front.server.baseUrl}/team/heads?cmd=batch`;
      const common = ['-H', 'Content-Type: application/mercurial-0.1', '-H', `X-HgArgs-Post: ${args.length}`, '--data-binary', `@${file}`];
      for (const extra of [[], ['-H', 'Expect: 100-continue']]) {
        const r = await curl([...common, ...extra, url]);
        assert.equal(r.status, 200, `${front.name} ${extra.join(' ')}: ${r.body.slice(0, 200)}`);
        const [headsAnswer, known] = r.body.split(';');
        assert.equal(headsAnswer?.trim().split(' ').length, 400, front.name);
        assert.equal(known, '1'.repeat(400), `${front.name}: every one of the 400 nodes arrived`);
      }
      const chunked = await curl([...common, '-H', 'Transfer-Encoding: chunked', url]);
      assert.equal(chunked.status, 400, front.name);
      assert.match(chunked.body, /needs a Content-Length/);
      // The race that lost answers (hgweb closed its end before node's last write): none now.
      const statuses = await keepAlivePosts(front.server.httpPort, 'team/heads', 'cmds=heads+%3Bknown+nodes%3D', 20);
      assert.deepEqual(new Set(statuses), new Set(['HTTP/1.1 200 Script output follows']), `${front.name}: ${statuses.join(', ')}`);
    }
  });

  it('git push-to-create of a 3 MB pack over HTTP: the probe then a chunked POST, and with Content-Length', async () => {
    const work = join(tempDir('ferry-bigpush-'), 'w');
    await runOk('git', ['init', '-q', '--initial-branch=main', work], { env: PLAIN_GIT_ENV });
    const big = randomBytes(3 * 1024 * 1024);
    writeFileSync(join(work, 'big.bin'), big);
    await runOk('git', ['-C', work, 'add', '.'], { env: PLAIN_GIT_ENV });
    await runOk('git', ['-C', work, 'commit', '-q', '-m', 'big'], { env: PLAIN_GIT_ENV });
    for (const front of fronts) {
      for (const [label, config] of [
        ['chunked after a probe (http.postBuffer 1 MB, the default)', []],
        ['one Content-Length POST (http.postBuffer 64 MB)', ['-c', 'http.postBuffer=67108864']],
      ] as const) {
        const path = `team/big-${config.length === 0 ? 'chunked' : 'length'}.git`;
        const push = await run('git', [...config, '-C', work, 'push', authUrl(front, path), 'main'], { env: PLAIN_GIT_ENV });
        assert.equal(push.code, 0, `${front.name}, ${label}: ${push.stderr}`);
        const clone = join(tempDir(), 'c');
        await runOk('git', ['clone', '-q', authUrl(front, path), clone], { env: PLAIN_GIT_ENV });
        assert.ok(readFileSync(join(clone, 'big.bin')).equals(big), `${front.name}, ${label}: the pack arrived whole`);
      }
    }
  });

  it('LFS uploads arrive whole: Content-Length, chunked, Expect: 100-continue', async () => {
    const content = randomBytes(2 * 1024 * 1024 + 17);
    const oid = createHash('sha256').update(content).digest('hex');
    const file = join(tempDir(), 'object');
    writeFileSync(file, content);
    for (const front of fronts) {
      const endpoint = `${front.server.baseUrl}/team/lfs.git/info/lfs/objects/${oid}`;
      for (const extra of [[], ['-H', 'Transfer-Encoding: chunked'], ['-H', 'Expect: 100-continue']]) {
        const put = await curl(['-X', 'PUT', '-u', `root:${front.token}`, '-H', 'Content-Type: application/octet-stream', ...extra, '--data-binary', `@${file}`, endpoint]);
        assert.equal(put.status, 200, `${front.name} ${extra.join(' ')}: ${put.body}`);
      }
      const out = join(tempDir(), 'got');
      await runOk('curl', ['-sS', '-u', `root:${front.token}`, '-o', out, endpoint]);
      assert.ok(readFileSync(out).equals(content), front.name);
    }
  });

  it('a client that stops mid-body leaves nothing behind and the server goes on serving', async () => {
    for (const front of fronts) {
      const auth = Buffer.from(`root:${front.token}`).toString('base64');
      const socket = connect(front.server.httpPort, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write(`POST /team/cut-off.git/git-receive-pack HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${auth}\r\nContent-Type: application/x-git-receive-pack-request\r\nContent-Length: 1000000\r\n\r\n0000PACK`);
      await new Promise((r) => setTimeout(r, 300));
      socket.destroy();
      await new Promise((r) => setTimeout(r, 500));
      const list = await front.server.cliOk(['repo', 'list']);
      assert.doesNotMatch(list.stdout, /cut-off/, `${front.name}: the repo the cut-off push created was removed`);
      const caps = await curl([`${front.server.baseUrl}/team/heads?cmd=capabilities`]);
      assert.equal(caps.status, 200, front.name);
    }
  });

  it('API bodies: over the limit is 413, a chunked body is refused with what to do', async () => {
    const file = join(tempDir(), 'big.json');
    writeFileSync(file, JSON.stringify({ description: 'x'.repeat(1024 * 1024 + 10) }));
    for (const front of fronts) {
      const url = `${front.server.baseUrl}/api/v1/repos/team/heads`;
      const auth = ['-H', `Authorization: token ${front.token}`, '-H', 'Content-Type: application/json', '-X', 'PATCH'];
      const large = await curl([...auth, '--data-binary', `@${file}`, url]);
      assert.equal(large.status, 413, `${front.name}: ${large.body.slice(0, 200)}`);
      assert.match(large.body, /FERRY_TOO_LARGE/);
      const chunked = await curl([...auth, '-H', 'Transfer-Encoding: chunked', '--data-binary', '{"description":"d"}', url]);
      assert.equal(chunked.status, 400, `${front.name}: ${chunked.body}`);
      assert.match(chunked.body, /Content-Length/);
    }
  });
});
