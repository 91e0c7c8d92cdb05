import type { GrantLevel } from '../domain/access-level.js';
import type { PublicKey } from '../domain/public-key.js';
import type { RepoKind } from '../domain/repo-kind.js';
import type { RepoPath } from '../domain/repo-path.js';
import type { UserName } from '../domain/user-name.js';
import type { CommitStatusStore, RepoDescriptionStore } from './repo-meta.js';
import type { SessionStore } from './sessions.js';

export interface User {
  readonly id: number;
  readonly name: UserName;
  readonly isAdmin: boolean;
  readonly createdAt: string;
}

export type KeyOwner =
  | { readonly kind: 'user'; readonly user: User }
  | { readonly kind: 'deploy'; readonly repo: Repo; readonly write: boolean };

export interface SshKey {
  readonly id: number;
  readonly type: string;
  readonly fingerprint: string;
  readonly comment: string;
  /** The key in SSH wire format (for `/USER.keys` and the API's key listings). */
  readonly blob: Buffer;
  readonly owner: KeyOwner;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
}

export interface Repo {
  readonly id: number;
  readonly path: RepoPath;
  readonly kind: RepoKind;
  readonly isPublic: boolean;
  readonly createdAt: string;
}

export interface Grant {
  readonly user: UserName;
  readonly userId: number;
  /** The repo a grant on one repo belongs to (its id: it follows renames); null for a group grant. */
  readonly repoId: number | null;
  /** The repo's current path, or a group prefix ending in `/`. */
  readonly target: string;
  readonly level: GrantLevel;
}

export interface Token {
  readonly id: number;
  readonly userId: number;
  readonly readOnly: boolean;
  readonly label: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  /** ISO date after which the token is refused; null: it never expires. */
  readonly expiresAt: string | null;
}

export interface UserStore {
  create(name: UserName, options: { admin: boolean }): Promise<User>;
  byName(name: string): Promise<User | undefined>;
  byId(id: number): Promise<User | undefined>;
  list(): Promise<User[]>;
  count(): Promise<number>;
  remove(name: UserName): Promise<void>;
  setAdmin(name: UserName, admin: boolean): Promise<void>;
  setPasswordHash(userId: number, hash: string | null): Promise<void>;
  passwordHash(userId: number): Promise<string | null>;
}

export interface KeyStore {
  addUserKey(userId: number, key: PublicKey): Promise<SshKey>;
  addDeployKey(repoId: number, key: PublicKey, write: boolean): Promise<SshKey>;
  /** The key presented in SSH authentication, by its wire-format blob. */
  byBlob(blob: Buffer): Promise<SshKey | undefined>;
  listForUser(userId: number): Promise<SshKey[]>;
  listForRepo(repoId: number): Promise<SshKey[]>;
  removeUserKey(userId: number, fingerprint: string): Promise<void>;
  removeDeployKey(repoId: number, fingerprint: string): Promise<void>;
  touch(id: number): Promise<void>;
}

export interface RepoStore {
  /** Throws ConflictError FERRY_REPO_EXISTS when a repo's path differs from `path` only in case. */
  create(path: RepoPath, kind: RepoKind, options: { isPublic: boolean }): Promise<Repo>;
  /** The repo at `path`, matched without regard to case (it keeps the case it was created with). */
  byPath(path: RepoPath): Promise<Repo | undefined>;
  /** The repo that was moved away from `path` (by `rename`), while no repo has been created there. */
  movedFrom(path: RepoPath): Promise<Repo | undefined>;
  byId(id: number): Promise<Repo | undefined>;
  list(): Promise<Repo[]>;
  /** A repo at `path`, inside it (`path/...`), or containing it (a prefix of `path`). */
  overlapping(path: RepoPath): Promise<Repo | undefined>;
  remove(path: RepoPath): Promise<void>;
  /** Moves the repo (its id, so its grants, keys and mirror go along) and leaves a redirect at `from`. */
  rename(from: RepoPath, to: RepoPath): Promise<Repo>;
  setPublic(path: RepoPath, isPublic: boolean): Promise<Repo>;
}

export interface GrantStore {
  /**
   * Grants `level` on `target`: a repo path (resolved, without regard to case, to the repo's id;
   * throws NotFoundError FERRY_REPO_NOT_FOUND when no repo is there) or a group prefix ending in `/`.
   */
  set(userId: number, target: string, level: GrantLevel): Promise<void>;
  remove(userId: number, target: string): Promise<boolean>;
  forUser(userId: number): Promise<Grant[]>;
  list(): Promise<Grant[]>;
}

export interface TokenStore {
  create(userId: number, hash: string, options: { readOnly: boolean; label: string; expiresAt?: Date | null }): Promise<Token>;
  byHash(hash: string): Promise<Token | undefined>;
  listForUser(userId: number): Promise<Token[]>;
  remove(userId: number, id: number): Promise<void>;
  touch(id: number): Promise<void>;
}

/** A pull mirror: a repo kept in sync with a source. Secrets stay sealed (src/mirrors/secret-box.ts). */
export interface Mirror {
  readonly repo: Repo;
  readonly url: string;
  readonly intervalMs: number;
  readonly allowForce: boolean;
  readonly sealedCredentials: string | null;
  readonly sealedWebhookSecret: string;
  readonly lastAttemptAt: string | null;
  readonly lastSuccessAt: string | null;
  readonly lastError: string | null;
  /** Consecutive failed syncs (drives the back-off). */
  readonly failures: number;
  /** Epoch milliseconds. */
  readonly nextRunAt: number;
  readonly createdAt: string;
}

export interface MirrorStore {
  create(
    repoId: number,
    mirror: { url: string; intervalMs: number; allowForce: boolean; sealedCredentials: string | null; sealedWebhookSecret: string; nextRunAt: number },
  ): Promise<void>;
  byRepoId(repoId: number): Promise<Mirror | undefined>;
  list(): Promise<Mirror[]>;
  /** Mirrors whose next run is at or before `now`. */
  due(now: number): Promise<Mirror[]>;
  recordSuccess(repoId: number, at: string, nextRunAt: number): Promise<void>;
  recordFailure(repoId: number, at: string, error: string, nextRunAt: number): Promise<void>;
  setWebhookSecret(repoId: number, sealed: string): Promise<void>;
  /** A new sync interval, and the next run it implies (epoch milliseconds). */
  setInterval(repoId: number, intervalMs: number, nextRunAt: number): Promise<void>;
  remove(repoId: number): Promise<boolean>;
}

/** Mercurial phase setting per repo (`ferry repo set PATH --publishing|--non-publishing`). */
export interface HgPhaseStore {
  /** True unless the repo was set non-publishing (hg's default is publishing). */
  publishing(repoId: number): Promise<boolean>;
  setPublishing(repoId: number, publishing: boolean): Promise<void>;
  /** Ids of the repos set non-publishing. */
  nonPublishing(): Promise<number[]>;
}

/** Everything persistent except repository contents. One per process; closed on shutdown. */
export interface Stores {
  readonly users: UserStore;
  readonly keys: KeyStore;
  readonly repos: RepoStore;
  readonly grants: GrantStore;
  readonly tokens: TokenStore;
  readonly mirrors: MirrorStore;
  readonly sessions: SessionStore;
  readonly hgPhases: HgPhaseStore;
  /** CI statuses of commits (REST API). */
  readonly commitStatuses: CommitStatusStore;
  readonly repoDescriptions: RepoDescriptionStore;
  readonly webhooks: WebhookStore;
  close(): void;
}

/** The events a hook may subscribe to (Gitea's names). */
export type WebhookEvent = 'push' | 'create' | 'delete' | 'repository';

/** An outbound webhook of one repo (by id: it moves with the repo and dies with it). */
export interface Webhook {
  readonly id: number;
  readonly repoId: number;
  readonly url: string;
  /** Sealed with the data dir's secret box; '' when the hook has no secret. */
  readonly sealedSecret: string;
  readonly events: readonly WebhookEvent[];
  readonly active: boolean;
  /** Consecutive failed deliveries. */
  readonly failures: number;
  /** Set when too many deliveries failed in a row; no delivery is attempted while set. */
  readonly disabledAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** One POST of one event to one hook: queued, attempted, and kept with what was sent and answered. */
export interface WebhookDelivery {
  readonly id: number;
  readonly hookId: number;
  /** The UUID sent as X-GitHub-Delivery / X-Gitea-Delivery. */
  readonly guid: string;
  readonly event: string;
  /** The JSON body, exactly as signed and sent. */
  readonly payload: string;
  readonly state: DeliveryState;
  readonly attempts: number;
  /** Epoch milliseconds of the next attempt (pending deliveries). */
  readonly nextAttemptAt: number;
  readonly redeliveryOf: number | null;
  readonly requestHeaders: Readonly<Record<string, string>> | null;
  readonly responseStatus: number | null;
  readonly responseHeaders: Readonly<Record<string, string>> | null;
  /** Truncated. */
  readonly responseBody: string | null;
  readonly error: string | null;
  readonly durationMs: number | null;
  readonly createdAt: string;
  readonly deliveredAt: string | null;
}

/** What one attempt at a delivery gave. */
export interface DeliveryAttempt {
  readonly requestHeaders: Readonly<Record<string, string>>;
  readonly responseStatus: number | null;
  readonly responseHeaders: Readonly<Record<string, string>> | null;
  readonly responseBody: string | null;
  readonly error: string | null;
  readonly durationMs: number;
}

export interface WebhookStore {
  create(repoId: number, hook: { url: string; sealedSecret: string; events: readonly WebhookEvent[]; active: boolean }): Promise<Webhook>;
  byId(id: number): Promise<Webhook | undefined>;
  listForRepo(repoId: number): Promise<Webhook[]>;
  /** Changes what is given; a change re-enables a disabled hook and clears its failure count. */
  update(id: number, changes: { url?: string; sealedSecret?: string; events?: readonly WebhookEvent[]; active?: boolean }): Promise<Webhook>;
  remove(id: number): Promise<boolean>;
  enqueue(hookId: number, delivery: { guid: string; event: string; payload: string; nextAttemptAt: number; redeliveryOf?: number }): Promise<WebhookDelivery>;
  delivery(id: number): Promise<WebhookDelivery | undefined>;
  /** Newest first. */
  deliveries(hookId: number, options: { limit: number; offset: number }): Promise<WebhookDelivery[]>;
  /** Pending deliveries due at or before `now` (epoch ms), oldest first. */
  due(now: number, limit: number): Promise<WebhookDelivery[]>;
  /** Epoch ms of the earliest pending delivery, if any. */
  nextDue(): Promise<number | undefined>;
  /**
   * Records an attempt. `outcome` 'delivered' resets the hook's failure count (and re-enables
   * it); 'retry' keeps the delivery pending until `nextAttemptAt`; 'failed' ends it. Every
   * non-delivered outcome counts one consecutive failure; at `disableAfter` the hook is disabled.
   */
  recordAttempt(id: number, attempt: DeliveryAttempt, outcome: { state: 'delivered' } | { state: 'retry'; nextAttemptAt: number } | { state: 'failed' }, disableAfter: number): Promise<void>;
}
