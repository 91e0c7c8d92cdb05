import { strict as assert } from 'node:assert';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parseTar } from '../../src/cdn/tar.js';

describe('CDN tar parser', () => {
  it('reads GNU tar pax archives: long names, UTF-8 names, symlinks as links, executables', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-tar-'));
    try {
      const long = `${'a'.repeat(90)}/${'b'.repeat(90)}/${'c'.repeat(60)}.txt`;
      mkdirSync(join(dir, 'src', ...long.split('/').slice(0, -1)), { recursive: true });
      writeFileSync(join(dir, 'src', long), 'long\n');
      writeFileSync(join(dir, 'src', 'héllo wörld.txt'), 'utf8\n');
      writeFileSync(join(dir, 'src', 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
      symlinkSync('/etc/passwd', join(dir, 'src', 'link'));
      const tar = spawnSync('tar', ['--format=pax', '-C', join(dir, 'src'), '-cf', '-', '.'], { maxBuffer: 1 << 24 });
      assert.equal(tar.status, 0);
      const entries = parseTar(tar.stdout);
      const byPath = new Map(entries.map((e) => [e.path, e]));
      const longEntry = byPath.get(long);
      assert.ok(longEntry?.type === 'file' && longEntry.data.toString() === 'long\n');
      const utf = byPath.get('héllo wörld.txt');
      assert.ok(utf?.type === 'file' && utf.data.toString() === 'utf8\n');
      const run = byPath.get('run.sh');
      assert.ok(run?.type === 'file' && run.executable);
      const link = byPath.get('link');
      assert.ok(link?.type === 'symlink' && link.target === '/etc/passwd');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a corrupt header and drops members that would escape with ..', () => {
    const header = Buffer.alloc(1024);
    header.write('../evil', 0);
    header.write('0000644\0', 100);
    header.write('00000000000\0', 124);
    header[156] = '0'.charCodeAt(0);
    header.write('ustar\0', 257);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (header[i] as number);
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    assert.deepEqual(parseTar(header), []);
    header[0] = 'X'.charCodeAt(0);
    assert.throws(() => parseTar(header), /corrupt tar header/);
  });
});
