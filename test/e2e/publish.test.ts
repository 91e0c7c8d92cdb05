import { strict as assert } from 'node:assert';
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { addUser, ferryCli, runOk, startFerry, tempDir, PLAIN_GIT_ENV } from './harness.js';

const GIT_ENV = PLAIN_GIT_ENV;
const git = (args: string[], cwd: string) => runOk('git', args, { cwd, env: GIT_ENV });

async function commit(work: string, files: Record<string, string>, message: string): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(work, path, '..'), { recursive: true });
    writeFileSync(join(work, path), content);
  }
  await git(['add', '-A'], work);
  await git(['commit', '-q', '-m', message], work);
  return (await git(['rev-parse', 'HEAD'], work)).stdout.trim();
}

/** Polls `check` a bounded number of times (no timing assertion: only that it happens). */
async function eventually(check: () => boolean | Promise<boolean>, what: string, tries = 100): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await sleep(100);
  }
  assert.fail(`never happened: ${what}`);
}

describe('ferry publish', () => {
  it('writes a ref to a directory atomically without .git*/.hg* files, registers it, and the server keeps it in sync', async () => {
    const data = tempDir('ferry-data-');
    const out = tempDir('ferry-publish-');
    await runOk(process.execPath, [join(process.cwd(), 'bin', 'ferry.js'), '--data', data, 'repo', 'create', 'web/site', '--git', '--public']);
    const work = join(tempDir('ferry-pub-work-'), 'site');
    await git(['init', '-q', '-b', 'main', work], out);
    await commit(work, { 'index.html': 'v1\n', 'assets/app.js': 'one\n', '.gitattributes': '* text\n', '.github/x.yml': 'x\n' }, 'one');
    await git(['push', '-q', join(data, 'repos', 'web', 'site'), 'main'], work);

    const dir = join(out, 'www');
    const first = await ferryCli(data, ['publish', 'web/site', '--dir', dir]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /wrote 2 files/);
    assert.match(first.stdout, /registered/);
    assert.ok(lstatSync(dir).isSymbolicLink());
    assert.equal(readFileSync(join(dir, 'index.html'), 'utf8'), 'v1\n');
    assert.equal(readFileSync(join(dir, 'assets', 'app.js'), 'utf8'), 'one\n');
    assert.ok(!existsSync(join(dir, '.gitattributes')));
    assert.ok(!existsSync(join(dir, '.github')));
    const list = await ferryCli(data, ['publish', '--list']);
    assert.match(list.stdout, /www\s+web\/site\s+\(default branch\)/);

    const again = await ferryCli(data, ['publish', 'web/site', '--dir', dir]);
    assert.match(again.stdout, /already holds/);

    const occupied = join(out, 'occupied');
    mkdirSync(occupied);
    writeFileSync(join(occupied, 'keep.txt'), 'mine\n');
    const refused = await ferryCli(data, ['publish', 'web/site', '--dir', occupied]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /already exists and was not made by ferry publish/);
    assert.equal(readFileSync(join(occupied, 'keep.txt'), 'utf8'), 'mine\n');
    await ferryCli(data, ['publish', '--remove', occupied]);

    // The running server rewrites the directory when the branch moves.
    const ferry = await startFerry({ dataDir: data });
    try {
      const alice = await addUser(ferry, 'alice', { admin: true });
      await commit(work, { 'index.html': 'v2\n', 'assets/new.js': 'new\n' }, 'two');
      const push = await alice.git(['-C', work, 'push', '-q', `ssh://git@127.0.0.1:${ferry.sshPort}/web/site`, 'main']);
      assert.equal(push.code, 0, push.stderr);
      await eventually(() => existsSync(join(dir, 'assets', 'new.js')), 'the published directory shows the pushed commit');
      assert.equal(readFileSync(join(dir, 'index.html'), 'utf8'), 'v2\n');
      // The swap is visible first; the old tree is deleted right after it.
      await eventually(() => readdirSync(join(out, '.www.ferry')).length === 1, `old trees are removed: ${readdirSync(join(out, '.www.ferry')).join(', ')}`);
    } finally {
      await ferry.stop();
    }
  });
});
