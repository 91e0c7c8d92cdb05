import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addUser, startFerry, tempDir, type Client, type FerryServer } from './harness.js';

/** The push options Ferry logged with the repo change for `path` (the event carries the same list). */
function loggedOptions(server: FerryServer, path: string): string[][] {
  return server
    .output()
    .split('\n')
    .filter((l) => l.includes('"pushOptions"') && l.includes(`"path":"${path}"`))
    .map((l) => (JSON.parse(l) as { pushOptions: string[] }).pushOptions);
}

describe('git push options (git push -o) over SSH and HTTP', () => {
  let server: FerryServer;
  let alice: Client;
  let token: string;

  before(async () => {
    server = await startFerry({ env: { FERRY_LOG_LEVEL: 'info' } });
    alice = await addUser(server, 'alice');
    await server.cliOk(['grant', 'alice', 'team/', 'write']);
    token = (await server.cliOk(['token', 'add', 'alice'])).stdout.trim().split(/\s+/).pop() as string;
  });
  after(async () => {
    await server.stop();
  });

  for (const transport of ['ssh', 'http'] as const) {
    it(`accepts push options over ${transport} and carries them on the repo's change`, async () => {
      const path = `team/options-${transport}`;
      await server.cliOk(['repo', 'create', path, '--git']);
      const url = transport === 'ssh' ? alice.sshUrl(path) : `http://alice:${token}@127.0.0.1:${server.httpPort}/${path}`;
      const dir = join(tempDir(), 'work');
      assert.equal((await alice.git(['init', '-q', '-b', 'main', dir])).code, 0);
      for (const n of [1, 2]) {
        writeFileSync(join(dir, 'f.txt'), `${n}\n`);
        await alice.git(['-C', dir, 'add', '.']);
        await alice.git(['-C', dir, 'commit', '-q', '-m', `c${n}`]);
        const push = await alice.git(['-C', dir, 'push', '-o', 'ci.skip', '-o', `merge_request.title=change ${n}`, url, 'main']);
        assert.equal(push.code, 0, push.stderr);
      }
      assert.deepEqual(loggedOptions(server, path), [
        ['ci.skip', 'merge_request.title=change 1'],
        ['ci.skip', 'merge_request.title=change 2'],
      ]);
      // A push without options still works and records none.
      writeFileSync(join(dir, 'f.txt'), 'plain\n');
      await alice.git(['-C', dir, 'commit', '-q', '-am', 'plain']);
      assert.equal((await alice.git(['-C', dir, 'push', url, 'main'])).code, 0);
      assert.equal(loggedOptions(server, path).length, 2);
    });
  }
});
