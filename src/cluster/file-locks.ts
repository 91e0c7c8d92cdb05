import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as ProperLockfile from 'proper-lockfile';
import { FerryError } from '../domain/errors.js';
import type { Logger } from '../log/logger.js';
import { LocalLocks, type ClusterLocks } from './locks.js';

const require = createRequire(import.meta.url);
let lockfile: typeof ProperLockfile | undefined;

/** proper-lockfile, loaded on the first lock (most processes, a CDN worker's, never take one). */
function properLockfile(): typeof ProperLockfile {
  lockfile ??= require('proper-lockfile') as typeof ProperLockfile;
  return lockfile;
}

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
 * Each key is a lock directory under `dir` made with mkdir(2), which is atomic on local file
 * systems (proper-lockfile, the lock npm and others take). The holder refreshes its mtime every
 * `staleMs / 2`; a lock not refreshed for `staleMs` (its process died) is taken over. Within this
 * process callers queue in memory first (LocalLocks), so only one of them polls the directory.
 * With PostgreSQL, PgLocks plays this part across nodes.
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

  async close(): Promise<void> {
    await this.local.close();
  }

  /** The lock's release function; undefined when `wait` is false and another process holds it. */
  private async acquire(key: string, wait: true): Promise<() => Promise<void>>;
  private async acquire(key: string, wait: false): Promise<(() => Promise<void>) | undefined>;
  private async acquire(key: string, wait: boolean): Promise<(() => Promise<void>) | undefined> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    // A file name from any key (repo paths hold slashes); the key itself is in the log lines.
    const file = join(this.dir, createHash('sha256').update(key).digest('hex').slice(0, 32));
    const { staleMs, waitMs } = this.timing;
    const started = Date.now();
    for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
      try {
        const release = await properLockfile().lock(file, {
          realpath: false,
          stale: staleMs,
          update: staleMs / 2,
          // A lock this process could not refresh in time may have been taken over: say so, go on.
          onCompromised: (err) => this.log.warn({ err, key }, 'a lock was held past its stale time and may have been taken over'),
        });
        return async () => {
          await release().catch((err: unknown) => this.log.warn({ err, key }, 'could not release a lock; it frees itself when stale'));
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
        if (!wait) return undefined;
        if (Date.now() - started >= waitMs) {
          throw new FerryError('FERRY_LOCK_TIMEOUT', `another Ferry process has held ${key} for over ${Math.round(waitMs / 1000)} s; try again when its work (a push, housekeeping, an import) is done`, { data: { key } });
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
