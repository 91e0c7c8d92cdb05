/**
 * Blame read through caches (hg: fastannotate's linelogs in .hg/fastannotate, warmed after pushes;
 * git: a commit-graph with changed-path Bloom filters) must never name another commit than the
 * VCS itself: every line of the blame page is compared with `hg annotate` / `git blame` run by the
 * client on the same changesets — after a push, after a second push that changes the file again,
 * after an amend pushed with evolve to a non-publishing repo (the main branch rewritten), on a
 * non-default named branch, and for a change grafted onto two branches and merged (one file
 * revision made by two changesets).
 */
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { blameFixture, HG_ANNOTATE_NODES, porcelainAttribution } from './blame-fixture.js';
import { runOk, tempDir } from './harness.js';
import { EVOLVE } from './hg-steps.js';

/** A file of `n` numbered lines, with `changes` (line index → text) applied. */
function lines(n: number, changes: Record<number, string>): string {
  return Array.from({ length: n }, (_, i) => changes[i] ?? `line ${i}`).join('\n') + '\n';
}

describe('blame through caches: the same attribution as hg annotate and git blame', () => {
  const fx = blameFixture({ hg: ['team/blame-hg'], git: ['team/blame-git'] });

  it('hg: blame equals hg annotate after pushes, an amend with evolve, on another branch and across a graft', async () => {
    const { alice } = fx;
    const work = join(tempDir('ferry-blame-hg-'), 'w');
    const hg = (args: string[]) => runOk('hg', [...EVOLVE, '--cwd', work, ...args], { env: alice.env });
    const node = async (rev: string) => (await hg(['log', '-r', rev, '-T', '{node}'])).stdout.trim();
    const annotate = async (rev: string, file: string) => (await hg(['annotate', '-r', rev, '-T', HG_ANNOTATE_NODES, file])).stdout.trim().split('\n');
    const url = alice.sshUrl('team/blame-hg');
    const check = async (rev: string, file: string, what: string) => {
      const id = await node(rev);
      assert.deepEqual(await fx.page('team/blame-hg', id, file), await annotate(id, file), `${what}: Ferry's blame of ${file} at ${rev} is hg annotate's`);
    };
    await alice.hg(['init', work]);
    const changes: Record<number, string> = {};
    for (let i = 0; i < 12; i++) {
      changes[(i * 7) % 40] = `changed by ${i}`;
      writeFileSync(join(work, 'f.txt'), lines(40, changes));
      await hg(['commit', '-A', '-q', '-m', `change ${i}`]);
    }
    // A fix made on stable and grafted onto default (one file revision, two changesets), merged back.
    await hg(['branch', '-q', 'stable']);
    writeFileSync(join(work, 'f.txt'), lines(40, { ...changes, 3: 'fixed on stable' }));
    await hg(['commit', '-q', '-m', 'fix on stable']);
    await hg(['update', '-q', 'default']);
    await hg(['graft', '-q', '-r', 'stable']);
    writeFileSync(join(work, 'f.txt'), lines(41, { ...changes, 3: 'fixed on stable', 40: 'after the graft' }));
    await hg(['commit', '-q', '-m', 'after the graft']);
    await hg(['merge', '-q', 'stable']);
    await hg(['commit', '-q', '-m', 'merge stable']);
    await hg(['push', '-q', '--new-branch', url]);
    await check('default', 'f.txt', 'after the first push');
    await check('stable', 'f.txt', 'on the stable branch');
    await check('desc("after the graft")', 'f.txt', 'below the merge');
    await check('desc("change 5")', 'f.txt', 'an old changeset');

    // Housekeeping warms the cache for the pushed files in the background; its linelog appears.
    await fx.waitFor(join(fx.server.dataDir, 'repos', 'team', 'blame-hg', '.hg', 'fastannotate', 'default', 'f.txt.l'), 'the fastannotate linelog of f.txt exists after the push');

    changes[20] = 'second push';
    writeFileSync(join(work, 'f.txt'), lines(41, { ...changes, 3: 'fixed on stable', 40: 'after the graft' }));
    await hg(['commit', '-q', '-m', 'second push']);
    await hg(['push', '-q', url]);
    await check('default', 'f.txt', 'after a second push');

    // The main branch's head rewritten: amend (evolve) and push to the non-publishing repo.
    writeFileSync(join(work, 'f.txt'), lines(41, { ...changes, 3: 'fixed on stable', 20: 'amended', 40: 'after the graft' }));
    await hg(['amend', '-q', '-m', 'second push, amended']);
    await hg(['push', '-q', url]);
    await check('default', 'f.txt', 'after an amend pushed with evolve');
    await check('desc("change 11")', 'f.txt', 'an ancestor after the amend');

    // Work on the stable branch after the linelogs followed default.
    await hg(['update', '-q', 'stable']);
    writeFileSync(join(work, 'f.txt'), lines(40, { ...changes, 3: 'fixed on stable', 30: 'stable only' }));
    await hg(['commit', '-q', '-m', 'stable only']);
    await hg(['push', '-q', url]);
    await check('stable', 'f.txt', 'a new changeset on stable');
    await check('default', 'f.txt', 'default again');
  });

  it('git: blame equals git blame after pushes, with the commit-graph written by housekeeping', async () => {
    const { alice } = fx;
    const work = join(tempDir('ferry-blame-git-'), 'w');
    const git = (args: string[]) => runOk('git', ['-C', work, ...args], { env: alice.env });
    const blame = async (rev: string, file: string) => porcelainAttribution((await git(['blame', '--porcelain', rev, '--', file])).stdout);
    const check = async (rev: string, file: string, what: string) => {
      const id = (await git(['rev-parse', rev])).stdout.trim();
      assert.deepEqual(await fx.page('team/blame-git', id, file), await blame(id, file), `${what}: Ferry's blame of ${file} at ${rev} is git blame's`);
    };
    await alice.git(['init', '-q', '-b', 'main', work]);
    const changes: Record<number, string> = {};
    for (let i = 0; i < 12; i++) {
      changes[(i * 7) % 40] = `changed by ${i}`;
      writeFileSync(join(work, 'f.txt'), lines(40, changes));
      await git(['add', '.']);
      await git(['commit', '-q', '-m', `change ${i}`]);
    }
    await git(['push', '-q', alice.sshUrl('team/blame-git'), 'main']);
    await check('main', 'f.txt', 'after the first push');
    // Housekeeping runs one job at a time for the whole server: the hg test's warm-ups may be ahead of it.
    await fx.waitFor(join(fx.server.dataDir, 'repos', 'team', 'blame-git', 'objects', 'info', 'commit-graphs'), 'housekeeping wrote a commit-graph layer after the push');
    changes[5] = 'second push';
    writeFileSync(join(work, 'f.txt'), lines(40, changes));
    await git(['commit', '-q', '-am', 'second push']);
    await git(['push', '-q', alice.sshUrl('team/blame-git'), 'main']);
    await check('main', 'f.txt', 'after a second push');
    await check('main~3', 'f.txt', 'an older commit');
  });
});
