import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { workerMallocTunables } from '../../src/cdn/workers/pool.js';

describe('CDN workers: glibc malloc tunables', () => {
  it('fixes the mmap threshold (big file contents go back to the system when dropped), keeping what the operator set', () => {
    assert.equal(workerMallocTunables(undefined), 'glibc.malloc.mmap_threshold=131072');
    assert.equal(workerMallocTunables(''), 'glibc.malloc.mmap_threshold=131072');
    // glibc reads tunables left to right, a later one overriding: the operator's own setting wins.
    assert.equal(workerMallocTunables('glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=65536'), 'glibc.malloc.mmap_threshold=131072:glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=65536');
  });
});
