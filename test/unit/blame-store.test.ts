import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyChange, BlameStore, parseZeroContextHunks, splitLines, type StoredBlame } from '../../src/vcs/blame-store.js';
import { gitBlame, type GitBlameSource } from '../../src/vcs/git/blame.js';
import { GitCatFile } from '../../src/vcs/git/cat-file.js';

const info = { author: 'a', date: '', summary: '' };
const ids = (b: StoredBlame): string[] => b.lines.map((i) => b.commits[i]?.[0] ?? '?');

describe('blame store: deriving a blame through one change', () => {
  const base: StoredBlame = { commits: [['A', info], ['B', info]], lines: [0, 0, 1, 1, 0] };

  it('keeps unchanged lines, gives changed and added lines to the change, drops deleted ones', () => {
    // line 2 changed, one line inserted after line 4, line 5 deleted
    const hunks = parseZeroContextHunks('diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -2 +2 @@\n-x\n+y\n@@ -4,0 +5 @@\n+new\n@@ -5 +5,0 @@\n-gone\n');
    assert.deepEqual(hunks, [
      { oldStart: 2, oldCount: 1, newStart: 2, newCount: 1 },
      { oldStart: 4, oldCount: 0, newStart: 5, newCount: 1 },
      { oldStart: 5, oldCount: 1, newStart: 5, newCount: 0 },
    ]);
    const next = applyChange(base, hunks, 'C', info, 5);
    assert.ok(next);
    assert.deepEqual(ids(next), ['A', 'C', 'B', 'B', 'C']);
  });

  it('inserts at the top, and forgets commits no line names', () => {
    const next = applyChange(base, [{ oldStart: 0, oldCount: 0, newStart: 1, newCount: 2 }, { oldStart: 3, oldCount: 2, newStart: 5, newCount: 0 }], 'C', info, 5);
    assert.ok(next);
    assert.deepEqual(ids(next), ['C', 'C', 'A', 'A', 'A']);
    assert.deepEqual(next.commits.map(([c]) => c), ['C', 'A']);
  });

  it('refuses hunks that do not fit the old blame or the new line count', () => {
    assert.equal(applyChange(base, [{ oldStart: 9, oldCount: 1, newStart: 9, newCount: 1 }], 'C', info, 5), undefined);
    assert.equal(applyChange(base, [{ oldStart: 2, oldCount: 1, newStart: 2, newCount: 1 }], 'C', info, 6), undefined);
  });

  it('counts lines as blame does', () => {
    assert.deepEqual(splitLines(''), []);
    assert.deepEqual(splitLines('a\nb'), ['a', 'b']);
    assert.deepEqual(splitLines('a\nb\n'), ['a', 'b']);
    assert.deepEqual(splitLines('\n'), ['']);
  });

  it('stores atomically by (commit, path), ignores what it cannot read, and prunes the oldest over its budget', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-blame-store-'));
    try {
      const store = new BlameStore(dir);
      assert.equal(store.read('a'.repeat(40), 'f'), undefined);
      store.write('a'.repeat(40), 'f', base);
      assert.deepEqual(store.read('a'.repeat(40), 'f'), base);
      assert.equal(store.read('a'.repeat(40), 'g'), undefined);
      for (let i = 0; i < 20; i++) store.write(`${i.toString(16).padStart(2, '0')}${'b'.repeat(38)}`, 'f', { commits: [['x'.repeat(40), info]], lines: Array(200).fill(0) as number[] });
      const total = store.prune(4000);
      assert.ok(total <= 2000, `pruned to ${total} bytes`);
      assert.ok(readdirSync(dir).length > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A history with edits, insertions, deletions, a moved block, code whose diff is ambiguous (the
 * indent heuristic decides), a file rewritten on a topic branch and merged, edits after the merge,
 * a rename then an edit, and commits that leave the file alone.
 */
function makeHistory(dir: string): void {
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.name=T', '-c', 'user.email=t@t', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const put = (file: string, lines: string[]) => writeFileSync(join(dir, file), lines.join('\n') + '\n');
  let when = 1700000000;
  const commit = (msg: string) => {
    when += 60;
    execFileSync('git', ['-C', dir, '-c', 'user.name=T', '-c', 'user.email=t@t', 'commit', '-q', '-a', '-m', msg], { env: { ...process.env, GIT_AUTHOR_DATE: `${when} +0000`, GIT_COMMITTER_DATE: `${when} +0000` } });
  };
  git('init', '-q', '-b', 'main');
  let a = Array.from({ length: 30 }, (_, i) => `line ${i}`);
  const fn = (name: string) => [`int ${name}(void)`, '{', `    return ${name.length};`, '}', ''];
  let code = [...fn('one'), ...fn('two'), ...fn('three')];
  put('a.txt', a);
  put('code.c', code);
  git('add', '.');
  commit('c1');
  a[3] = 'edited 3';
  a[10] = 'edited 10';
  put('a.txt', a);
  commit('c2 edits');
  a = [...a.slice(0, 12), 'ins 1', 'ins 2', 'ins 3', ...a.slice(12, 20), ...a.slice(23)];
  put('a.txt', a);
  code = [...fn('one'), ...fn('between'), ...fn('two'), ...fn('three')];
  put('code.c', code);
  commit('c3 insert, delete, insert a function');
  a = [...a.slice(5), ...a.slice(0, 5)];
  put('a.txt', a);
  commit('c4 move a block');
  git('checkout', '-q', '-b', 'topic');
  const rewritten = a.map((l, i) => (i % 4 === 0 ? l : `topic ${i}`));
  put('a.txt', rewritten);
  commit('t1 rewrite');
  rewritten[1] = 'topic edit';
  put('a.txt', rewritten);
  commit('t2 edit');
  git('checkout', '-q', 'main');
  a[8] = 'main edit 8';
  put('a.txt', a);
  code[2] = '    return 42;';
  put('code.c', code);
  commit('c5 edit');
  try {
    execFileSync('git', ['-C', dir, '-c', 'user.name=T', '-c', 'user.email=t@t', 'merge', '-q', '--no-commit', 'topic'], { stdio: 'ignore' });
  } catch {
    /* a conflict: resolved below */
  }
  const merged = [...rewritten];
  merged[8] = 'main edit 8';
  put('a.txt', merged);
  git('add', 'a.txt');
  commit('m1 merge topic');
  merged[2] = 'after merge';
  merged.push('appended');
  put('a.txt', merged);
  commit('c6 edit after the merge');
  git('mv', 'a.txt', 'b.txt');
  commit('c7 rename');
  merged[5] = 'edited after rename';
  put('b.txt', merged);
  commit('c8 edit the renamed file');
  put('other.txt', ['unrelated']);
  git('add', 'other.txt');
  commit('c9 leaves b.txt alone');
  code = [...code.slice(0, 5), ...code.slice(10), ...code.slice(5, 10)];
  put('code.c', code);
  commit('c10 move a function');
  for (let i = 0; i < 3; i++) {
    merged[(i * 7) % merged.length] = `late ${i}`;
    put('b.txt', merged);
    commit(`c${11 + i} late edit`);
  }
}

describe('git blame through the store: the same commit per line as git blame', () => {
  let dir: string;
  let catFile: GitCatFile;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-blame-git-'));
    makeHistory(dir);
    catFile = new GitCatFile('git', join(dir, '.git'), process.env);
  });
  after(() => {
    catFile.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const gitDir = () => join(dir, '.git');
  const run = (args: string[]) => execFileSync('git', args, { env: { ...process.env, GIT_DIR: gitDir(), GIT_LITERAL_PATHSPECS: '1' }, maxBuffer: 1 << 26 });
  const expected = (id: string, path: string) =>
    run(['blame', '--porcelain', id, '--', path])
      .toString()
      .split('\n')
      .filter((l) => /^[0-9a-f]{40} \d+ \d+/.test(l))
      .map((l) => l.slice(0, 40));
  const source = (store: BlameStore, calls: string[]): GitBlameSource => ({
    store,
    git: async (args) => {
      calls.push(args[0] as string);
      return run(args);
    },
    read: (rev) => catFile.read(rev),
  });
  const pairs = (): [string, string][] =>
    run(['rev-list', '--topo-order', '--reverse', '--all'])
      .toString()
      .trim()
      .split('\n')
      .flatMap((id) =>
        run(['ls-tree', '--name-only', id])
          .toString()
          .trim()
          .split('\n')
          .map((p) => [id, p] as [string, string]),
      );

  it('oldest first (each blame derived from the one before), then newest first from a store holding only the first ones', async () => {
    const storeDir = mkdtempSync(join(tmpdir(), 'ferry-blame-git-store-'));
    try {
      const calls: string[] = [];
      const all = pairs();
      for (const [id, path] of all) assert.deepEqual(ids(await gitBlame(source(new BlameStore(storeDir), calls), id, path)), expected(id, path), `${path} at ${id}`);
      const full = calls.filter((c) => c === 'blame').length;
      assert.ok(full < all.length / 2, `only ${full} of ${all.length} blames were run in full`);

      rmSync(storeDir, { recursive: true, force: true });
      for (const [id, path] of all.slice(0, 2)) await gitBlame(source(new BlameStore(storeDir), []), id, path);
      for (const [id, path] of [...all].reverse()) assert.deepEqual(ids(await gitBlame(source(new BlameStore(storeDir), []), id, path)), expected(id, path), `${path} at ${id}, newest first`);
    } finally {
      rmSync(storeDir, { recursive: true, force: true });
    }
  });
});
