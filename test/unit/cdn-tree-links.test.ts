import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { resolveTreeLink } from '../../src/cdn/tree-links.js';

/** The tree's symlinks (path → target); `null` marks a plain file, which is no link. */
function tree(entries: Record<string, string | null>): Map<string, string> {
  return new Map(Object.entries(entries).filter((e): e is [string, string] => e[1] !== null));
}

describe('resolveTreeLink', () => {
  it('follows links as the kernel does, refusing every step above the root', () => {
    const files = tree({
      'index.html': null,
      'a/l1': '..',
      ok: 'index.html',
      up: 'a/l1/index.html',
      chain: `${'a/l1/'.repeat(10)}${'../'.repeat(19)}etc/passwd`,
      abs: '/etc/passwd',
      out: '../x',
      loop1: 'loop2',
      loop2: 'loop1',
      dir: 'a',
    });
    assert.equal(resolveTreeLink(files, 'a/l1'), '');
    assert.equal(resolveTreeLink(files, 'ok'), 'index.html');
    assert.equal(resolveTreeLink(files, 'up'), 'index.html');
    assert.equal(resolveTreeLink(files, 'dir'), 'a');
    for (const escaping of ['chain', 'abs', 'out', 'loop1']) assert.equal(resolveTreeLink(files, escaping), undefined, escaping);
    assert.equal(resolveTreeLink(files, 'index.html'), undefined);
  });
});
