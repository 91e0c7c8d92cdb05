import { SizedLru } from './sized-lru.js';

/** A least-recently-used cache of immutable byte strings (diffs by commit id), bounded in total size. */
export class ByteCache extends SizedLru<Buffer> {
  constructor(maxBytes: number) {
    super(maxBytes, (value) => value.length);
  }
}
