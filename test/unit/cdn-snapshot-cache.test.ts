import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { BlobPool } from '../../src/cdn/blob.js';
import { Snapshot } from '../../src/cdn/snapshot.js';
import { SnapshotCache } from '../../src/cdn/snapshot-cache.js';

function tree(pool: BlobPool, commit: string, files: Record<string, string>): Snapshot {
  return Snapshot.build(
    commit,
    Object.entries(files).map(([path, text]) => ({ type: 'file' as const, path, data: Buffer.from(text), executable: false })),
    pool,
    1_000_000,
  );
}

describe('CDN snapshot cache', () => {
  it('shares one build between concurrent requests for the same snapshot', async () => {
    const pool = new BlobPool();
    const cache = new SnapshotCache(pool, 1_000_000);
    let builds = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const build = async () => {
      builds++;
      await gate;
      return tree(pool, 'c1', { 'a.txt': 'a' });
    };
    const all = Promise.all([cache.load('1:c1', build), cache.load('1:c1', build), cache.load('1:c1', build)]);
    release();
    const [x, y, z] = await all;
    assert.equal(builds, 1);
    assert.ok(x === y && y === z);
  });

  it('drops least recently used snapshots past the budget, counting shared blobs once', async () => {
    const pool = new BlobPool();
    const big = 'x'.repeat(10_000);
    const cache = new SnapshotCache(pool, 35_000);
    await cache.load('1:a', async () => tree(pool, 'a', { 'f.txt': `${big}a`, 'shared.txt': big }));
    await cache.load('1:b', async () => tree(pool, 'b', { 'f.txt': `${big}b`, 'shared.txt': big }));
    assert.equal(cache.size, 2, 'the shared blob is held once, so both fit');
    assert.ok(cache.get('1:a'));
    await cache.load('1:c', async () => tree(pool, 'c', { 'f.txt': `${big}c`, 'shared.txt': big }));
    assert.equal(cache.get('1:b'), undefined, 'b was the least recently used');
    assert.ok(cache.get('1:a') && cache.get('1:c'));
    assert.ok(pool.bytes <= 35_000);
    cache.dropPrefix('1:');
    assert.equal(pool.bytes, 0, 'every blob went back to the pool');
  });

  it('never stores .hg* or .git* files and lists directories with sizes and subtree hashes', () => {
    const pool = new BlobPool();
    const snap = tree(pool, 'c', { '.hgtags': 't', '.github/ci.yml': 'x', 'src/.gitignore': 'y', 'src/a.js': 'aa', 'src/lib/b.js': 'bbb', 'README': 'r' });
    assert.deepEqual([...snap.files.keys()].sort(), ['README', 'src/a.js', 'src/lib/b.js']);
    const root = snap.dirs.get('') ?? [];
    assert.deepEqual(root.map((e) => [e.name, e.type, e.size]), [['README', 'file', 1], ['src', 'dir', 5]]);
    const before = root.find((e) => e.name === 'src')?.hash;
    const changed = tree(pool, 'd', { 'src/a.js': 'aa', 'src/lib/b.js': 'bbX', 'README': 'r' });
    assert.notEqual(changed.dirs.get('')?.find((e) => e.name === 'src')?.hash, before);
  });
});
