import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { grantCovers, parseGrantTarget, parseRepoPath } from '../../src/domain/repo-path.js';

describe('RepoPath', () => {
  it('accepts nested paths and ignores a leading slash', () => {
    assert.equal(parseRepoPath('/team/web/app'), 'team/web/app');
    assert.equal(parseRepoPath('a'), 'a');
    assert.equal(parseRepoPath('A.b_c-d/x1'), 'A.b_c-d/x1');
  });
  for (const bad of ['', '/', '..', '../x', 'a/../b', 'a//b', '.hg', 'a/-x', 'a b', 'a\0b', 'a\nb', '~root/x', 'x'.repeat(300), 'a/'.repeat(20) + 'a']) {
    it(`refuses ${JSON.stringify(bad.slice(0, 30))}`, () => {
      assert.throws(() => parseRepoPath(bad), { code: 'FERRY_INVALID_REPO_PATH' });
    });
  }
  it('matches group prefixes', () => {
    assert.ok(grantCovers(parseGrantTarget('team/'), 'team/app'));
    assert.ok(grantCovers(parseGrantTarget('team/'), 'team/web/app'));
    assert.ok(!grantCovers(parseGrantTarget('team/'), 'teamx/app'));
    assert.ok(grantCovers(parseGrantTarget('team/app'), 'team/app'));
    assert.ok(!grantCovers(parseGrantTarget('team/app'), 'team/app2'));
  });
});
