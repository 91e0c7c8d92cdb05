import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { layoutGraph } from '../../src/web/graph.js';

describe('log graph layout', () => {
  it('keeps a linear history in one lane', () => {
    const rows = layoutGraph([
      { id: 'c', parents: ['b'] },
      { id: 'b', parents: ['a'] },
      { id: 'a', parents: [] },
    ]);
    assert.deepEqual(rows.map((r) => r.column), [0, 0, 0]);
    assert.deepEqual(rows.map((r) => r.width), [1, 1, 1]);
  });

  it('opens a lane for a merge parent and joins it where the branch forked', () => {
    // m merges b1 (default) and s1 (a branch); both descend from a.
    const rows = layoutGraph([
      { id: 'm', parents: ['b1', 's1'] },
      { id: 'b1', parents: ['a'] },
      { id: 's1', parents: ['a'] },
      { id: 'a', parents: [] },
    ]);
    assert.deepEqual(rows.map((r) => r.column), [0, 0, 1, 0]);
    assert.ok(rows[0]?.segments.some((s) => s.x1 === 0 && s.y1 === 1 && s.x2 === 1 && s.y2 === 2), 'merge edge to lane 1');
    assert.ok(rows[1]?.segments.some((s) => s.x1 === 1 && s.x2 === 1 && s.y1 === 0 && s.y2 === 2), 'lane 1 passes by b1');
    assert.ok(rows[2]?.segments.some((s) => s.x1 === 1 && s.y1 === 1 && s.x2 === 0 && s.y2 === 2), 's1 joins the lane of a');
    assert.equal(rows[3]?.width, 1, 'back to one lane');
  });

  it('gives two heads their own lanes', () => {
    const rows = layoutGraph([
      { id: 'h1', parents: ['a'] },
      { id: 'h2', parents: ['a'] },
      { id: 'a', parents: [] },
    ]);
    assert.deepEqual(rows.map((r) => r.column), [0, 1, 0]);
  });
});
