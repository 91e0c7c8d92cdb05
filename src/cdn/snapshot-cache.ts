import type { BlobPool } from './blob.js';
import type { Snapshot } from './snapshot.js';

/**
 * Snapshots by `repoId:commit`, least recently used first out when the blob pool is over the
 * memory budget. Concurrent requests for a snapshot being built share that one build.
 */
export class SnapshotCache {
  /** Map iteration order is insertion order: re-inserting on use keeps the LRU at the front. */
  private readonly ready = new Map<string, Snapshot>();
  private readonly building = new Map<string, Promise<Snapshot>>();

  constructor(
    private readonly pool: BlobPool,
    private readonly budget: number,
  ) {}

  get(key: string): Snapshot | undefined {
    const snapshot = this.ready.get(key);
    if (snapshot) {
      this.ready.delete(key);
      this.ready.set(key, snapshot);
    }
    return snapshot;
  }

  /** The cached snapshot, or the one being built, or a new build started now. */
  load(key: string, build: () => Promise<Snapshot>): Promise<Snapshot> {
    const found = this.get(key);
    if (found) return Promise.resolve(found);
    let pending = this.building.get(key);
    if (!pending) {
      pending = build().then(
        (snapshot) => {
          this.building.delete(key);
          this.ready.set(key, snapshot);
          this.trim(key);
          return snapshot;
        },
        (err: unknown) => {
          this.building.delete(key);
          throw err;
        },
      );
      this.building.set(key, pending);
    }
    return pending;
  }

  /** Drops least recently used snapshots until the pool fits the budget (never `keep`). */
  trim(keep?: string): void {
    for (const [key, snapshot] of this.ready) {
      if (this.pool.bytes <= this.budget) return;
      if (key === keep) continue;
      this.ready.delete(key);
      snapshot.release();
    }
  }

  /** Forgets every snapshot whose key starts with `prefix` (a removed or moved repo). */
  dropPrefix(prefix: string): void {
    for (const [key, snapshot] of this.ready) {
      if (!key.startsWith(prefix)) continue;
      this.ready.delete(key);
      snapshot.release();
    }
  }

  get size(): number {
    return this.ready.size;
  }

  get bytes(): number {
    return this.pool.bytes;
  }
}
