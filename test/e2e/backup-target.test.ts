import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { expectOk, ferryCli, run, tempDir } from './harness.js';

/**
 * `ferry backup` must never write where it can destroy (the live database, a repo, an older
 * backup), must refuse a data dir that is not there, and must carry what lives beside the repos:
 * Git LFS objects (DATA/lfs) and hg largefiles' contents (.hg/largefiles). Found by a tester.
 */
describe('ferry backup: where it writes, and what it carries', () => {
  it('backup-overwrites-live-database: a target inside the data dir, an existing file or a directory is refused before any work', async () => {
    const data = tempDir();
    await expectOk(ferryCli(data, ['user', 'add', 'alice', '--admin']));
    const db = join(data, 'ferry.db');
    const before = statSync(db).size;
    const inside = await ferryCli(data, ['backup', db]);
    assert.equal(inside.code, 1, inside.stderr);
    assert.match(inside.stderr, /^ferry: \S+ferry\.db is inside the data dir \S+ that the backup copies; write it somewhere else/);
    assert.equal(statSync(db).size, before, 'the live database is untouched');
    assert.equal((await expectOk(ferryCli(data, ['user', 'list']))).code, 0, 'and still opens');
    const out = tempDir();
    const existing = join(out, 'old.tar');
    writeFileSync(existing, 'an older backup');
    const over = await ferryCli(data, ['backup', existing]);
    assert.equal(over.code, 1);
    assert.match(over.stderr, /already exists; give a new file name, or add --force to replace it\n$/);
    assert.equal(readFileSync(existing, 'utf8'), 'an older backup');
    const dir = await ferryCli(data, ['backup', out]);
    assert.equal(dir.code, 1);
    assert.match(dir.stderr, /is a directory; give a file name/);
    assert.equal((await ferryCli(data, ['backup', existing, '--force'])).code, 0, '--force replaces it');
    assert.notEqual(readFileSync(existing, 'utf8'), 'an older backup');
  });

  it('backup-of-missing-data-dir: a data dir that is not there is an error, not an empty backup', async () => {
    const missing = join(tempDir(), 'typo');
    const out = join(tempDir(), 'b.tar');
    const r = await ferryCli(missing, ['backup', out]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^ferry: no Ferry data dir at \S+typo; give the one `serve` uses with --data or FERRY_DATA\n$/);
    assert.ok(!existsSync(missing) && !existsSync(out), 'nothing made');
  });

  it('backup-loses-large-files: Git LFS objects and hg largefiles travel through backup and restore', async () => {
    const data = tempDir();
    await expectOk(ferryCli(data, ['user', 'add', 'alice', '--admin']));
    await expectOk(ferryCli(data, ['repo', 'create', 'alice/big']));
    const oid = 'a'.repeat(64);
    const object = join(data, 'lfs', '1', 'aa', 'aa', oid);
    mkdirSync(join(object, '..'), { recursive: true });
    writeFileSync(object, 'an LFS object');
    const largefile = join(data, 'repos', 'alice', 'big', '.hg', 'largefiles', 'b'.repeat(40));
    mkdirSync(join(largefile, '..'), { recursive: true });
    writeFileSync(largefile, 'a large file');
    const archive = join(tempDir(), 'b.tar');
    await expectOk(ferryCli(data, ['backup', archive]));
    const listing = (await expectOk(run('tar', ['tf', archive]))).stdout;
    assert.match(listing, new RegExp(`lfs/1/aa/aa/${oid}`));
    assert.match(listing, /largefiles\/b{40}/);
    const restored = join(tempDir(), 'restored');
    await expectOk(ferryCli(restored, ['restore', archive]));
    assert.equal(readFileSync(join(restored, 'lfs', '1', 'aa', 'aa', oid), 'utf8'), 'an LFS object');
    assert.equal(readFileSync(join(restored, 'repos', 'alice', 'big', '.hg', 'largefiles', 'b'.repeat(40)), 'utf8'), 'a large file');
  });
});
