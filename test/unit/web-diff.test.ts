import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseRawNumstat } from '../../src/vcs/git/browse.js';
import { escapeHtml } from '../../src/web/html.js';
import { parseDiff } from '../../src/web/diff.js';

const DIFF = [
  'diff --git a/a.txt b/c.txt',
  'rename from a.txt',
  'rename to c.txt',
  '--- a/a.txt',
  '+++ b/c.txt',
  '@@ -1,2 +1,3 @@',
  ' one',
  '-two',
  '+TWO',
  '+three',
  'diff --git a/bin b/bin',
  'GIT binary patch',
  'literal 3',
  'diff --git a/gone.txt b/gone.txt',
  'deleted file mode 100644',
  '--- a/gone.txt',
  '+++ /dev/null',
  '@@ -1 +0,0 @@',
  '-gone',
  '',
].join('\n');

describe('diff parsing', () => {
  it('names, statuses and counts every file in one pass; lines are built on use and agree with the counts', () => {
    const files = parseDiff(DIFF);
    assert.deepEqual(
      files.map((f) => [f.oldPath, f.newPath, f.status, f.binary, f.lineCount, f.additions, f.deletions]),
      [
        ['a.txt', 'c.txt', 'renamed', false, 5, 2, 1],
        ['bin', 'bin', 'modified', true, 0, 0, 0],
        ['gone.txt', 'gone.txt', 'deleted', false, 2, 0, 1],
      ],
    );
    for (const f of files) assert.equal(f.lines.length, f.lineCount);
    assert.deepEqual(files[0]?.lines.map((l) => [l.kind, l.text, l.oldNo, l.newNo]), [
      ['hunk', '@@ -1,2 +1,3 @@', undefined, undefined],
      ['ctx', 'one', 1, 1],
      ['del', 'two', 2, undefined],
      ['add', 'TWO', undefined, 2],
      ['add', 'three', undefined, 3],
    ]);
  });

  it('drops the TAB git and hg put after a ---/+++ name that holds a space, and keeps a quoted name\'s own TAB', () => {
    const diff = [
      'diff --git a/many/sp ace.txt b/many/sp ace.txt',
      'new file mode 100644',
      '--- /dev/null',
      '+++ b/many/sp ace.txt\t',
      '@@ -0,0 +1 @@',
      '+x',
      'diff --git a/o ld.txt b/n ew.txt',
      '--- a/o ld.txt\t',
      '+++ b/n ew.txt\t',
      '@@ -1 +1 @@',
      '-a',
      '+b',
      'diff --git "a/t ab\\t" "b/t ab\\t"',
      '--- "a/t ab\\t"\t',
      '+++ "b/t ab\\t"\t',
      '@@ -1 +1 @@',
      '-a',
      '+b',
      'diff --git a/x\t b/x\t',
      '--- a/x\t',
      '+++ b/x\t',
      '@@ -1 +1 @@',
      '-a',
      '+b',
      '',
    ].join('\n');
    assert.deepEqual(
      parseDiff(diff).map((f) => [f.oldPath, f.newPath, f.status]),
      [
        ['many/sp ace.txt', 'many/sp ace.txt', 'added'],
        ['o ld.txt', 'n ew.txt', 'modified'],
        ['t ab\t', 't ab\t', 'modified'],
        ['x\t', 'x\t', 'modified'],
      ],
    );
  });

  it('escapes the five HTML specials and leaves other text as it is', () => {
    assert.equal(escapeHtml('plain text'), 'plain text');
    assert.equal(escapeHtml(`<a href="x">&'</a>`), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
    assert.equal(escapeHtml('x < y'), 'x &lt; y');
  });

  it("reads git log --raw --numstat -z: statuses, renames by their new path, binary files count no lines", () => {
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    const text =
      `\x1e${a}\0\n:100644 100644 1111111 2222222 R090\0old.txt\0new.txt\0:000000 100644 0000000 3333333 A\0bin.png\0:100644 000000 4444444 0000000 D\0gone.txt\0` +
      `3\t1\t\0old.txt\0new.txt\0-\t-\tbin.png\x000\t2\tgone.txt\0` +
      `\n\x1e${b}\0\n:100644 100644 5555555 6666666 M\0x.txt\0` +
      `1\t1\tx.txt\0`;
    const changes = parseRawNumstat(text);
    assert.deepEqual(changes.get(a), {
      files: [
        { path: 'bin.png', status: 'added' },
        { path: 'gone.txt', status: 'deleted' },
        { path: 'new.txt', status: 'renamed' },
      ],
      additions: 3,
      deletions: 3,
    });
    assert.deepEqual(changes.get(b), { files: [{ path: 'x.txt', status: 'modified' }], additions: 1, deletions: 1 });
  });
});
