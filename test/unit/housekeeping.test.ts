import { strict as assert } from 'node:assert';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLogger } from '../../src/log/logger.js';
import { parseRepoPath } from '../../src/domain/repo-path.js';
import type { Repo } from '../../src/store/types.js';
import { Housekeeping, type HousekeepingDone } from '../../src/vcs/housekeeping.js';

const dir = mkdtempSync(join(tmpdir(), 'ferry-housekeeping-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in for git or hg: logs its arguments, then takes `seconds` (so a push can interrupt it). */
function stub(name: string, seconds: number): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\necho "start $*" >> ${join(dir, `${name}.log`)}\nsleep ${seconds}\necho "end $*" >> ${join(dir, `${name}.log`)}\n`);
  chmodSync(file, 0o755);
  return file;
}

const repo = (id: number, kind: 'hg' | 'git'): Repo => ({ id, kind, path: parseRepoPath(`team/r${id}`), isPublic: false, createdAt: '2026-01-01' });

function housekeeping(git: string, hg: string, perRepack: number): { hk: Housekeeping; done: HousekeepingDone[] } {
  const hk = new Housekeeping({ git: { executable: git, env: process.env }, hg: { executable: hg, env: process.env }, directoryOf: (r) => join(dir, r.path), gitChangesPerRepack: perRepack, log: createLogger('silent') });
  const done: HousekeepingDone[] = [];
  hk.onDone((d) => done.push(d));
  return { hk, done };
}

describe('Housekeeping', () => {
  it('repacks a git repo only after the configured number of pushes (a commit-graph layer after the others), and warms hg caches after each', async () => {
    const { hk, done } = housekeeping(stub('git-a', 0), stub('hg-a', 0), 3);
    const git = repo(1, 'git');
    hk.changed({ repo: git, cause: 'push' });
    await hk.idle();
    hk.changed({ repo: git, cause: 'push' });
    await hk.idle();
    assert.deepEqual(done.map((d) => d.kind), ['git-commit-graph', 'git-commit-graph'], 'no repack before the third push');
    assert.match(readFileSync(join(dir, 'git-a.log'), 'utf8'), /commit-graph write --reachable --split --changed-paths/);
    done.length = 0;
    hk.changed({ repo: git, cause: 'push' });
    hk.changed({ repo: repo(2, 'hg'), cause: 'push' });
    await hk.idle();
    assert.deepEqual(done.map((d) => [d.kind, d.path, d.outcome]), [['git-repack', 'team/r1', 'done'], ['hg-caches', 'team/r2', 'done']]);
    const calls = readFileSync(join(dir, 'git-a.log'), 'utf8');
    assert.match(calls, /-c repack.writeBitmaps=true -c pack.writeBitmapHashCache=true repack -a -d -b -q/);
    assert.match(calls, /commit-graph write --reachable --changed-paths/);
    const hgCalls = readFileSync(join(dir, 'hg-a.log'), 'utf8');
    assert.match(hgCalls, /debugupdatecaches/);
    assert.match(hgCalls, /ferry-blame-warm/);
  });

  it('never runs while a push of the same repo is in flight: waits for it, and a push stops a running job', async () => {
    const { hk, done } = housekeeping(stub('git-b', 3), stub('hg-b', 0), 1);
    const git = repo(3, 'git');
    let endPush: () => void = () => {};
    const push = hk.whilePushing(git, () => new Promise<void>((r) => (endPush = r)));
    hk.changed({ repo: git, cause: 'push' });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(readFileSync(join(dir, 'git-b.log'), { encoding: 'utf8', flag: 'a+' }), '', 'no job while the push runs');
    endPush();
    await push;
    // The job starts once the push is over; a second push stops it and it runs again after.
    for (let i = 0; i < 50 && !readFileSync(join(dir, 'git-b.log'), { encoding: 'utf8', flag: 'a+' }).includes('start'); i++) await new Promise((r) => setTimeout(r, 100));
    await hk.whilePushing(git, () => new Promise((r) => setTimeout(r, 200)));
    await hk.idle();
    assert.deepEqual(done.map((d) => d.outcome), ['yielded', 'done']);
  });
});
