/**
 * A least-recently-used map bounded by the total size of its values (bytes, as `sizeOf`
 * estimates them), for what a commit id makes immutable: blame per (commit, path), tree
 * listings, logs from a commit. A value larger than a quarter of the budget is never kept (one
 * huge file must not flush everything else).
 */
export class SizedLru<V> {
  private readonly entries = new Map<string, { value: V; size: number }>();
  private readonly inFlight = new Map<string, Promise<V>>();
  private total = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly sizeOf: (value: V) => number,
  ) {}

  /** Bytes held now (the sum of `sizeOf` over the entries). */
  get size(): number {
    return this.total;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V): void {
    const size = this.sizeOf(value);
    this.delete(key);
    if (size > this.maxBytes / 4) return;
    this.entries.set(key, { value, size });
    this.total += size;
    while (this.total > this.maxBytes) {
      const [oldest, entry] = this.entries.entries().next().value as [string, { value: V; size: number }];
      this.entries.delete(oldest);
      this.total -= entry.size;
    }
  }

  delete(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.total -= old.size;
  }

  /** Forgets every entry whose key starts with `prefix` (a repository that was pushed to, moved or removed). */
  deletePrefix(prefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.delete(key);
  }

  /**
   * The cached value, or computes, stores and returns it. Concurrent callers for one key share
   * one computation (ten visitors of a cold blame page start one `git blame`, not ten). A
   * rejected computation is not kept. `keep(value) === false` returns the value without storing it.
   */
  through(key: string, compute: () => Promise<V>, keep: (value: V) => boolean = () => true): Promise<V> {
    const hit = this.get(key);
    if (hit !== undefined) return Promise.resolve(hit);
    const running = this.inFlight.get(key);
    if (running) return running;
    const work = compute()
      .then((value) => {
        if (keep(value)) this.set(key, value);
        return value;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, work);
    return work;
  }
}

/** Approximate bytes a string takes in V8's heap (UTF-16 code units, plus the object header). */
export function stringBytes(s: string): number {
  return 2 * s.length + 16;
}
