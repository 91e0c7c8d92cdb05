import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { BlobCache, hashOf } from '../../src/cdn/blob.js';
import { Snapshot } from '../../src/cdn/snapshot.js';
import { SnapshotCache } from '../../src/cdn/snapshot-cache.js';

/** A snapshot of `files` whose contents are loaded through `blobs` (ids are content hashes). */
function tree(blobs: BlobCache, commit: string, files: Record<string, string>, loads: string[] = []): Snapshot {
  const data = new Map(Object.values(files).map((text) => [hashOf(Buffer.from(text)), Buffer.from(text)]));
  return Snapshot.build(
    commit,
    Object.entries(files).map(([path, text]) => ({ type: 'file' as const, path, size: Buffer.byteLength(text), id: hashOf(Buffer.from(text)), executable: false })),
    (node, path) =>
      blobs.get(node.id, async () => {
        loads.push(path);
        return data.get(node.id) as Buffer;
      }),
    1_000_000,
  );
}

describe('CDN snapshot cache', () => {
  it('shares one build between concurrent requests for the same snapshot', async () => {
    const blobs = new BlobCache(1_000_000);
    const cache = new SnapshotCache(1_000_000);
    let builds = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const build = async () => {
      builds++;
      await gate;
      return tree(blobs, 'c1', { 'a.txt': 'a' });
    };
    const all = Promise.all([cache.load('1:c1', build), cache.load('1:c1', build), cache.load('1:c1', build)]);
    release();
    const [x, y, z] = await all;
    assert.equal(builds, 1);
    assert.ok(x === y && y === z);
  });

  it('drops least recently used snapshot indexes past their budget', async () => {
    const blobs = new BlobCache(1_000_000);
    const one = tree(blobs, 'a', { 'f.txt': 'a', 'g.txt': 'b' });
    const cache = new SnapshotCache(Math.floor(one.indexBytes * 2.5));
    await cache.load('1:a', async () => one);
    await cache.load('1:b', async () => tree(blobs, 'b', { 'f.txt': 'c', 'g.txt': 'd' }));
    assert.equal(cache.size, 2);
    assert.ok(cache.get('1:a'));
    await cache.load('1:c', async () => tree(blobs, 'c', { 'f.txt': 'e', 'g.txt': 'f' }));
    assert.equal(cache.get('1:b'), undefined, 'b was the least recently used');
    assert.ok(cache.get('1:a') && cache.get('1:c'));
    cache.dropPrefix('1:');
    assert.equal(cache.bytes, 0);
  });

  it('loads file contents on demand, shares equal contents, and keeps them within budget', async () => {
    const big = 'x'.repeat(10_000);
    const blobs = new BlobCache(25_000);
    const loads: string[] = [];
    const snap = tree(blobs, 'a', { 'a.txt': `${big}a`, 'b.txt': `${big}b`, 'c.txt': `${big}c`, 'same.txt': `${big}a` }, loads);
    assert.deepEqual(loads, [], 'building the index reads no contents');
    const read = async (path: string) => {
      const node = snap.files.get(path);
      assert.ok(node && node.kind !== 'too-large');
      return snap.blob(node, path);
    };
    assert.equal((await read('a.txt')).data.toString(), `${big}a`);
    assert.equal(await read('same.txt'), await read('a.txt'), 'the same bytes are one blob');
    await read('b.txt');
    await read('c.txt');
    assert.ok(blobs.bytes <= 25_000, `held ${blobs.bytes} bytes`);
    assert.equal((await read('a.txt')).data.toString(), `${big}a`, 'a dropped blob is loaded again');
    assert.deepEqual(loads, ['a.txt', 'b.txt', 'c.txt', 'a.txt']);
  });

  it('never stores .hg* or .git* files and lists directories with sizes and subtree hashes', () => {
    const blobs = new BlobCache(1_000_000);
    const snap = tree(blobs, 'c', { '.hgtags': 't', '.github/ci.yml': 'x', 'src/.gitignore': 'y', 'src/a.js': 'aa', 'src/lib/b.js': 'bbb', 'README': 'r' });
    assert.deepEqual([...snap.files.keys()].sort(), ['README', 'src/a.js', 'src/lib/b.js']);
    const root = snap.dirs.get('') ?? [];
    assert.deepEqual(root.map((e) => [e.name, e.type, e.size]), [['README', 'file', 1], ['src', 'dir', 5]]);
    const before = root.find((e) => e.name === 'src')?.hash;
    const changed = tree(blobs, 'd', { 'src/a.js': 'aa', 'src/lib/b.js': 'bbX', 'README': 'r' });
    assert.notEqual(changed.dirs.get('')?.find((e) => e.name === 'src')?.hash, before);
  });
});
