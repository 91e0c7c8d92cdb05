import { createRequire } from 'node:module';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Db } from '../db/database.js';
import type { SqliteDatabase } from '../db/sqlite.js';
import { FerryError } from '../domain/errors.js';

/** One sign-in attempt with a password (or a guessed token): which account, from which address. */
export interface LoginAttempt {
  /** The user name given, as typed (counted without regard to case); '' when none. */
  readonly account: string;
  readonly address: string;
}

export interface LoginLimits {
  /** Failures allowed per account and address pair, per account, and per address, within `windowSeconds`. */
  readonly perPair: number;
  readonly perAccount: number;
  readonly perAddress: number;
  readonly windowSeconds: number;
}

/** OWASP's advice, roughly: a handful of guesses per pair, a few more per account or address, per 15 minutes. */
export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perPair: 10, perAccount: 30, perAddress: 30, windowSeconds: 15 * 60 };

/** The table (migration 6) where the counts live, shared by the primary and every CDN worker process. */
export const LOGIN_FAILURES_TABLE = 'login_failures';

/** How long a successful sign-in makes an address "known" for that account. */
const KNOWN_SECONDS = 30 * 86_400;

/**
 * Slows down password and token guessing, with counts kept by `rate-limiter-flexible` in one
 * store that every process shares (the SQLite database, so the CDN workers and the primary count
 * together; a PostgreSQL store when nodes share one). Failures are counted per account (from
 * anywhere), per address (against any account) and per account and address pair; they expire
 * with the window and are never reset by a success, anyone's. A password attempt is refused
 * (FERRY_RATE_LIMITED, without checking the password) when its pair reached its limit, or when
 * its account or its address did, unless this account signed in successfully from this address
 * before: so one account's guesses never lock out another account's valid credentials from a
 * shared address, nor the account's owner from where they usually sign in. Valid tokens are never
 * limited (they are checked before this limiter is asked).
 */
export class FailedLoginLimiter {
  private counters: { pair: RateLimiterAbstract; account: RateLimiterAbstract; address: RateLimiterAbstract; known: RateLimiterAbstract } | undefined;

  constructor(
    private readonly make: (options: { keyPrefix: string; points: number; duration: number }) => RateLimiterAbstract,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
    /** Drops expired counts now and then (a store without expiry of its own). */
    private readonly sweep: () => void = () => {},
  ) {}

  /**
   * The four counts, made on the first sign-in that asks: admin commands build an App with a
   * limiter and never ask, so they never load rate-limiter-flexible.
   */
  private get c(): NonNullable<FailedLoginLimiter['counters']> {
    if (!this.counters) {
      const { make, limits } = this;
      const duration = limits.windowSeconds;
      this.counters = {
        pair: make({ keyPrefix: 'pair', points: limits.perPair, duration }),
        account: make({ keyPrefix: 'account', points: limits.perAccount, duration }),
        address: make({ keyPrefix: 'address', points: limits.perAddress, duration }),
        known: make({ keyPrefix: 'known', points: Number.MAX_SAFE_INTEGER, duration: KNOWN_SECONDS }),
      };
    }
    return this.counters;
  }

  /** Counts in the given database (the `login_failures` table of migration 6), shared by every process that opens it. */
  static onSqlite(db: SqliteDatabase, limits: LoginLimits = DEFAULT_LOGIN_LIMITS): FailedLoginLimiter {
    return new FailedLoginLimiter(
      (o) => new (rateLimiters().RateLimiterSQLite)({ ...o, storeClient: db, storeType: 'better-sqlite3', tableName: LOGIN_FAILURES_TABLE, tableCreated: true }),
      limits,
      () => db.prepare(`DELETE FROM ${LOGIN_FAILURES_TABLE} WHERE expire IS NOT NULL AND expire < ?`).run(Date.now()),
    );
  }

  /**
   * Counts in PostgreSQL (the `login_failures` table, in RateLimiterPostgres's shape), shared by
   * every node using the database. Queries wait for the schema to be migrated (Db.q).
   */
  static onPostgres(db: Db, limits: LoginLimits = DEFAULT_LOGIN_LIMITS): FailedLoginLimiter {
    const pool = db.pool;
    if (!pool) throw new Error('FailedLoginLimiter.onPostgres needs a PostgreSQL database');
    const client = { query: async (q: { text: string; values?: unknown[]; name?: string }) => (await db.q(), pool.query(q)) };
    return new FailedLoginLimiter(
      (o) => new (rateLimiters().RateLimiterPostgres)({ ...o, storeClient: client, storeType: 'pool', tableName: LOGIN_FAILURES_TABLE, tableCreated: true, clearExpiredByTimeout: false }),
      limits,
      () => void client.query({ text: `DELETE FROM ${LOGIN_FAILURES_TABLE} WHERE expire IS NOT NULL AND expire < $1`, values: [Date.now()] }).catch(() => {}),
    );
  }

  /** Counts in the database `db` is on, SQLite or PostgreSQL. */
  static onDatabase(db: Db, limits: LoginLimits = DEFAULT_LOGIN_LIMITS): FailedLoginLimiter {
    return db.sqlite ? FailedLoginLimiter.onSqlite(db.sqlite, limits) : FailedLoginLimiter.onPostgres(db, limits);
  }

  /** Counts in this process only (unit tests, tools). */
  static inMemory(limits: LoginLimits = DEFAULT_LOGIN_LIMITS): FailedLoginLimiter {
    return new FailedLoginLimiter((o) => new (rateLimiters().RateLimiterMemory)(o), limits);
  }

  /** Throws FerryError FERRY_RATE_LIMITED (data.retryAfter in seconds) when the attempt may not be evaluated. */
  async check(attempt: LoginAttempt): Promise<void> {
    const keys = keysOf(attempt);
    const [pair, account, address] = await Promise.all([this.c.pair.get(keys.pair), this.c.account.get(keys.account), this.c.address.get(keys.address)]);
    const over = (res: typeof pair, limit: number) => (res !== null && res.consumedPoints >= limit ? res.msBeforeNext : 0);
    let waitMs = over(pair, this.limits.perPair);
    const wider = Math.max(over(account, this.limits.perAccount), over(address, this.limits.perAddress));
    if (wider > 0 && (await this.c.known.get(keys.pair)) === null) waitMs = Math.max(waitMs, wider);
    if (waitMs > 0) {
      const wait = Math.max(1, Math.ceil(waitMs / 1000));
      throw new FerryError('FERRY_RATE_LIMITED', `too many failed sign-ins; try again in ${wait}s (a token keeps working)`, { data: { retryAfter: wait } });
    }
  }

  async fail(attempt: LoginAttempt): Promise<void> {
    const keys = keysOf(attempt);
    await Promise.all([this.c.pair.penalty(keys.pair, 1), this.c.account.penalty(keys.account, 1), this.c.address.penalty(keys.address, 1)]);
    // Guessed names make new keys: about one failure in a hundred sweeps out the expired ones.
    if (Math.random() < 0.01) this.sweep();
  }

  /** Remembers that this account signs in from this address; clears no count. */
  async succeed(attempt: LoginAttempt): Promise<void> {
    await this.c.known.penalty(keysOf(attempt).pair, 1);
  }
}

/** rate-limiter-flexible, loaded when the first count is made. */
function rateLimiters(): typeof import('rate-limiter-flexible') {
  return createRequire(import.meta.url)('rate-limiter-flexible') as typeof import('rate-limiter-flexible');
}

function keysOf(attempt: LoginAttempt): { pair: string; account: string; address: string } {
  const account = attempt.account.slice(0, 100).toLowerCase();
  return { pair: `${account}|${attempt.address}`, account, address: attempt.address };
}
