/** Messages between `ferry serve` (the primary) and its CDN worker processes, over the IPC channel. */
import type { WorkerMemory } from '../../metrics/registry.js';
export type ToWorker =
  /** A connection whose first request is for /cdn; `head` holds the bytes already read. Comes with the socket handle. */
  | { readonly t: 'conn'; readonly head: string }
  /** A repo changed: reload its refs and rebuild what it serves, then answer `ack` with the same id. */
  | { readonly t: 'changed'; readonly id: number; readonly repoId: number }
  | { readonly t: 'removed'; readonly repoId: number }
  /** `[http] tls_cert`/`tls_key` were read again (SIGHUP) and checked: new connections get this pair. */
  | { readonly t: 'tls'; readonly cert: string; readonly key: string; readonly serial: string; readonly validTo: string };

export type FromWorker =
  | { readonly t: 'ready' }
  | { readonly t: 'ack'; readonly id: number }
  /** The worker saw a repo change that no event announced (a push straight into the directory). */
  | { readonly t: 'stale'; readonly repoId: number }
  /** The worker's CDN lookups so far (totals since it started) and its memory now, for the primary's /metrics. */
  | { readonly t: 'cdn-counts'; readonly hits: number; readonly misses: number; readonly memory?: WorkerMemory };


/** How the primary tells a worker where to send requests that are not for the CDN. */
export const PRIMARY_PORT_ENV = 'FERRY_INTERNAL_PRIMARY_PORT';
export const WORKER_BUDGET_ENV = 'FERRY_INTERNAL_CDN_MEMORY';
