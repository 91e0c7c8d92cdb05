/**
 * Field reports (issue 12), transports and repositories: each test drives real hg, git and curl
 * clients against a Ferry server or an `hg serve` source and asserts the value a user expects.
 */
import { strict as assert } from 'node:assert';
import { connect } from 'node:net';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { addUser, ferryCli, runOk, startFerry, tempDir, type Client, type FerryServer } from './harness.js';
import { startHgServe } from './remotes.js';

/** Sends raw bytes on one connection and reads until `done` says the answers are complete. */
async function rawHttp(port: number, bytes: string, done: (text: string) => boolean): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.setEncoding('latin1');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer: ${text.slice(0, 400)}`));
    }, 20_000);
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (done(text)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
    socket.write(bytes, 'latin1');
  });
}

describe('field reports: transports and repositories', () => {
  let server: FerryServer;
  let admin: Client;

  before(async () => {
    server = await startFerry();
    admin = await addUser(server, 'root', { admin: true });
  });
  after(async () => {
    await server.stop();
  });

  it('imports from a publishing hg serve holding local drafts: everything arrives public and is verified', async () => {
    const src = join(tempDir('ferry-pubsrc-'), 'src');
    await runOk('hg', ['init', src], { env: admin.env });
    for (const name of ['a', 'b', 'c']) {
      writeFileSync(join(src, `${name}.txt`), `${name}\n`);
      await runOk('hg', ['-R', src, 'commit', '-A', '-m', name], { env: admin.env });
    }
    await runOk('hg', ['-R', src, 'phase', '--public', '-r', '0'], { env: admin.env });
    assert.equal((await runOk('hg', ['-R', src, 'log', '-r', 'draft()', '-T', 'x'], { env: admin.env })).stdout, 'xx');
    const serve = await startHgServe(src, { publish: true });
    try {
      const data = tempDir('ferry-data-');
      const r = await ferryCli(data, ['import', serve.url, 'team/published']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /hg 3 changesets, 1 branches, verified/);
      const phases = await runOk('hg', ['-R', join(data, 'repos', 'team', 'published'), 'log', '-T', '{phase}\n'], { env: admin.env });
      assert.equal(phases.stdout, 'public\npublic\npublic\n');
    } finally {
      await serve.stop();
    }
  });

  it('hg clones and pulls a repo with 400 heads over HTTP; long X-HgArg heads pass on every connection path', async () => {
    const src = join(tempDir('ferry-heads-'), 'src');
    await runOk('hg', ['init', src], { env: admin.env });
    await runOk('hg', ['-R', src, 'debugbuilddag', `+1:root${' *root'.repeat(400)}`], { env: admin.env });
    const imported = await server.cli(['import', src, 'team/heads', '--public']);
    assert.equal(imported.code, 0, imported.stderr);
    const url = `${server.baseUrl}/team/heads`;
    const work = tempDir();
    const clone = await admin.hg(['clone', '-U', url, join(work, 'c')]);
    assert.equal(clone.code, 0, clone.stderr);
    const heads = await runOk('hg', ['-R', join(work, 'c'), 'heads', '-T', '{node}\n'], { env: admin.env });
    const nodes = heads.stdout.trim().split('\n');
    assert.equal(nodes.length, 400);
    const pull = await admin.hg(['-R', join(work, 'c'), 'pull', url]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, /no changes found/);

    const caps = await fetch(`${url}?cmd=capabilities`);
    assert.match(await caps.text(), /\bhttppostargs\b/, 'hg is told to send arguments in the body');

    // An older client sends the heads as X-HgArg-N headers of 1 KB: about 17 KB of request head.
    const encoded = new URLSearchParams({ heads: nodes.join(' '), common: '0'.repeat(40), bundlecaps: 'HG20', cg: '1' }).toString();
    const headers: string[] = [];
    for (let i = 0; i * 1000 < encoded.length; i++) headers.push(`X-HgArg-${i + 1}: ${encoded.slice(i * 1000, (i + 1) * 1000)}\r\n`);
    const getbundle = `GET /team/heads?cmd=getbundle HTTP/1.1\r\nHost: x\r\n${headers.join('')}Connection: close\r\n\r\n`;
    assert.ok(getbundle.length > 16 * 1024);
    const direct = await rawHttp(server.httpPort, getbundle, (t) => t.length > 0 && /\r\n\r\n/.test(t));
    assert.match(direct, /^HTTP\/1\.1 200 /, direct.slice(0, 200));
    // The same request after a CDN request on a keep-alive connection (a CDN worker's connection).
    const cdnFirst = `GET /cdn/team/heads/missing.txt HTTP/1.1\r\nHost: x\r\n\r\n${getbundle}`;
    const viaWorker = await rawHttp(server.httpPort, cdnFirst, (t) => (t.match(/HTTP\/1\.1 \d{3} /g) ?? []).length >= 2 && /\r\n\r\n[\s\S]*HTTP\/1\.1 \d{3} [^\r]*\r\n[\s\S]*\r\n\r\n/.test(t));
    const statuses = [...viaWorker.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
    assert.equal(statuses[1], '200', viaWorker.slice(0, 600));
  });
});

