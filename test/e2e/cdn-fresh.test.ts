import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { addUser, startFerry, tempDir, expectOk, waitForCdnWorkers } from './harness.js';

function get(port: number, path: string, agent: Agent): Promise<{ body: string; socket: number }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent }, (res) => {
      const socket = (res.socket as Socket).localPort ?? 0;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ body, socket }));
    })
      .on('error', reject)
      .end();
  });
}

/** Fetches until `expected` is served, a bounded number of times (no timing assertion). */
async function servedEventually(url: string, expected: string, tries = 50): Promise<Response> {
  let last = '';
  for (let i = 0; i < tries; i++) {
    const res = await fetch(url);
    last = await res.text();
    if (last === expected) return res;
    await sleep(100);
  }
  assert.fail(`${url} never served ${JSON.stringify(expected)} (last: ${JSON.stringify(last.slice(0, 80))})`);
}

describe('CDN freshness and memory', () => {
  it('serves what a real push (hg and git over SSH) moved the branch to, through the CDN workers', async () => {
    const ferry = await startFerry({ toml: '[cdn]\nworkers = 2\n', env: { FERRY_LOG_LEVEL: 'info' } });
    try {
      await waitForCdnWorkers(ferry);
      const alice = await addUser(ferry, 'alice', { admin: true });
      await ferry.cliOk(['repo', 'create', 'alice/hgsite', '--public']);
      await ferry.cliOk(['repo', 'create', 'alice/gitsite', '--git', '--public']);
      const base = `${ferry.baseUrl}/cdn`;

      const hgDir = join(tempDir('ferry-fresh-hg-'), 'w');
      assert.equal((await alice.hg(['clone', alice.sshUrl('alice/hgsite'), hgDir])).code, 0);
      for (const version of ['one', 'two', 'three']) {
        writeFileSync(join(hgDir, 'app.js'), `${version}\n`);
        await expectOk(alice.hg(['-R', hgDir, 'commit', '-A', '-m', version]));
        const push = await alice.hg(['-R', hgDir, 'push']);
        assert.equal(push.code, 0, push.stderr);
        const res = await servedEventually(`${base}/alice/hgsite@default/app.js`, `${version}\n`);
        assert.equal(res.headers.get('x-ferry-commit'), (await alice.hg(['-R', hgDir, 'log', '-r', '.', '-T', '{node}'])).stdout);
      }

      const gitDir = join(tempDir('ferry-fresh-git-'), 'w');
      assert.equal((await alice.git(['init', '-q', '-b', 'main', gitDir])).code, 0);
      for (const version of ['one', 'two']) {
        writeFileSync(join(gitDir, 'index.js'), `${version}\n`);
        await expectOk(alice.git(['-C', gitDir, 'add', '-A']));
        await expectOk(alice.git(['-C', gitDir, 'commit', '-q', '-m', version]));
        const push = await alice.git(['-C', gitDir, 'push', '-q', `ssh://git@127.0.0.1:${ferry.sshPort}/alice/gitsite`, 'main']);
        assert.equal(push.code, 0, push.stderr);
        await servedEventually(`${base}/alice/gitsite/index.js`, `${version}\n`);
      }
      // One keep-alive connection: its first request (CDN) puts it on a worker; a later request
      // for anything else on it is answered by the primary through the worker.
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const first = await get(ferry.httpPort, '/cdn/alice/gitsite@main/index.js', agent);
      const second = await get(ferry.httpPort, '/healthz', agent);
      const third = await get(ferry.httpPort, '/cdn/alice/gitsite@main/index.js', agent);
      agent.destroy();
      assert.deepEqual([first.body, second.body, third.body], ['two\n', 'ok\n', 'two\n']);
      assert.equal(first.socket, second.socket, 'the same connection carried all three');
      // And over HTTP (git smart HTTP with a token).
      const token = (await ferry.cliOk(['token', 'add', 'alice'])).stdout.trim().split(/\s+/).pop() as string;
      writeFileSync(join(gitDir, 'index.js'), 'three\n');
      await expectOk(alice.git(['-C', gitDir, 'commit', '-q', '-am', 'three']));
      const httpPush = await alice.git(['-C', gitDir, 'push', '-q', `http://alice:${token}@127.0.0.1:${ferry.httpPort}/alice/gitsite`, 'main']);
      assert.equal(httpPush.code, 0, httpPush.stderr);
      await servedEventually(`${base}/alice/gitsite@main/index.js`, 'three\n');
    } finally {
      await ferry.stop();
    }
  });

  it('holds file contents within [cdn] memory: least recently used ones are dropped and read again on demand', async () => {
    const ferry = await startFerry({ toml: '[cdn]\nworkers = 1\nmemory = "400KB"\n', env: { FERRY_LOG_LEVEL: 'debug' } });
    try {
      const alice = await addUser(ferry, 'alice', { admin: true });
      await ferry.cliOk(['repo', 'create', 'alice/big', '--public']);
      const dir = join(tempDir('ferry-mem-'), 'w');
      await expectOk(alice.hg(['clone', alice.sshUrl('alice/big'), dir]));
      const ids: string[] = [];
      for (const fill of ['a', 'b', 'c']) {
        writeFileSync(join(dir, 'data.txt'), fill.repeat(100_000));
        await expectOk(alice.hg(['-R', dir, 'commit', '-A', '-m', fill]));
        ids.push((await alice.hg(['-R', dir, 'log', '-r', '.', '-T', '{node}'])).stdout);
      }
      assert.equal((await alice.hg(['-R', dir, 'push'])).code, 0);
      // Three 100 KB files, room for two (five eighths of 400 KB hold file contents).
      for (const [i, fill] of [[0, 'a'], [1, 'b'], [2, 'c'], [0, 'a'], [0, 'a']] as const) {
        const body = await (await fetch(`${ferry.baseUrl}/cdn/alice/big@${ids[i]}/data.txt`)).text();
        assert.equal(body, fill.repeat(100_000));
      }
      const lines = (what: string, id: string) => ferry.output().split('\n').filter((l) => l.includes(what) && l.includes(id)).length;
      assert.equal(lines('cdn file read', ids[0] as string), 2, 'the first file was dropped for the third and read again, once');
      assert.equal(lines('cdn file read', ids[1] as string), 1);
      for (const id of ids) assert.equal(lines('cdn snapshot built', id), 1, 'file indexes are small and stay');
    } finally {
      await ferry.stop();
    }
  });
});
