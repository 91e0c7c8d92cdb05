import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addUser, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

const LARGEFILES = ['--config', 'extensions.largefiles='];

/** Every file under `dir` (recursively), or none when it does not exist. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [e.name]));
}

describe('security: a reader may never store a largefile', () => {
  let server: FerryServer;
  let alice: Client;
  let bob: Client;

  before(async () => {
    server = await startFerry();
    alice = await addUser(server, 'alice');
    bob = await addUser(server, 'bob');
    await server.cliOk(['repo', 'create', 'team/big']);
    await server.cliOk(['grant', 'alice', 'team/', 'write']);
    await server.cliOk(['grant', 'bob', 'team/', 'read']);
    // An admin enabled largefiles on this repo by hand, in its own .hg/hgrc.
    writeFileSync(join(server.dataDir, 'repos', 'team', 'big', '.hg', 'hgrc'), '[extensions]\nlargefiles =\n');
    const work = join(tempDir(), 'work');
    assert.equal((await alice.hg([...LARGEFILES, 'init', work])).code, 0);
    writeFileSync(join(work, 'small.txt'), 'small\n');
    assert.equal((await alice.hg([...LARGEFILES, '-R', work, 'commit', '-A', '-m', 'small'])).code, 0);
    const push = await alice.hg([...LARGEFILES, '-R', work, 'push', alice.sshUrl('team/big')]);
    assert.equal(push.code, 0, push.stderr);
  });
  after(async () => {
    await server.stop();
  });

  it('refuses putlfile over SSH for a reader before anything is stored (read-only-session-runs-putlfile)', async () => {
    const clone = join(tempDir(), 'clone');
    const cloned = await bob.hg([...LARGEFILES, 'clone', bob.sshUrl('team/big'), clone]);
    assert.equal(cloned.code, 0, cloned.stderr);
    const content = `large ${Date.now()}\n`.repeat(1000);
    const sha = createHash('sha1').update(content).digest('hex');
    writeFileSync(join(clone, 'big.bin'), content);
    assert.equal((await bob.hg([...LARGEFILES, '-R', clone, 'add', '--large', join(clone, 'big.bin')])).code, 0);
    assert.equal((await bob.hg([...LARGEFILES, '-R', clone, 'commit', '-m', 'large'])).code, 0);
    const push = await bob.hg([...LARGEFILES, '-R', clone, 'push', bob.sshUrl('team/big')]);
    assert.notEqual(push.code, 0);
    assert.match(push.stdout + push.stderr, /ferry: bob may only read team\/big/);
    const stored = [...filesUnder(join(server.dataDir, 'repos')), ...filesUnder(server.dataDir)].filter((name) => name === sha);
    assert.deepEqual(stored, [], 'the largefile reached the server');
    // largefiles also keeps a per-user cache (the server's HOME).
    assert.ok(!existsSync(join(process.env.HOME ?? '/nonexistent', '.cache', 'largefiles', sha)), 'the largefile reached the server cache');
  });
});
