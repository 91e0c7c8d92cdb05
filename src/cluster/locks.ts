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
  /**
   * Runs `work` holding `key` shared, waiting for it first: any number of shared holders at once,
   * none while someone holds it exclusively (`withLock`). For pushes: they run side by side, and a
   * move or removal of their repo waits for them all.
   */
  withSharedLock<T>(key: string, work: () => Promise<T>): Promise<T>;
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

interface Waiter {
  readonly shared: boolean;
  readonly grant: () => void;
}

interface KeyState {
  readers: number;
  writer: boolean;
  readonly queue: Waiter[];
}

/**
 * One process: a readers-writer lock per key, first come first served (a waiting exclusive
 * caller holds back shared callers that come after it, so a move is not starved by pushes).
 */
export class LocalLocks implements ClusterLocks {
  private readonly states = new Map<string, KeyState>();
  private readonly running = new Set<Promise<unknown>>();

  withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.run(key, false, work);
  }

  withSharedLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.run(key, true, work);
  }

  async tryWithLock<T>(key: string, work: () => Promise<T>): Promise<{ readonly ran: true; readonly value: T } | { readonly ran: false }> {
    if (this.states.has(key)) return { ran: false };
    return { ran: true, value: await this.withLock(key, work) };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private async run<T>(key: string, shared: boolean, work: () => Promise<T>): Promise<T> {
    await this.acquire(key, shared);
    const running = (async () => {
      try {
        return await work();
      } finally {
        this.release(key, shared);
      }
    })();
    this.running.add(running);
    try {
      return await running;
    } finally {
      this.running.delete(running);
    }
  }

  private acquire(key: string, shared: boolean): Promise<void> {
    let state = this.states.get(key);
    if (!state) {
      state = { readers: 0, writer: false, queue: [] };
      this.states.set(key, state);
    }
    if (state.queue.length === 0 && !state.writer && (shared || state.readers === 0)) {
      if (shared) state.readers++;
      else state.writer = true;
      return Promise.resolve();
    }
    const s = state;
    return new Promise((resolve) => s.queue.push({ shared, grant: resolve }));
  }

  private release(key: string, shared: boolean): void {
    const state = this.states.get(key);
    if (!state) return;
    if (shared) state.readers--;
    else state.writer = false;
    for (let next = state.queue[0]; next; next = state.queue[0]) {
      if (state.writer || (!next.shared && state.readers > 0)) break;
      state.queue.shift();
      if (next.shared) state.readers++;
      else state.writer = true;
      next.grant();
      if (!next.shared) break;
    }
    if (!state.writer && state.readers === 0 && state.queue.length === 0) this.states.delete(key);
  }
}
