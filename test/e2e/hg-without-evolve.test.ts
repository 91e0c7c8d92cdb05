import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addUser, run, startFerry, tempDir, type Client, type FerryServer } from './harness.js';
import { EVOLVE, ok, commit } from './hg-steps.js';




describe('[hg] evolve = false: Ferry as a plain Mercurial server', () => {
  let server: FerryServer;
  let alice: Client;
  let token = '';

  before(async () => {
    server = await startFerry({ toml: '[hg]\nevolve = false\n' });
    alice = await addUser(server, 'alice');
    token = (await server.cliOk(['token', 'add', 'alice'])).stdout.trim().split(/\s+/).pop() as string;
    await server.cliOk(['repo', 'create', 'alice/plain']);
    await server.cliOk(['repo', 'set', 'alice/plain', '--non-publishing']);
  });
  after(async () => {
    await server.stop();
  });

  it('writes an hgrc without evolve and topic', () => {
    const hgrc = readFileSync(join(server.dataDir, 'etc', 'hgrc'), 'utf8');
    assert.doesNotMatch(hgrc, /^evolve =/m);
    assert.doesNotMatch(hgrc, /^topic =/m);
    assert.doesNotMatch(hgrc, /evolution = all/);
    assert.doesNotMatch(readFileSync(join(server.dataDir, 'etc', 'ferry_single_head.py'), 'utf8'), /topic\(\)/);
  });

  it('takes pushes over SSH and HTTP, and without markers an amended draft is a second head, refused with hg\'s message', async () => {
    const http = `http://alice:${token}@127.0.0.1:${server.httpPort}/alice/plain`;
    const plainEnv = { env: { ...process.env, HGRCPATH: '', HGPLAIN: '1' } };
    const serverRepo = join(server.dataDir, 'repos', 'alice', 'plain');
    const work = join(tempDir(), 'work');
    ok(await alice.hg([...EVOLVE, 'init', work]), 'init');
    ok(await commit(alice, work, 'a.txt', 'a\n', 'a', EVOLVE), 'commit');
    ok(await alice.hg([...EVOLVE, '-R', work, 'push', alice.sshUrl('alice/plain')]), 'push over ssh');
    ok(await commit(alice, work, 'b.txt', 'b\n', 'b', EVOLVE), 'commit');
    ok(await alice.hg([...EVOLVE, '-R', work, 'push', http]), 'push over http');

    // The amend makes a marker on the client; a server without evolve does not take it, so the
    // amended changeset would be a second head on `default`.
    writeFileSync(join(work, 'b.txt'), 'b2\n');
    ok(await alice.hg([...EVOLVE, '-R', work, 'amend', '-m', 'b amended']), 'amend');
    for (const url of [http, alice.sshUrl('alice/plain')]) {
      const refused = await alice.hg([...EVOLVE, '-R', work, 'push', '-f', url]);
      assert.notEqual(refused.code, 0, url);
      assert.match(refused.stderr + refused.stdout, /rejecting multiple heads on branch "default"/);
    }
    const markers = await run('hg', [...EVOLVE, '-R', serverRepo, 'debugobsolete'], plainEnv);
    assert.equal(markers.stdout.trim(), '', 'no marker reached the server');
    const log = await run('hg', ['-R', serverRepo, 'log', '-T', '{desc} {phase}\\n'], plainEnv);
    assert.deepEqual(log.stdout.split('\n').filter(Boolean), ['b draft', 'a draft']);
  });
});
