import { SHARED_READ_BUFFER } from './read-buffer.js';
import { cdnSyscalls, hasNativeHot, type NativeHotAddon } from './syscalls.js';

/** An entry of the native table, as the addon hands it out (freed once JS lets go of it). */
export type NativeEntry = object;

/** What an entry is made of: HotAnswer's bytes, as it lays them out. */
export interface NativeAnswerParts {
  /** The head up to the date, the 29-byte date, the blank line, then the body. */
  readonly wire: Buffer;
  /** Where the date starts in `wire`. */
  readonly dateAt: number;
  /** The head's length in `wire`, blank line included. */
  readonly headLength: number;
  /** The body's memfd, sent after the head (-1: the body is sent from `wire`). */
  readonly memfd: number;
}

/** What `serve` did with a request head. */
export const enum NativeServe {
  /** Not from the table: nothing was sent; JavaScript answers. */
  Miss = 0,
  /** Sent whole. */
  Sent = 1,
  /** Sent in part: `partial` says how much; the rest is for JavaScript to queue. */
  Partial = 2,
}

/**
 * The worker's reused answers as the addon's table (native/cdn_hot.c) holds them, so that a
 * request head read into SHARED_READ_BUFFER is keyed, found and answered in one call, without
 * JavaScript per request. HotAnswers decides everything (what is put, removed, fresh); this only
 * mirrors it. The table's scan is narrower than scanHead: what it is unsure of is a Miss and goes
 * the JavaScript way, so answers never differ between the two.
 */
export class NativeHotTable {
  private readonly result = new Float64Array(3);

  private constructor(private readonly addon: NativeHotAddon) {
    addon.hotInit(SHARED_READ_BUFFER, this.result);
    addon.hotClear();
  }

  /**
   * The table, or undefined where the addon lacks it (not built, an older build) or `enabled`
   * is false (`[cdn] native_hot`, to compare with the JavaScript path).
   */
  static create(enabled = true): NativeHotTable | undefined {
    const addon = cdnSyscalls;
    if (!enabled || !hasNativeHot(addon)) return undefined;
    return new NativeHotTable(addon);
  }

  /**
   * Puts the answer for `key` (HotAnswers' key string; its latin1 bytes are what the scan makes),
   * replacing any other for it. `scope`: the scope's number (see `scope`), or -1 with `expiresMs`
   * (ms since the epoch) bounding the entry instead.
   */
  put(key: string, parts: NativeAnswerParts, scope: number, expiresMs: number): NativeEntry {
    return this.addon.hotPut(Buffer.from(key, 'latin1'), parts.wire, parts.dateAt, parts.headLength, parts.memfd, scope, expiresMs);
  }

  /** The entry is not sent any more (a memfd it named is the caller's to close, after this). */
  remove(entry: NativeEntry): void {
    this.addon.hotRemove(entry);
  }

  /** No entry is sent any more; no scope is fresh. */
  clear(): void {
    this.addon.hotClear();
  }

  /**
   * Scope number `scope` was just checked: its entries are sent until `freshUntilMs` (ms since the
   * epoch), and after it until `dueUntilMs` while the scope is checked again — the table asks for
   * that check once, through `onDue` (0, 0: not sent at all).
   */
  scope(scope: number, freshUntilMs: number, dueUntilMs: number): void {
    this.addon.hotScope(scope, freshUntilMs, dueUntilMs);
  }

  /** `check` is called with a scope's number when its entries are due for a check (see `scope`). */
  onDue(check: (scope: number) => void): void {
    this.addon.hotStaleInit(check);
  }

  /** The encoding negotiated for an `Accept-Encoding` value ('' for none): the scan keys on it. */
  encoding(acceptEncoding: string, negotiated: string): void {
    this.addon.hotEncoding(Buffer.from(acceptEncoding, 'latin1'), negotiated);
  }

  /**
   * Answers the request head in SHARED_READ_BUFFER[0, length) on the socket `socketFd`, which
   * nothing else writes to now (zero-copy.ts directFd): Miss, Sent, Partial (see `partial`), or
   * -errno when the socket failed before anything went.
   */
  serve(socketFd: number, length: number): number {
    return this.addon.hotServe(socketFd, length);
  }

  /** After Partial: the bytes sent, and the second (since the epoch) the answer's Date holds. */
  get partial(): { readonly sent: number; readonly second: number } {
    return { sent: this.result[0] as number, second: this.result[2] as number };
  }

  /**
   * Lets the table take idle connections (`adopt`) and answer their requests on its own, on this
   * process's event loop, without JavaScript per request. The first request it cannot answer comes
   * back through `handBack` with the connection's file descriptor and the bytes it read; an adopted
   * connection idle for `idleMs` is closed.
   */
  adoptInit(handBack: (fd: number, bytes: Buffer) => void, idleMs: number): void {
    this.addon.hotAdoptInit(handBack, idleMs);
  }

  /**
   * Takes the idle connection `socketFd` (a copy of the descriptor): the caller then closes its
   * own handle, which leaves the connection open. False when the table cannot (nothing changed).
   */
  adopt(socketFd: number): boolean {
    return this.addon.hotAdopt(socketFd);
  }

  /** Closes adopted connections: idle ones now, the rest after their answer (all now when `force`): how many are left. */
  closeConnections(force: boolean): number {
    return this.addon.hotCloseConnections(force);
  }

  /**
   * For tests only: the key the table's scan makes of `head` (one whole request head, ending with
   * its blank line), or undefined where it leaves the head to JavaScript — what `serve` would look
   * up, without looking. Accept-Encoding values are keyed once `encoding` told them.
   */
  keyOf(head: Buffer): string | undefined {
    if (this.addon.hotKeyOf === undefined) throw new Error('the CDN addon was built without hotKeyOf; run npm run build:native');
    return this.addon.hotKeyOf(head);
  }

  /**
   * How many entries the table holds; answers it sent for JavaScript (`serve`) and on adopted
   * connections; adopted connections open; connections handed back; and requests it left to
   * JavaScript: not one whole head, a head its scan leaves, no entry, an entry not sendable now.
   */
  stats(): NativeHotStats {
    const [entries = 0, sent = 0, adoptedSent = 0, adopted = 0, handBacks = 0, notOneHead = 0, leftByScan = 0, noEntry = 0, notSendable = 0] = this.addon.hotStats();
    return { entries, sent, adoptedSent, adopted, handBacks, misses: { notOneHead, leftByScan, noEntry, notSendable } };
  }

}

/** NativeHotTable.stats(). */
export interface NativeHotStats {
  readonly entries: number;
  readonly sent: number;
  readonly adoptedSent: number;
  readonly adopted: number;
  readonly handBacks: number;
  readonly misses: { readonly notOneHead: number; readonly leftByScan: number; readonly noEntry: number; readonly notSendable: number };
}
