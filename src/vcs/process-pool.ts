/** A long-lived helper process bound to one repository (a command server, a cat-file). */
export interface PooledProcess {
  readonly alive: boolean;
  readonly lastUsed: number;
  close(): void;
}

/**
 * A least-recently-used pool of long-lived processes, one per repository directory. Idle ones
 * are closed after `idleMs`; the least recently used one goes when the pool is full; a dead one
 * is replaced on the next use.
 */
export class ProcessPool<T extends PooledProcess> {
  private readonly entries = new Map<string, T>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly start: (repoDir: string) => T,
    private readonly max = 16,
    private readonly idleMs = 5 * 60_000,
  ) {
    this.timer = setInterval(() => this.sweep(), Math.min(idleMs, 60_000));
    this.timer.unref();
  }

  /** The process for `repoDir`, started on first use. */
  get(repoDir: string): T {
    let entry = this.entries.get(repoDir);
    if (entry && !entry.alive) entry = undefined;
    this.entries.delete(repoDir);
    if (!entry) {
      while (this.entries.size >= this.max) {
        const [oldest, p] = this.entries.entries().next().value as [string, T];
        this.entries.delete(oldest);
        p.close();
      }
      entry = this.start(repoDir);
    }
    this.entries.set(repoDir, entry);
    return entry;
  }

  /** Forgets the process of a removed or moved repository. */
  drop(repoDir: string): void {
    this.entries.get(repoDir)?.close();
    this.entries.delete(repoDir);
  }

  close(): void {
    clearInterval(this.timer);
    for (const p of this.entries.values()) p.close();
    this.entries.clear();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [dir, p] of this.entries) {
      if (now - p.lastUsed > this.idleMs || !p.alive) {
        p.close();
        this.entries.delete(dir);
      }
    }
  }
}
