import { EventEmitter } from 'node:events';
import type { Repo } from '../store/types.js';
import type { RefUpdate } from '../vcs/refs.js';

export type { RefUpdate } from '../vcs/refs.js';

export interface RepoChanged {
  readonly repo: Repo;
  /** What moved it: a push over ssh or http, a mirror sync, an import, an admin action. */
  readonly cause: 'push' | 'sync' | 'import' | 'admin';
  /** A git push's options (`git push -o …`), as the client sent them, for webhooks and logs. */
  readonly pushOptions?: readonly string[];
  /**
   * The refs that moved (old → new; null where a ref was created or deleted), read before and
   * after the write (src/events/ref-watch.ts). Absent for admin changes, which move no ref.
   */
  readonly refUpdates?: readonly RefUpdate[];
  /** Who pushed (a user name, or how a deploy key or token is described), for webhooks and logs. */
  readonly pusher?: string;
}

export interface RepoRemoved {
  /** The repo's row as it was (its old path, for a move). */
  readonly repo: Repo;
  /**
   * Set when the repo was moved (`ferry repo mv`, a rename), not removed: the path it has now.
   * It keeps its id, so what is stored by id (LFS objects, clone bundles, grants) stays; only what
   * is kept by path is dropped.
   */
  readonly movedTo?: string;
}

/**
 * In-process events between the transports and the publisher. Listeners are awaited by `emit…`
 * so a push can return only after what it changed is served (the CDN freshness contract).
 */
export class RepoEvents {
  private readonly emitter = new EventEmitter();
  private readonly changedListeners: ((e: RepoChanged) => Promise<void> | void)[] = [];
  private readonly settlers: ((e: RepoChanged) => Promise<void>)[] = [];
  private readonly anywhereListeners: ((e: RepoChanged) => Promise<void> | void)[] = [];

  /**
   * Runs `settler` on every change before any listener hears of it (one after the other): repairs
   * every reader must see, such as a git repo's HEAD following its first branch.
   */
  onChanging(settler: (e: RepoChanged) => Promise<void>): void {
    this.settlers.push(settler);
  }

  onChanged(listener: (e: RepoChanged) => Promise<void> | void): void {
    this.changedListeners.push(listener);
  }

  /**
   * Like `onChanged`, and also for changes made by another node sharing the database and the data
   * dir (src/cluster): for what each node keeps for itself, such as the CDN's snapshots.
   */
  onChangedAnywhere(listener: (e: RepoChanged) => Promise<void> | void): void {
    this.anywhereListeners.push(listener);
  }

  async emitChanged(event: RepoChanged): Promise<void> {
    for (const settle of this.settlers) await settle(event).catch(() => undefined);
    await Promise.allSettled([...this.changedListeners, ...this.anywhereListeners].map((l) => l(event)));
  }

  /** A change another node made (and already settled, stored and announced): only `onChangedAnywhere` listeners hear it. */
  async emitChangedElsewhere(event: RepoChanged): Promise<void> {
    await Promise.allSettled(this.anywhereListeners.map((l) => l(event)));
  }

  onRemoved(listener: (e: RepoRemoved) => void): void {
    this.emitter.on('removed', listener);
  }

  /** Like `onRemoved`, and also for repos another node removed. */
  onRemovedAnywhere(listener: (e: RepoRemoved) => void): void {
    this.emitter.on('removed', listener);
    this.emitter.on('removed-elsewhere', listener);
  }

  emitRemoved(event: RepoRemoved): void {
    this.emitter.emit('removed', event);
  }

  /** A repo another node removed: only `onRemovedAnywhere` listeners hear it. */
  emitRemovedElsewhere(event: RepoRemoved): void {
    this.emitter.emit('removed-elsewhere', event);
  }
}
