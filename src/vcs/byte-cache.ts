/** A least-recently-used cache of immutable byte strings (diffs by commit id), bounded in total size. */
export class ByteCache {
  private readonly entries = new Map<string, Buffer>();
  private size = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): Buffer | undefined {
    const value = this.entries.get(key);
    if (value) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: Buffer): void {
    if (value.length > this.maxBytes / 4) return;
    const old = this.entries.get(key);
    if (old) {
      this.size -= old.length;
      this.entries.delete(key);
    }
    this.entries.set(key, value);
    this.size += value.length;
    while (this.size > this.maxBytes) {
      const [k, v] = this.entries.entries().next().value as [string, Buffer];
      this.entries.delete(k);
      this.size -= v.length;
    }
  }

  /** The cached value, or computes, stores and returns it. */
  async through(key: string, compute: () => Promise<Buffer>): Promise<Buffer> {
    const hit = this.get(key);
    if (hit) return hit;
    const value = await compute();
    this.set(key, value);
    return value;
  }
}
