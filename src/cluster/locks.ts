/**
 * Named locks for Ferry's own repository operations (create, rename, remove, import, clone-bundle
 * builds, housekeeping) and for claiming background jobs (a mirror sync, a webhook delivery).
 * On one node they are in-process; with PostgreSQL they are advisory locks (src/cluster/pg-locks.ts)
 * held by a database session, so a node that dies releases them with its connection.
 */
export interface ClusterLocks {
  /** Runs `work` holding the lock `key`, waiting for it first. The lock is released when `work` settles. */
  withLock<T>(key: string, work: () => Promise<T>): Promise<T>;
  /**
   * Runs `work` holding the lock `key` if no one (this node included) holds it now; `{ ran: false }`
   * otherwise, without waiting. For job claims: the holder does the job, the others skip it.
   */
  tryWithLock<T>(key: string, work: () => Promise<T>): Promise<{ readonly ran: true; readonly value: T } | { readonly ran: false }>;
  close(): Promise<void>;
}

/** The lock key of a repository path: paths are matched without regard to case (DESIGN.md). */
export function repoLockKey(path: string): string {
  return `repo:${path.toLowerCase()}`;
}

/**
 * The lock one node holds while it builds a repo's hg clone bundle: apart from repoLockKey, so a
 * build is never skipped because this very node is housekeeping the repo (which holds that one),
 * and only another node's build of the same bundle makes it step aside.
 */
export function cloneBundleLockKey(path: string): string {
  return `clone-bundle:${path.toLowerCase()}`;
}

/** One process: a promise chain per key. */
export class LocalLocks implements ClusterLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  async withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(work);
    this.tails.set(key, run);
    try {
      return await run;
    } finally {
      if (this.tails.get(key) === run) this.tails.delete(key);
    }
  }

  async tryWithLock<T>(key: string, work: () => Promise<T>): Promise<{ readonly ran: true; readonly value: T } | { readonly ran: false }> {
    if (this.tails.has(key)) return { ran: false };
    return { ran: true, value: await this.withLock(key, work) };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.tails.values()]);
  }
}
