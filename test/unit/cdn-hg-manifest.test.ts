import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { VcsReader, parseHgManifest } from '../../src/cdn/vcs-source.js';

describe('the CDN lists an hg changeset with its symlinks and executables', () => {
  it('reads hg manifest types from a real repo (a symlink is no file, an executable keeps its bit)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-hgman-'));
    try {
      const env = { ...process.env, HGRCPATH: '', HGPLAIN: '1', HGUSER: 'test <t@example.org>' };
      execFileSync('hg', ['init', dir], { env });
      mkdirSync(join(dir, 'a'));
      symlinkSync('..', join(dir, 'a', 'l1'));
      writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\n');
      chmodSync(join(dir, 'run.sh'), 0o755);
      writeFileSync(join(dir, 'plain.txt'), 'plain\n');
      execFileSync('hg', ['-R', dir, 'commit', '-A', '-q', '-m', 'c'], { env });
      const reader = new VcsReader({ hg: { executable: 'hg', env }, git: { executable: 'git', env } });
      const entries = await reader.listTree({ kind: 'hg', dir }, '.');
      assert.deepEqual(
        entries.map((e) => [e.path, e.type, e.executable, e.size]),
        [
          ['a/l1', 'symlink', false, 2],
          ['plain.txt', 'file', false, 6],
          ['run.sh', 'file', true, 10],
        ],
      );
      reader.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses the manifest template by type letter', () => {
    const out = Buffer.from('aa\t@\t2\tl\0bb\t*\t3\tx\0cc\t \t4\tf\0');
    assert.deepEqual(parseHgManifest(out).map((e) => [e.path, e.type, e.executable]), [
      ['l', 'symlink', false],
      ['x', 'file', true],
      ['f', 'file', false],
    ]);
  });
});
