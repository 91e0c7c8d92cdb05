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
  readonly repo: Repo;
}

/**
 * In-process events between the transports and the publisher. Listeners are awaited by `emit…`
 * so a push can return only after what it changed is served (the CDN freshness contract).
 */
export class RepoEvents {
  private readonly emitter = new EventEmitter();
  private readonly changedListeners: ((e: RepoChanged) => Promise<void> | void)[] = [];
  private readonly settlers: ((e: RepoChanged) => Promise<void>)[] = [];

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

  async emitChanged(event: RepoChanged): Promise<void> {
    for (const settle of this.settlers) await settle(event).catch(() => undefined);
    await Promise.allSettled(this.changedListeners.map((l) => l(event)));
  }

  onRemoved(listener: (e: RepoRemoved) => void): void {
    this.emitter.on('removed', listener);
  }

  emitRemoved(event: RepoRemoved): void {
    this.emitter.emit('removed', event);
  }
}
