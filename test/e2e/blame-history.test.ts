/**
 * Ferry's blame page names, for every line, the commit `hg annotate` / `git blame` name, for every
 * changeset of a history with edits, insertions, deletions, a moved block, a file rewritten on a
 * side branch (hg: a named branch and an evolve topic) and merged, a rename (both follow it), and
 * commits that leave the file alone — right after the push (blames derived on the request) and
 * again once housekeeping has warmed the stores (hg: fastannotate's linelogs and .hg/ferry-blame;
 * git: Ferry's blame store in DIR/ferry-blame) and the server restarted, so answers come from disk;
 * and for git once more with the store deleted, blaming oldest first (each derived from the last).
 */
import { strict as assert } from 'node:assert';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { blameFixture, HG_ANNOTATE_NODES, porcelainAttribution } from './blame-fixture.js';
import { run, runOk, tempDir } from './harness.js';
import { EVOLVE } from './hg-steps.js';

const put = (dir: string, file: string, lines: string[]) => writeFileSync(join(dir, file), lines.join('\n') + '\n');
const fn = (name: string) => [`int ${name}(void)`, '{', `    return ${name.length};`, '}', ''];

/**
 * The same history for hg and git: `commit(message)` commits everything in the working copy,
 * `branch(name)` starts a side line of work, `back()` returns to the main line, `merge(name)`
 * merges the side line (conflicts resolved by the files written before the commit), `rename`.
 */
interface Steps {
  commit(message: string): Promise<void>;
  branch(name: string): Promise<void>;
  back(): Promise<void>;
  merge(name: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
}

async function makeHistory(dir: string, s: Steps): Promise<void> {
  let a = Array.from({ length: 40 }, (_, i) => `line ${i}`);
  let code = [...fn('one'), ...fn('two'), ...fn('three')];
  put(dir, 'a.txt', a);
  put(dir, 'code.c', code);
  await s.commit('first');
  a[3] = 'edited 3';
  a[10] = 'edited 10';
  put(dir, 'a.txt', a);
  await s.commit('edits');
  a = [...a.slice(0, 12), 'ins 1', 'ins 2', 'ins 3', ...a.slice(12, 20), ...a.slice(23)];
  put(dir, 'a.txt', a);
  code = [...fn('one'), ...fn('between'), ...fn('two'), ...fn('three')];
  put(dir, 'code.c', code);
  await s.commit('insertions and deletions');
  a = [...a.slice(5), ...a.slice(0, 5)];
  put(dir, 'a.txt', a);
  await s.commit('a block moved');
  await s.branch('topic');
  const rewritten = a.map((l, i) => (i % 4 === 0 ? l : `rewritten ${i}`));
  put(dir, 'a.txt', rewritten);
  await s.commit('rewritten on the side');
  rewritten[1] = 'side edit';
  put(dir, 'a.txt', rewritten);
  await s.commit('edited on the side');
  await s.back();
  a[8] = 'main edit 8';
  put(dir, 'a.txt', a);
  code[2] = '    return 42;';
  put(dir, 'code.c', code);
  await s.commit('main line edit');
  const merged = [...rewritten];
  merged[8] = 'main edit 8';
  await s.merge('topic');
  put(dir, 'a.txt', merged);
  put(dir, 'code.c', code);
  await s.commit('merged');
  merged[2] = 'after the merge';
  merged.push('appended');
  put(dir, 'a.txt', merged);
  await s.commit('edit after the merge');
  await s.rename('a.txt', 'b.txt');
  await s.commit('renamed');
  merged[5] = 'after the rename';
  put(dir, 'b.txt', merged);
  await s.commit('edit after the rename');
  put(dir, 'other.txt', ['unrelated']);
  await s.commit('leaves the others alone');
  code = [...code.slice(0, 5), ...code.slice(10), ...code.slice(5, 10)];
  put(dir, 'code.c', code);
  await s.commit('a function moved');
  for (let i = 0; i < 3; i++) {
    merged[(i * 7) % merged.length] = `late ${i}`;
    put(dir, 'b.txt', merged);
    await s.commit(`late edit ${i}`);
  }
}

describe('hg blame pages over a history with edits, moves, a topic, a named branch, a merge and a rename: hg annotate, line by line', () => {
  const fx = blameFixture({ hg: ['team/bh-hg'] });

  it('hg: every changeset and file, as hg annotate', async () => {
    const { alice } = fx;
    const work = join(tempDir('ferry-bh-hg-'), 'w');
    const hg = (args: string[]) => runOk('hg', [...EVOLVE, '--cwd', work, ...args], { env: alice.env });
    await alice.hg(['init', work]);
    let forkedAt = '';
    await makeHistory(work, {
      commit: async (m) => void (await hg(['commit', '-A', '-q', '-m', m])),
      branch: async (name) => {
        forkedAt = (await hg(['log', '-r', '.', '-T', '{node}'])).stdout;
        await hg(['topic', '-q', name]);
      },
      back: async () => {
        await hg(['update', '-q', '-r', forkedAt]);
        await hg(['topic', '-q', '--clear']);
      },
      merge: async (name) => void (await hg(['merge', '-q', '--tool', ':local', '-r', `max(topic("${name}"))`])),
      rename: async (from, to) => void (await hg(['mv', from, to])),
    });
    // A named branch whose file is rewritten and never merged.
    await hg(['update', '-q', 'desc("a block moved")']);
    await hg(['branch', '-q', 'side']);
    put(work, 'a.txt', Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? `line ${i}` : `side ${i}`)));
    await hg(['commit', '-q', '-m', 'side branch rewrite']);
    await hg(['push', '-q', '-f', '--new-branch', alice.sshUrl('team/bh-hg')]);
    const expected = new Map<string, string[]>();
    for (const id of (await hg(['log', '-r', 'all()', '-T', '{node}\\n'])).stdout.trim().split('\n')) {
      for (const file of (await hg(['files', '-r', id])).stdout.trim().split('\n')) {
        expected.set(`${id} ${file}`, (await hg(['annotate', '-r', id, '-T', HG_ANNOTATE_NODES, file])).stdout.trim().split('\n'));
      }
    }
    await fx.compareAll('team/bh-hg', expected, 'right after the push');
    await fx.waitFor(join(fx.server.dataDir, 'repos', 'team', 'bh-hg', '.hg', 'fastannotate', 'ferry-master'), 'housekeeping warmed the linelogs');
    assert.ok(existsSync(join(fx.server.dataDir, 'repos', 'team', 'bh-hg', '.hg', 'ferry-blame')), 'the blames are stored on disk');
    await fx.restart();
    await fx.compareAll('team/bh-hg', expected, 'after housekeeping and a restart (from the store on disk)');
  });
});

describe('git blame pages over a history with edits, moves, a side branch, a merge and a rename: git blame, line by line', () => {
  const fx = blameFixture({ git: ['team/bh-git'] });

  it('git: every commit and file, as git blame', async () => {
    const { alice } = fx;
    const work = join(tempDir('ferry-bh-git-'), 'w');
    const git = (args: string[]) => runOk('git', ['-C', work, ...args], { env: alice.env });
    await alice.git(['init', '-q', '-b', 'main', work]);
    await makeHistory(work, {
      commit: async (m) => {
        await git(['add', '-A']);
        await git(['commit', '-q', '-m', m]);
      },
      branch: async (name) => void (await git(['checkout', '-q', '-b', name])),
      back: async () => void (await git(['checkout', '-q', 'main'])),
      // A conflict (exit 1) is resolved by the files written before the commit.
      merge: async (name) => void (await run('git', ['-C', work, 'merge', '-q', '--no-commit', name], { env: alice.env })),
      rename: async (from, to) => void (await git(['mv', from, to])),
    });
    await git(['checkout', '-q', '-b', 'side', 'HEAD~8']);
    put(work, 'a.txt', Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? `line ${i}` : `side ${i}`)));
    await git(['commit', '-q', '-am', 'side branch rewrite']);
    await git(['push', '-q', alice.sshUrl('team/bh-git'), 'main', 'topic', 'side']);
    const expected = new Map<string, string[]>();
    for (const id of (await git(['rev-list', '--all'])).stdout.trim().split('\n')) {
      for (const file of (await git(['ls-tree', '--name-only', id])).stdout.trim().split('\n')) {
        expected.set(`${id} ${file}`, porcelainAttribution((await git(['blame', '--porcelain', id, '--', file])).stdout));
      }
    }
    // Newest first: most blames are derived from an older stored one or blamed in full.
    await fx.compareAll('team/bh-git', expected, 'right after the push');
    await fx.waitFor(join(fx.server.dataDir, 'repos', 'team', 'bh-git', 'ferry-blame', 'warmed'), 'housekeeping warmed the blame store');
    await fx.restart();
    await fx.compareAll('team/bh-git', expected, 'after housekeeping and a restart (from the store on disk)');
    // The store emptied (it may be deleted at any time): oldest first, each derived from the one before.
    rmSync(join(fx.server.dataDir, 'repos', 'team', 'bh-git', 'ferry-blame'), { recursive: true });
    await fx.restart();
    await fx.compareAll('team/bh-git', new Map([...expected].reverse()), 'with the store deleted, oldest first');
  });
});
