import type { Snapshot } from './snapshot.js';

/**
 * Snapshots (file indexes, not contents) by `repoId:commit`, least recently used first out when
 * their indexes take more than `budget` bytes. Concurrent requests for a snapshot being built
 * share that one build.
 */
export class SnapshotCache {
  /** Map iteration order is insertion order: re-inserting on use keeps the LRU at the front. */
  private readonly ready = new Map<string, Snapshot>();
  private readonly building = new Map<string, Promise<Snapshot>>();
  private total = 0;
  /** Lookups answered from memory (held or being built by another request) and builds started (for /metrics). */
  hits = 0;
  misses = 0;

  constructor(private readonly budget: number) {}

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
    if (found) {
      this.hits++;
      return Promise.resolve(found);
    }
    let pending = this.building.get(key);
    if (pending) this.hits++;
    else {
      this.misses++;
      pending = build().then(
        (snapshot) => {
          this.building.delete(key);
          this.drop(key);
          this.ready.set(key, snapshot);
          this.total += snapshot.indexBytes;
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

  /** Drops least recently used snapshots until their indexes fit the budget (never `keep`). */
  trim(keep?: string): void {
    for (const key of this.ready.keys()) {
      if (this.total <= this.budget) return;
      if (key !== keep) this.drop(key);
    }
  }

  /** Forgets the snapshot at `key`, if held. */
  drop(key: string): void {
    const snapshot = this.ready.get(key);
    if (!snapshot) return;
    this.ready.delete(key);
    this.total -= snapshot.indexBytes;
  }

  /** Forgets every snapshot whose key starts with `prefix` (a removed or moved repo). */
  dropPrefix(prefix: string): void {
    for (const key of this.ready.keys()) if (key.startsWith(prefix)) this.drop(key);
  }

  get size(): number {
    return this.ready.size;
  }

  /** Bytes the held indexes take (an estimate). */
  get bytes(): number {
    return this.total;
  }
}
