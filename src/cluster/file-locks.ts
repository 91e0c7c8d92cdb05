import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { FerryError } from '../domain/errors.js';
import type { Logger } from '../log/logger.js';
import { LocalLocks, type ClusterLocks } from './locks.js';

export interface FileLockTiming {
  /** A lock whose holder has not refreshed it for this long is stale and may be taken (ms). */
  readonly staleMs: number;
  /** The longest `withLock` waits before it gives up with FERRY_LOCK_TIMEOUT (ms). */
  readonly waitMs: number;
}

/** As hg waits for a repository lock (`ui.timeout`, 600 s), without its message on every wait. */
export const DEFAULT_FILE_LOCK_TIMING: FileLockTiming = { staleMs: 10_000, waitMs: 600_000 };

/**
 * Locks shared by every process on one data dir — the server, its CDN workers, and each `ferry`
 * command line — when the database is SQLite (one node, several processes). Without them a
 * `ferry repo mv` in a shell and the server's housekeeping of the same repo each held only their
 * own process's lock, and a job that started before the move wrote its caches back at the old path.
 *
 * Each key is a directory under `dir` made with mkdir(2), which is atomic on local file systems
 * (the scheme of proper-lockfile and git's own `.lock` files). The holder touches it every
 * `staleMs / 2`; a lock not touched for `staleMs` (its process died) is taken over. Locks still
 * held when the process exits are removed. Within this process callers queue in memory first
 * (LocalLocks), so only one of them polls the directory. With PostgreSQL, PgLocks plays this part
 * across nodes.
 *
 * Not proper-lockfile itself: it loads signal-exit, whose SIGTERM listener kills the process when
 * it finds itself the only listener left — which it is once `ferry serve`'s own `once('SIGTERM')`
 * listener has run, so a server that had taken a lock died by the signal instead of stopping
 * gracefully — and graceful-fs, which patches the process's `fs`.
 */
export class FileLocks implements ClusterLocks {
  private readonly local = new LocalLocks();

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
    private readonly timing: FileLockTiming = DEFAULT_FILE_LOCK_TIMING,
  ) {}

  /**
   * @throws FerryError (FERRY_LOCK_TIMEOUT) when another process holds `key` for longer than `waitMs`
   */
  withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.local.withLock(key, async () => {
      const release = await this.acquire(key, true);
      try {
        return await work();
      } finally {
        await release();
      }
    });
  }

  async tryWithLock<T>(key: string, work: () => Promise<T>): Promise<{ readonly ran: true; readonly value: T } | { readonly ran: false }> {
    const outer = await this.local.tryWithLock(key, async (): Promise<{ readonly ran: true; readonly value: T } | { readonly ran: false }> => {
      const release = await this.acquire(key, false);
      if (!release) return { ran: false };
      try {
        return { ran: true, value: await work() };
      } finally {
        await release();
      }
    });
    return outer.ran ? outer.value : { ran: false };
  }

  /**
   * @throws FerryError (FERRY_LOCK_TIMEOUT) when another process holds `key` exclusively for longer than `waitMs`
   */
  withSharedLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.local.withSharedLock(key, async () => {
      const release = await this.acquireShared(key);
      try {
        return await work();
      } finally {
        await release();
      }
    });
  }

  async close(): Promise<void> {
    await this.local.close();
  }

  private paths(key: string): { lock: string; shared: string } {
    // Names from any key (repo paths hold slashes); the key itself is in the log lines.
    const base = join(this.dir, createHash('sha256').update(key).digest('hex').slice(0, 32));
    return { lock: `${base}.lock`, shared: `${base}.shared` };
  }

  /**
   * A shared hold: an entry of its own in the key's `.shared` directory, made only while no
   * exclusive lock directory exists — checked again after the entry is made, so an exclusive
   * caller that made its lock meanwhile sees the entry, or this caller sees its lock and backs off.
   */
  private async acquireShared(key: string): Promise<() => Promise<void>> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const { lock, shared } = this.paths(key);
    const started = Date.now();
    for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
      if (!this.heldByOther(lock, key)) {
        mkdirSync(shared, { recursive: true });
        const entry = join(shared, `${process.pid}-${++entries}`);
        mkdirSync(entry);
        if (!this.heldByOther(lock, key)) return this.hold(entry, key);
        rmdirSync(entry);
      }
      if (Date.now() - started >= this.timing.waitMs) throw this.timeout(key);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /** Whether a live exclusive lock directory exists (a stale one is removed). */
  private heldByOther(lock: string, key: string): boolean {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(lock).mtimeMs;
    } catch {
      return false;
    }
    if (Date.now() - mtimeMs < this.timing.staleMs) return true;
    this.log.warn({ key, lock }, 'taking over a lock its process stopped holding (it died?)');
    try {
      rmdirSync(lock);
    } catch {
      // taken over by another process meanwhile
    }
    return false;
  }

  /** Whether live shared entries remain in `shared` (stale ones are removed). */
  private sharedHeld(shared: string): boolean {
    let names: string[];
    try {
      names = readdirSync(shared);
    } catch {
      return false;
    }
    let live = false;
    for (const name of names) {
      const entry = join(shared, name);
      try {
        if (Date.now() - statSync(entry).mtimeMs < this.timing.staleMs) live = true;
        else rmdirSync(entry);
      } catch {
        // released meanwhile
      }
    }
    return live;
  }

  /** The lock's release function; undefined when `wait` is false and another process holds it. */
  private async acquire(key: string, wait: true): Promise<() => Promise<void>>;
  private async acquire(key: string, wait: false): Promise<(() => Promise<void>) | undefined>;
  private async acquire(key: string, wait: boolean): Promise<(() => Promise<void>) | undefined> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const { lock, shared } = this.paths(key);
    const { waitMs } = this.timing;
    const started = Date.now();
    for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
      // Made now, or made again after a stale one (its process died) was removed.
      if (tryMkdir(lock) || (!this.heldByOther(lock, key) && tryMkdir(lock))) {
        const release = this.hold(lock, key);
        // Held: no new shared holder starts now; wait for those in flight (pushes) to end.
        for (let wait2 = 20; this.sharedHeld(shared); wait2 = Math.min(wait2 * 2, 500)) {
          if (!wait || Date.now() - started >= waitMs) {
            await release();
            if (!wait) return undefined;
            throw this.timeout(key);
          }
          await new Promise((resolve) => setTimeout(resolve, wait2));
        }
        return release;
      }
      if (!wait) return undefined;
      if (Date.now() - started >= waitMs) throw this.timeout(key);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  private timeout(key: string): FerryError {
    return new FerryError('FERRY_LOCK_TIMEOUT', `another Ferry process has held ${key} for over ${Math.round(this.timing.waitMs / 1000)} s; try again when its work (a push, a move, housekeeping, an import) is done`, { data: { key } });
  }

  /** Keeps `lock` fresh until released; removed at exit too. */
  private hold(lock: string, key: string): () => Promise<void> {
    held.add(lock);
    const timer = setInterval(() => {
      const now = new Date();
      try {
        utimesSync(lock, now, now);
      } catch (err) {
        this.log.warn({ err, key }, 'a held lock went away (taken over as stale?)');
      }
    }, this.timing.staleMs / 2);
    timer.unref();
    return async () => {
      clearInterval(timer);
      held.delete(lock);
      try {
        rmdirSync(lock);
      } catch (err) {
        this.log.warn({ err, key }, 'could not release a lock; it is taken over when stale');
      }
    };
  }
}

/** Shared entries made by this process so far (their names). */
let entries = 0;

/** Lock directories this process holds: removed if it exits holding them. */
const held = new Set<string>();
process.on('exit', () => {
  for (const lock of held) {
    try {
      rmdirSync(lock);
    } catch {
      // gone already
    }
  }
});

/** mkdir(2) of `path`: true when this call made it, false when it exists. */
function tryMkdir(path: string): boolean {
  try {
    mkdirSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}
