import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SizedLru } from '../../src/vcs/sized-lru.js';
import { refsStamp } from '../../src/vcs/refs-stamp.js';
import { StampedValue } from '../../src/vcs/stamped-value.js';

describe('SizedLru', () => {
  it('keeps its total size within the budget, dropping the least recently used first', () => {
    const lru = new SizedLru<string>(100, (s) => s.length);
    lru.set('a', 'x'.repeat(20));
    lru.set('b', 'x'.repeat(20));
    lru.set('c', 'x'.repeat(20));
    assert.ok(lru.get('a'));
    lru.set('d', 'x'.repeat(25));
    lru.set('e', 'x'.repeat(25));
    assert.ok(lru.size <= 100);
    assert.equal(lru.get('b'), undefined, 'b was the least recently used');
    assert.ok(lru.get('a'), 'a was read, so kept');
    lru.set('huge', 'x'.repeat(30));
    assert.equal(lru.get('huge'), undefined, 'a value over a quarter of the budget is not kept');
  });

  it('shares one computation among concurrent callers, and keeps no failure', async () => {
    const lru = new SizedLru<string>(1000, (s) => s.length);
    let runs = 0;
    const compute = async (): Promise<string> => {
      runs++;
      await new Promise((r) => setTimeout(r, 10));
      return 'value';
    };
    const all = await Promise.all([lru.through('k', compute), lru.through('k', compute), lru.through('k', compute)]);
    assert.deepEqual(all, ['value', 'value', 'value']);
    assert.equal(runs, 1);
    await assert.rejects(lru.through('bad', () => Promise.reject(new Error('boom'))));
    assert.equal(await lru.through('bad', async () => 'ok now'), 'ok now');
    lru.deletePrefix('ba');
    assert.equal(lru.get('bad'), undefined);
    assert.equal(lru.get('k'), 'value');
  });
});

describe('refsStamp and StampedValue', () => {
  it('moves when a loose git ref is renamed into place, and is unsettled right after', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-stamp-'));
    try {
      mkdirSync(join(dir, 'refs', 'heads', 'feature'), { recursive: true });
      mkdirSync(join(dir, 'refs', 'tags'), { recursive: true });
      writeFileSync(join(dir, 'HEAD'), 'ref: refs/heads/main\n');
      const before = refsStamp('git', dir);
      assert.equal(before.settled, false, 'just written: not settled');
      assert.equal(refsStamp('git', dir, Date.now() + 5000).settled, true, 'settled seconds later');
      writeFileSync(join(dir, 'refs', 'heads', 'feature', 'x.lock'), 'abc\n');
      renameSync(join(dir, 'refs', 'heads', 'feature', 'x.lock'), join(dir, 'refs', 'heads', 'feature', 'x'));
      assert.notEqual(refsStamp('git', dir).value, before.value, 'a ref in a nested directory moves the stamp');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads again when the stamp moves or after clear, and never keeps what an unsettled stamp read', async () => {
    let stamp = { value: 'a', settled: true };
    const value = new StampedValue<number>(() => stamp);
    let reads = 0;
    const load = async (): Promise<number> => ++reads;
    assert.deepEqual(await value.get(load), { value: 1, generation: 'a' });
    assert.deepEqual(await value.get(load), { value: 1, generation: 'a' });
    stamp = { value: 'b', settled: false };
    assert.deepEqual(await value.get(load), { value: 2, generation: undefined });
    assert.deepEqual(await value.get(load), { value: 3, generation: undefined }, 'unsettled: read every time');
    stamp = { value: 'b', settled: true };
    assert.equal((await value.get(load)).value, 4);
    assert.equal((await value.get(load)).value, 4);
    value.clear();
    assert.equal((await value.get(load)).value, 5);
  });
});
