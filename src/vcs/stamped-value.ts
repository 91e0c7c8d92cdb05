import type { RefsStamp } from './refs-stamp.js';

/**
 * One value derived from a repository's refs (its branches, tags and labels), read again only
 * when the refs stamp changes or `clear` is called (a push event). Concurrent readers under one
 * stamp share one read. A value read under an unsettled stamp, or while the stamp moved, is
 * returned but not kept.
 */
export class StampedValue<T> {
  private cached: { readonly stamp: string; readonly value: T } | undefined;
  private loading: { readonly stamp: string; readonly work: Promise<T> } | undefined;
  /** Moves on every `clear`: a read that started before it is not kept. */
  private epoch = 0;

  constructor(private readonly stamp: () => RefsStamp) {}

  /**
   * The value, and the stamp it belongs to as a generation key for caches derived from it; the
   * generation is undefined when the value may already be stale (read under an unsettled stamp):
   * derive nothing cacheable from it then.
   */
  async get(load: () => Promise<T>): Promise<{ value: T; generation: string | undefined }> {
    const before = this.stamp();
    if (this.cached?.stamp === before.value) return { value: this.cached.value, generation: before.value };
    if (this.loading?.stamp === before.value) return { value: await this.loading.work, generation: undefined };
    const epoch = this.epoch;
    const work = load();
    const loading = { stamp: before.value, work };
    this.loading = loading;
    try {
      const value = await work;
      const keep = before.settled && epoch === this.epoch && this.stamp().value === before.value;
      if (keep) this.cached = { stamp: before.value, value };
      return { value, generation: keep ? before.value : undefined };
    } finally {
      if (this.loading === loading) this.loading = undefined;
    }
  }

  /** Forgets the value (the repository changed). */
  clear(): void {
    this.cached = undefined;
    this.loading = undefined;
    this.epoch++;
  }
}
