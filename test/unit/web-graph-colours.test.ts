import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { branchColour, branchOfCommits, layoutGraph } from '../../src/web/graph.js';

describe('log graph colours follow branches', () => {
  it('gives a branch one colour in 0-7, and common names different ones', () => {
    for (const name of ['default', 'stable', 'main', 'feature/x']) {
      const c = branchColour(name);
      assert.ok(c >= 0 && c < 8);
      assert.equal(branchColour(name), c);
    }
    assert.notEqual(branchColour('default'), branchColour('stable'));
    assert.notEqual(branchColour('main'), branchColour('feature/x'));
  });

  it('hg: each changeset by its named branch; git: by the branch head reaching it along first parents', () => {
    const hg = branchOfCommits(
      [
        { id: 'm', parents: ['d1', 's1'], labels: [{ kind: 'branch', name: 'default' }] },
        { id: 's1', parents: ['a'], labels: [{ kind: 'branch', name: 'stable' }] },
        { id: 'd1', parents: ['a'], labels: [{ kind: 'branch', name: 'default' }] },
      ],
      'hg',
      'default',
    );
    assert.equal(hg.get('s1'), 'stable');
    assert.equal(hg.get('d1'), 'default');
    const git = branchOfCommits(
      [
        { id: 'f2', parents: ['f1'], labels: [{ kind: 'branch', name: 'feature' }] },
        { id: 'm2', parents: ['m1'], labels: [{ kind: 'branch', name: 'main' }] },
        { id: 'f1', parents: ['m1'], labels: [] },
        { id: 'm1', parents: [], labels: [] },
      ],
      'git',
      'main',
    );
    assert.equal(git.get('f1'), 'feature');
    assert.equal(git.get('m1'), 'main', 'the first head to reach it along first parents');
  });

  it('segments name the commit their lane leads to', () => {
    const rows = layoutGraph([
      { id: 'm', parents: ['b1', 's1'] },
      { id: 'b1', parents: ['a'] },
      { id: 's1', parents: ['a'] },
      { id: 'a', parents: [] },
    ]);
    assert.ok(rows[0]?.segments.some((s) => s.x2 === 1 && s.target === 's1'), 'the merge edge leads to s1');
    assert.ok(rows[1]?.segments.some((s) => s.x1 === 1 && s.x2 === 1 && s.target === 's1'), 'the lane passing b1 still leads to s1');
    assert.equal(rows[0]?.id, 'm');
  });
});
