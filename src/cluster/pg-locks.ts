import type pg from 'pg';
import { loadPg } from '../db/pg-module.js';
import type { Logger } from '../log/logger.js';
import { LocalLocks, type ClusterLocks } from './locks.js';
import type { NodeIdentity } from './node.js';

/**
 * PostgreSQL advisory locks (session level, PostgreSQL manual §13.3.5 "Advisory Locks"), keyed by
 * `hashtextextended(key, 0)`. Each held lock keeps one pooled connection for its duration: if the
 * node dies, PostgreSQL ends the session and the lock is free for the next node. Within one
 * process, waiters queue in memory first, so a waiting caller holds no connection.
 */
export class PgLocks implements ClusterLocks {
  private readonly local = new LocalLocks();
  private readonly pool: pg.Pool;

  constructor(
    url: string,
    private readonly log: Logger,
    node: NodeIdentity,
    // Every push in flight holds one (its repo's lock, shared): room for many at once.
    maxConnections = 32,
  ) {
    // The node in application_name: an operator (or a test) finds who holds a lock in pg_stat_activity.
    this.pool = new (loadPg().Pool)({ connectionString: url, max: maxConnections, application_name: `ferry-locks ${node.id}`, idleTimeoutMillis: 5_000, allowExitOnIdle: true });
    // An idle pooled connection that fails (the database restarted) is dropped, not fatal.
    this.pool.on('error', (err) => this.log.warn({ err }, 'a lock connection to PostgreSQL failed'));
  }

  withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.local.withLock(key, () => this.holding(key, false, work));
  }

  withSharedLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.local.withSharedLock(key, () => this.holding(key, true, work));
  }

  /** Runs `work` holding the advisory lock `key` (shared or exclusive) on a connection of its own. */
  private async holding<T>(key: string, shared: boolean, work: () => Promise<T>): Promise<T> {
    const client = await this.checkout();
    let broken: Error | undefined;
    try {
      await client.query(shared ? 'SELECT pg_advisory_lock_shared(hashtextextended($1, 0))' : 'SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
      return await work();
    } finally {
      broken = await unlock(client, key, shared);
      client.release(broken);
    }
  }

  async tryWithLock<T>(key: string, work: () => Promise<T>): Promise<{ readonly ran: true; readonly value: T } | { readonly ran: false }> {
    const outer = await this.local.tryWithLock(key, async (): Promise<{ readonly ran: true; readonly value: T } | { readonly ran: false }> => {
      const client = await this.checkout();
      let held = false;
      let broken: Error | undefined;
      try {
        const r = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS held', [key]);
        held = r.rows[0]?.held === true;
        if (!held) return { ran: false };
        return { ran: true, value: await work() };
      } finally {
        if (held) broken = await unlock(client, key);
        client.release(broken);
      }
    });
    return outer.ran ? outer.value : { ran: false };
  }

  /**
   * A pooled connection that logs, instead of throwing out of the process, a failure while it is
   * held (the database restarted, the session was ended): the lock is gone with the session then.
   */
  private async checkout(): Promise<pg.PoolClient> {
    const client = await this.pool.connect();
    if (client.listenerCount('error') === 0) client.on('error', (err) => this.log.warn({ err }, 'a held lock connection to PostgreSQL failed; its locks are released'));
    return client;
  }

  async close(): Promise<void> {
    await this.local.close();
    await this.pool.end();
  }
}

/** Releases `key`; a connection that cannot say so is returned as broken (closing it frees the lock). */
async function unlock(client: pg.PoolClient, key: string, shared = false): Promise<Error | undefined> {
  try {
    await client.query(shared ? 'SELECT pg_advisory_unlock_shared(hashtextextended($1, 0))' : 'SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}
