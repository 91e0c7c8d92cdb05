import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { maxSatisfying, parseRange } from '../../src/cdn/semver.js';

const TAGS = ['v0.9.0', 'v1.0.0', '1.2.3', 'v1.4.0', 'v1.4.7', 'v1.5.0-beta.1', 'v2.0.0-rc.1', 'v2.0.0-rc.2', 'release-3', 'v0.0.3', 'v0.0.4'];

function best(range: string): string | undefined {
  const parsed = parseRange(range);
  assert.ok(parsed, `parses ${range}`);
  return maxSatisfying(TAGS, parsed);
}

describe('CDN semver ranges over tags', () => {
  it('resolves partial versions, caret, tilde, comparators, alternatives and latest like npm', () => {
    assert.equal(best('1'), 'v1.4.7');
    assert.equal(best('1.4'), 'v1.4.7');
    assert.equal(best('1.2'), '1.2.3');
    assert.equal(best('1.2.3'), '1.2.3');
    assert.equal(best('^1.2.0'), 'v1.4.7');
    assert.equal(best('~1.4.0'), 'v1.4.7');
    assert.equal(best('^0.0.3'), 'v0.0.3');
    assert.equal(best('^0.9'), 'v0.9.0');
    assert.equal(best('>=1.0.0 <1.4.0'), '1.2.3');
    assert.equal(best('<1'), 'v0.9.0');
    assert.equal(best('1.0.0 - 1.4.0'), 'v1.4.0');
    assert.equal(best('0.9 || 1.2'), '1.2.3');
    assert.equal(best('1.x'), 'v1.4.7');
    assert.equal(best('latest'), 'v1.4.7');
    assert.equal(best('*'), 'v1.4.7');
    assert.equal(best('3'), undefined);
  });

  it('matches prereleases only when the range names one of the same version', () => {
    assert.equal(best('2'), undefined);
    assert.equal(best('^2.0.0-rc.1'), 'v2.0.0-rc.2');
    assert.equal(best('2.0.0-rc.1'), 'v2.0.0-rc.1');
    assert.equal(best('^1.5.0-beta.0'), 'v1.5.0-beta.1');
  });

  it('refuses what is not a range, so the caller can answer "no such ref"', () => {
    for (const bad of ['main', 'feature/x', 'v1.2.3.4', '^', '>=abc', '']) assert.equal(parseRange(bad), undefined, bad);
  });
});
