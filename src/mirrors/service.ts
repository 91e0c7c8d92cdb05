import { repoLockKey, type ClusterLocks } from '../cluster/locks.js';
import type { RefWatcher } from '../events/ref-watch.js';
import { randomBytes } from 'node:crypto';
import { FerryError, describeError } from '../domain/errors.js';
import type { RepoPath } from '../domain/repo-path.js';
import type { RepoEvents } from '../events/repo-events.js';
import type { Logger } from '../log/logger.js';
import type { RepositoryService } from '../services/repositories.js';
import type { Mirror, MirrorStore, Repo, RepoStore } from '../store/types.js';
import type { SourceCredentials } from './access.js';
import { NO_PROGRESS, TransferProgress, type ProgressOutput } from './progress.js';
import type { SyncOutcome } from './remote.js';
import type { SecretBox } from './secret-box.js';
import type { Sources } from './sources.js';
import { parseImportUrl } from './url-safety.js';

const MAX_BACKOFF_MS = 24 * 3_600_000;

export interface MirrorSettings {
  readonly url: string;
  readonly intervalMs: number;
  readonly allowForce: boolean;
  readonly credentials: SourceCredentials;
}

/** Pull mirrors: registration, syncing (with back-off), webhook secrets. */
export class MirrorService {
  private readonly running = new Map<number, Promise<SyncOutcome | undefined>>();
  private readonly again = new Set<number>();
  private readonly shutdown = new AbortController();

  constructor(
    private readonly deps: {
      readonly store: MirrorStore;
      readonly repos: RepoStore;
      readonly repositories: RepositoryService;
      readonly events: RepoEvents;
      /** Reads refs before and after a sync, so the change event says which moved. */
      readonly refs: RefWatcher;
      readonly box: SecretBox;
      readonly sources: Sources;
      readonly log: Logger;
      /** Told of each failed sync (for /metrics). */
      readonly onSyncFailed?: () => void;
      /** Shared with the other nodes (src/cluster/locks.ts): each sync is claimed by one node. */
      readonly locks?: ClusterLocks;
    },
  ) {}

  /** Registers `repo` as a mirror; returns the webhook secret (shown once). */
  async create(repo: Repo, settings: MirrorSettings): Promise<string> {
    const secret = newSecret();
    const creds = settings.credentials;
    const stored: SourceCredentials = {
      ...(creds.sshKey !== undefined ? { sshKey: creds.sshKey } : {}),
      ...(creds.user !== undefined ? { user: creds.user } : {}),
      ...(creds.password !== undefined ? { password: creds.password } : {}),
    };
    await this.deps.store.create(repo.id, {
      url: settings.url,
      intervalMs: settings.intervalMs,
      allowForce: settings.allowForce,
      sealedCredentials: Object.keys(stored).length > 0 ? this.deps.box.seal(JSON.stringify(stored), context(repo.id, 'credentials')) : null,
      sealedWebhookSecret: this.deps.box.seal(secret, context(repo.id, 'webhook')),
      nextRunAt: Date.now() + settings.intervalMs,
    });
    return secret;
  }

  async byPath(path: RepoPath): Promise<Mirror | undefined> {
    const repo = await this.deps.repos.byPath(path);
    return repo && this.deps.store.byRepoId(repo.id);
  }

  async isMirror(repo: Pick<Repo, 'id'>): Promise<boolean> {
    return (await this.deps.store.byRepoId(repo.id)) !== undefined;
  }

  list(): Promise<Mirror[]> {
    return this.deps.store.list();
  }

  async remove(path: RepoPath): Promise<void> {
    const mirror = await this.require(path);
    await this.running.get(mirror.repo.id)?.catch(() => undefined);
    await this.deps.store.remove(mirror.repo.id);
  }

  async rotateSecret(path: RepoPath): Promise<string> {
    const mirror = await this.require(path);
    const secret = newSecret();
    await this.deps.store.setWebhookSecret(mirror.repo.id, this.deps.box.seal(secret, context(mirror.repo.id, 'webhook')));
    return secret;
  }

  /**
   * Syncs every `intervalMs` from now on; the next run is one interval after the last attempt
   * (or from now, when that is already past).
   * @throws FerryError FERRY_INVALID_INPUT for an interval under a second
   * @throws FerryError FERRY_NOT_FOUND when `path` is not a mirror
   */
  async reschedule(path: RepoPath, intervalMs: number): Promise<Mirror> {
    if (!Number.isInteger(intervalMs) || intervalMs < 1000) throw new FerryError('FERRY_INVALID_INPUT', 'a mirror syncs at most every second: write it like 30m, 1h or 1d');
    const mirror = await this.require(path);
    const last = mirror.lastAttemptAt ? Date.parse(mirror.lastAttemptAt) : Date.now();
    await this.deps.store.setInterval(mirror.repo.id, intervalMs, Math.max(Date.now(), last + intervalMs));
    return { ...mirror, intervalMs };
  }

  /** The secret a mirror's webhook requests must prove (WebhookVerifier). */
  webhookSecret(mirror: Mirror): string {
    return this.deps.box.open(mirror.sealedWebhookSecret, context(mirror.repo.id, 'webhook'));
  }

  /** Syncs now and waits; a sync already running for this mirror is joined, not doubled. */
  async sync(path: RepoPath, options: { allowForce?: boolean; progress?: ProgressOutput } = {}): Promise<SyncOutcome> {
    const mirror = await this.require(path);
    // A scheduled run that found the sync done by another node gives no outcome: sync now.
    return (await this.start(mirror, options, 'now')) ?? (await this.start(mirror, options, 'now')) ?? { changed: false, summary: 'synced by another node' };
  }

  /** Asks for a sync without waiting (webhooks): one more run follows a running one. */
  requestSync(mirror: Mirror): void {
    if (this.running.has(mirror.repo.id)) {
      this.again.add(mirror.repo.id);
      return;
    }
    this.start(mirror, {}, 'now').catch(() => undefined);
  }

  /** Starts every due mirror not already syncing, at most `limit` at once across calls. */
  async runDue(limit: number): Promise<void> {
    if (this.shutdown.signal.aborted) return;
    for (const mirror of await this.deps.store.due(Date.now())) {
      if (this.running.size >= limit) return;
      if (!this.running.has(mirror.repo.id)) this.start(mirror, {}, 'if-due').catch(() => undefined);
    }
  }

  /** Stops syncs in flight (their hg/git are killed; nothing half-done is kept by hg or git). */
  async stop(): Promise<void> {
    this.shutdown.abort();
    await Promise.allSettled([...this.running.values()]);
  }

  /**
   * `if-due`: the scheduler's run, claimed without waiting; skipped (undefined) when another node
   * holds the mirror's lock or already synced it. `now`: waits for the lock, then syncs.
   */
  private start(mirror: Mirror, options: { allowForce?: boolean; progress?: ProgressOutput }, when: 'now' | 'if-due'): Promise<SyncOutcome | undefined> {
    const current = this.running.get(mirror.repo.id);
    if (current) return current;
    const run = this.claimed(mirror, options, when).finally(() => {
      this.running.delete(mirror.repo.id);
      if (this.again.delete(mirror.repo.id) && !this.shutdown.signal.aborted) this.requestSync(mirror);
    });
    this.running.set(mirror.repo.id, run);
    return run;
  }

  private async claimed(mirror: Mirror, options: { allowForce?: boolean; progress?: ProgressOutput }, when: 'now' | 'if-due'): Promise<SyncOutcome | undefined> {
    const locks = this.deps.locks;
    if (!locks) return this.runSync(mirror, options);
    const key = `mirror-sync:${mirror.repo.id}`;
    if (when === 'now') return locks.withLock(key, () => this.runSync(mirror, options));
    const r = await locks.tryWithLock(key, async () => {
      // Read again under the lock: a node that died mid-sync left it due; one that finished did not.
      const fresh = await this.deps.store.byRepoId(mirror.repo.id);
      return fresh && fresh.nextRunAt <= Date.now() ? this.runSync(fresh, options) : undefined;
    });
    return r.ran ? r.value : undefined;
  }

  /**
   * Runs `pull` on the mirror's directory holding the repo's lock (src/cluster/locks.ts), the one a
   * move or removal takes in any process: the directory is read again under it, so a sync never
   * writes at a path the repo has just left.
   * @throws FerryError (FERRY_REPO_NOT_FOUND) when the repo was removed before the sync began
   */
  private async withRepoLock<T>(mirror: Mirror, pull: (dir: string) => Promise<T>): Promise<T> {
    const locks = this.deps.locks;
    if (!locks) return pull(this.deps.repositories.directoryOf(mirror.repo));
    const path = (await this.deps.store.byRepoId(mirror.repo.id))?.repo.path ?? mirror.repo.path;
    return locks.withLock(repoLockKey(path), async () => {
      const fresh = await this.deps.store.byRepoId(mirror.repo.id);
      if (!fresh) throw new FerryError('FERRY_REPO_NOT_FOUND', `${mirror.repo.path} was removed before its sync began`);
      return pull(this.deps.repositories.directoryOf(fresh.repo));
    });
  }

  private async runSync(mirror: Mirror, options: { allowForce?: boolean; progress?: ProgressOutput }): Promise<SyncOutcome> {
    const { repo } = mirror;
    const sources = this.deps.sources;
    const started = new Date().toISOString();
    const progress = new TransferProgress(`sync ${repo.path}`, this.deps.repositories.directoryOf(repo), options.progress ?? NO_PROGRESS);
    try {
      const source = parseImportUrl(mirror.url, { allowLocal: true });
      const credentials: SourceCredentials = mirror.sealedCredentials
        ? (JSON.parse(this.deps.box.open(mirror.sealedCredentials, context(repo.id, 'credentials'))) as SourceCredentials)
        : {};
      const access = await sources.open(source, credentials, false);
      const refs = await this.deps.refs.begin(repo);
      let outcome: SyncOutcome;
      progress.start();
      try {
        const pull = (dir: string) =>
          sources.remotes[repo.kind].pull(source, dir, { ...access, signal: this.shutdown.signal }, { allowForce: options.allowForce ?? mirror.allowForce }, progress);
        outcome = await this.withRepoLock(mirror, pull);
      } finally {
        await access.dispose();
      }
      progress.stop(outcome.summary);
      if (outcome.changed) await this.deps.events.emitChanged({ repo, cause: 'sync', refUpdates: await refs.updates(), pusher: 'mirror sync' });
      if (outcome.refused !== undefined) throw new FerryError('FERRY_IMPORT_FAILED', `sync of ${repo.path} refused: ${outcome.refused}`);
      await this.deps.store.recordSuccess(repo.id, started, Date.now() + mirror.intervalMs);
      this.deps.log.info({ repo: repo.path, summary: outcome.summary, warning: outcome.warning }, 'mirror synced');
      return outcome;
    } catch (err) {
      progress.stop('failed');
      const failures = mirror.failures + 1;
      const delay = Math.min(mirror.intervalMs * 2 ** Math.min(failures, 20), Math.max(MAX_BACKOFF_MS, mirror.intervalMs));
      const message = describeError(err);
      await this.deps.store.recordFailure(repo.id, started, message, Date.now() + delay).catch(() => undefined);
      this.deps.log.warn({ repo: repo.path, err: message, failures, retryInMs: delay }, 'mirror sync failed');
      this.deps.onSyncFailed?.();
      throw err instanceof FerryError ? err : new FerryError('FERRY_IMPORT_FAILED', `sync of ${repo.path} failed: ${message}`, { cause: err });
    }
  }

  private async require(path: RepoPath): Promise<Mirror> {
    const mirror = await this.byPath(path);
    if (!mirror) throw new FerryError('FERRY_NOT_FOUND', `${path} is not a mirror (ferry mirror list shows the mirrors)`, { data: { path } });
    return mirror;
  }
}

function context(repoId: number, what: 'credentials' | 'webhook'): string {
  return `ferry-mirror:${repoId}:${what}`;
}

function newSecret(): string {
  return randomBytes(24).toString('base64url');
}
