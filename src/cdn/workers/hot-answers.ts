import type { IncomingHttpHeaders } from 'node:http';
import { chooseEncoding } from '../respond.js';
import type { NativeAnswerParts, NativeEntry, NativeHotTable } from './native-hot.js';
import { MemfdBytes, zeroCopyPays } from './zero-copy.js';

/** What of a parsed request the key of a reused answer is made from. */
export interface KeyedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly keepAlive: boolean;
  readonly http10: boolean;
}

/**
 * The key of a request's reusable answer: only what the CDN's answer depends on — method, target,
 * the encoding `Accept-Encoding` negotiates (not its spelling), the validators (`If-None-Match`,
 * `If-Modified-Since`), `Range`/`If-Range`, and the HTTP version (HTTP/1.0 keep-alive is
 * confirmed in the answer). User-Agent, Referer, Cookie, Sec-Fetch-* and the rest vary per browser
 * and page and change nothing, so they are not in it. Credentials are not in it either: answers are
 * reused for them only when public (see FastHttpLane), after the credentials were checked.
 * Undefined for a request whose answer is never reused: one that closes the connection, and one
 * with `If-Match` or `If-Unmodified-Since` (rare from browsers; its answer, 412 or not, is decided
 * the long way every time, so a 200 kept for the same URL is never sent for it: scanHead and the
 * native scan decline it too).
 */
export function hotKey(req: KeyedRequest): string | undefined {
  if (!req.keepAlive) return undefined;
  const h = req.headers;
  if (h['if-match'] !== undefined || h['if-unmodified-since'] !== undefined) return undefined;
  return hotKeyOf(req.method, req.url, req.http10, one(h['accept-encoding']), one(h['if-none-match']), one(h['if-modified-since']), one(h.range), one(h['if-range']));
}

/** A header's value as one string (a parser that keeps repeats apart joins them here). */
function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The key `hotKey` makes, from the fields themselves (header values as node's parser joins them:
 * repeats with ", ", except `If-Modified-Since`, whose first wins; src/http/repeated-fields.ts).
 * For scanHead, which reads them straight from the bytes.
 */
export function hotKeyOf(
  method: string,
  url: string,
  http10: boolean,
  acceptEncoding: string | undefined,
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
  range: string | undefined,
  ifRange: string | undefined,
): string {
  return `${method} ${url}\n${http10 ? '1.0' : '1.1'}\n${negotiated(acceptEncoding)}\n${ifNoneMatch ?? ''}\n${ifModifiedSince ?? ''}\n${range ?? ''}\n${ifRange ?? ''}`;
}

/** Browsers send a handful of distinct Accept-Encoding values: each is parsed once. */
const ENCODINGS = new Map<string, string>();
/** Told each value's encoding whenever one is keyed here (the native table keys on it too). */
let encodingSink: NativeHotTable | undefined;

function negotiated(accept: string | undefined): string {
  if (accept === undefined) return '';
  let encoding = ENCODINGS.get(accept);
  if (encoding === undefined) {
    encoding = chooseEncoding(accept) ?? '';
    if (ENCODINGS.size >= 256) ENCODINGS.clear();
    ENCODINGS.set(accept, encoding);
  }
  // Every time, not once: the native table forgets values when it holds too many.
  encodingSink?.encoding(accept, encoding);
  return encoding;
}

/**
 * An answer as the fast lane writes it: the status line and headers up to the `Date` value (the
 * only part that changes), and the body. Its bytes are laid out once — the head with its date,
 * then the body — and only the date's 29 bytes are written again when the second changes, in
 * place: a buffer still queued on a socket then goes out with the newer date, which is all a
 * rewrite can change (writes and rewrites both run on the event loop's thread). When `zeroCopy`
 * and the body is large enough, the body also lives in a memfd made once, sent after the head.
 */
export class HotAnswer {
  /** The head, its date and the blank line; then the body unless it lives in a memfd. */
  private wire: Buffer;
  /** The head alone (a view of `wire`), sent before the memfd. */
  private head: Buffer;
  private stamped = '';
  private memfd: MemfdBytes | undefined;
  private gone = false;
  /** This answer in the native table (HotAnswers puts and removes it there). */
  native: NativeEntry | undefined;
  /** `scope` as HotAnswers keys its checks, made once (not a string per request). */
  readonly scopeKey: string | undefined;

  constructor(
    readonly headUntilDate: string,
    readonly body: Buffer | undefined,
    readonly at: number,
    /** Whether this answer may hold a memfd (HotAnswers bounds how many do). */
    readonly zeroCopy: boolean,
    /** The repo the answer came from; without one the answer lives `ttlMs` from `at`. */
    readonly scope?: ReuseScope,
  ) {
    this.wire = wireBytes(headUntilDate, DATE_PLACEHOLDER, body);
    this.head = this.wire.subarray(0, headUntilDate.length + DATE_PLACEHOLDER.length + 4);
    this.scopeKey = scope === undefined ? undefined : scopeKey(scope);
  }

  /** The whole answer, dated `date` (an IMF-fixdate, RFC 9110 section 5.6.7). */
  bytes(date: string): Buffer {
    this.stamp(date);
    return this.wire;
  }

  /** The head alone, dated `date`: what goes before the memfd's body. */
  headBytes(date: string): Buffer {
    this.stamp(date);
    return this.head;
  }

  /** The body in a memfd (made on first use), or undefined for an answer sent by copy (or closed). */
  file(): MemfdBytes | undefined {
    if (!this.zeroCopy || this.gone || !this.body) return undefined;
    this.memfd ??= MemfdBytes.from(this.body);
    return this.memfd;
  }

  /**
   * The bytes the native table sends from (kept by it, dated in place as `stamp` does), with the
   * body's memfd made now when this answer is sent from one.
   */
  nativeParts(): NativeAnswerParts {
    const memfd = this.file()?.descriptor ?? -1;
    return { wire: this.wire, dateAt: this.headUntilDate.length, headLength: this.head.length, memfd };
  }

  /** Writes `date` into the answer's bytes; a date of another length lays them out anew. */
  private stamp(date: string): void {
    if (date === this.stamped) return;
    const at = this.headUntilDate.length;
    if (date.length === this.head.length - at - 4) {
      this.wire.write(date, at, 'latin1');
    } else {
      this.wire = wireBytes(this.headUntilDate, date, this.body);
      this.head = this.wire.subarray(0, at + date.length + 4);
    }
    this.stamped = date;
  }

  /** No longer among the hot answers (replaced, expired, evicted or invalidated). */
  get closed(): boolean {
    return this.gone;
  }

  /** Leaves the hot answers, letting go of the memfd, if any. */
  close(): void {
    this.gone = true;
    this.memfd?.close();
    this.memfd = undefined;
  }
}

/** An IMF-fixdate's length (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 section 5.6.7): 29 bytes. */
const DATE_PLACEHOLDER = 'Thu, 01 Jan 1970 00:00:00 GMT';

/** The response as it goes on the wire. */
export function wireBytes(headUntilDate: string, date: string, body: Buffer | undefined): Buffer {
  const head = `${headUntilDate}${date}\r\n\r\n`;
  if (!body || body.length === 0) return Buffer.from(head, 'latin1');
  const out = Buffer.allocUnsafe(head.length + body.length);
  out.write(head, 0, 'latin1');
  body.copy(out, head.length);
  return out;
}

/**
 * The repo a reusable answer was read from: its id and its path as the URL named it. Answers are
 * reused only for public repos (FastHttpLane), so what can make one wrong without an event in this
 * process is that repo turning private, moving or going (from the CLI, another process), or its
 * files changing behind Ferry's back; the revalidator looks at exactly that.
 */
export interface ReuseScope {
  readonly repoId: number;
  readonly path: string;
}

/**
 * Whether the answers of a scope may still be reused: the repo at `path` is still `repoId` and
 * still public. It may start a check of the repo's files (a change found there arrives later as
 * an invalidation). Rejections count as false.
 */
export type ScopeRevalidator = (scope: ReuseScope) => Promise<boolean>;

/**
 * Answers just sent, by `hotKey` of the request that asked: a request with the same key gets the
 * same bytes without routing again. An answer with a scope stays while its repo is revalidated
 * once per `ttlMs`, the check running beside the answers until it is `2 * ttlMs` overdue and in
 * front of them after (one cheap check per repo, not one routing per answer: with a per-answer expiry
 * every file of a busy repo was routed again each second, and a browser-like mix ran at half of
 * nginx's rate); one without a scope lives `ttlMs`. Any repo change clears all of them
 * (`invalidate`), so a push is never answered from here with what it replaced; the TTL bounds how
 * long a change made by another process (a repo made private from the CLI) goes unseen, as the
 * CDN's repo lookup does. `maxBytes` bounds what entries hold (and keep alive of snapshots already
 * dropped); the oldest entries go first. At most `maxFiles` entries hold a memfd (file descriptors
 * are limited); the others are copied when sent.
 */
export class HotAnswers {
  private readonly entries = new Map<string, HotAnswer>();
  /** When each scope (`repoId path`) was last found still valid. */
  private readonly scopes = new Map<string, number>();
  private readonly checking = new Map<string, Promise<boolean>>();
  private bytes = 0;
  private files = 0;
  private current = 0;
  /** The native table mirroring the entries (mirrorTo), and the numbers it knows scopes by. */
  private native: NativeHotTable | undefined;
  private readonly scopeNumbers = new Map<string, number>();
  /** The scopes by their numbers in the native table. */
  private readonly numberedScopes: ReuseScope[] = [];
  /** Answers sent from here (CDN hits, for /metrics). */
  sent = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxFiles = 256,
    private readonly revalidate?: ScopeRevalidator,
  ) {}

  /**
   * Mirrors every entry into `table` from now on, which then answers requests for them without
   * JavaScript (FastHttpLane asks it first). Its clock is the system's: `now` must be Date.now.
   */
  mirrorTo(table: NativeHotTable): void {
    this.invalidate();
    this.native = table;
    encodingSink = table;
    // The table answers while a scope is due for its check, and asks for the check here.
    table.onDue((number) => {
      const scope = this.numberedScopes[number];
      if (scope !== undefined && this.revalidate) void this.revalidated(scope);
    });
  }

  /** The table mirroring the entries, if any. */
  get nativeTable(): NativeHotTable | undefined {
    return this.native;
  }

  /** Taken before answering: an answer computed across an invalidation is not kept. */
  get generation(): number {
    return this.current;
  }

  /**
   * The answer for `key`: at once when it is known valid, a promise when its repo must be
   * revalidated first (at most one check per scope at a time), undefined when there is none.
   */
  get(key: string): HotAnswer | undefined | Promise<HotAnswer | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const scope = entry.scope;
    if (scope === undefined || !this.revalidate) {
      if (this.now() - entry.at < this.ttlMs) return entry;
      this.remove(key, entry);
      return undefined;
    }
    const checkedAt = this.scopes.get(entry.scopeKey as string);
    const age = checkedAt === undefined ? Infinity : this.now() - checkedAt;
    if (age < this.ttlMs) return entry;
    if (age < 2 * this.ttlMs) {
      // Due for a check, not yet overdue: answered now while the check runs (at most one per
      // scope), so requests do not queue behind it once a second; a failed check drops all.
      void this.revalidated(scope);
      return entry;
    }
    return this.revalidated(scope).then((ok) => (ok && !entry.closed ? entry : undefined));
  }

  /** Whether `entry`, got earlier, may still be sent for the same key without waiting (as `get` would answer). */
  stillHot(entry: HotAnswer): boolean {
    if (entry.closed) return false;
    return entry.scopeKey !== undefined && this.revalidate ? this.scopeFresh(entry.scopeKey) : this.now() - entry.at < this.ttlMs;
  }

  private scopeFresh(key: string): boolean {
    const at = this.scopes.get(key);
    return at !== undefined && this.now() - at < this.ttlMs;
  }

  /** One check of `scope` at a time; a failed one drops every answer (a repo went private or moved: rare). */
  private revalidated(scope: ReuseScope): Promise<boolean> {
    const key = scopeKey(scope);
    let pending = this.checking.get(key);
    if (pending) return pending;
    const generation = this.current;
    const check = this.revalidate as ScopeRevalidator;
    pending = check(scope)
      .catch(() => false)
      .then((ok) => {
        this.checking.delete(key);
        if (generation !== this.current) return false;
        if (!ok) {
          this.invalidate();
          return false;
        }
        if (this.scopes.size >= 10_000) this.clearScopes();
        this.markScope(key, this.now(), scope);
        return true;
      });
    this.checking.set(key, pending);
    return pending;
  }

  /**
   * Keeps an answer just sent for requests with `key`. `scope`: the repo it came from (its
   * validity starts now, as the answer was just routed with the repo looked up).
   */
  put(key: string, generation: number, headUntilDate: string, body: Buffer | undefined, scope?: ReuseScope): void {
    if (generation !== this.current) return;
    const size = sizeOf(key, headUntilDate, body);
    if (size > this.maxBytes / 4) return;
    const old = this.entries.get(key);
    if (old) this.remove(key, old);
    while (this.bytes + size > this.maxBytes) {
      const first = this.entries.entries().next().value as [string, HotAnswer];
      this.remove(first[0], first[1]);
    }
    const zeroCopy = body !== undefined && this.files < this.maxFiles && zeroCopyPays(body.length);
    if (zeroCopy) this.files++;
    const answer = new HotAnswer(headUntilDate, body, this.now(), zeroCopy, scope);
    this.entries.set(key, answer);
    this.bytes += size;
    // Routed just now, with the repo looked up as a revalidation would: the scope is valid from here.
    if (answer.scopeKey !== undefined && answer.scope !== undefined) this.markScope(answer.scopeKey, answer.at, answer.scope);
    if (this.native) this.mirror(key, answer, this.native);
  }

  /** Puts `answer` into the native table, valid exactly as `stillHot` says. */
  private mirror(key: string, answer: HotAnswer, table: NativeHotTable): void {
    if (answer.scopeKey === undefined || !this.revalidate) {
      answer.native = table.put(key, answer.nativeParts(), -1, answer.at + this.ttlMs);
      return;
    }
    const scope = this.scopeNumber(answer.scopeKey, answer.scope);
    // Past the table's scope numbers (an improbable number of repos and path spellings): JavaScript answers it.
    if (scope !== undefined) answer.native = table.put(key, answer.nativeParts(), scope, 0);
  }

  /** The scope was found valid at `at` (ms): answers of it are reused until `at + ttlMs`. */
  private markScope(key: string, at: number, scope: ReuseScope): void {
    this.scopes.set(key, at);
    const number = this.native ? this.scopeNumber(key, scope) : undefined;
    if (number !== undefined) this.native?.scope(number, at + this.ttlMs, at + 2 * this.ttlMs);
  }

  private unmarkScope(key: string): void {
    this.scopes.delete(key);
    const number = this.scopeNumbers.get(key);
    if (number !== undefined) this.native?.scope(number, 0, 0);
  }

  private clearScopes(): void {
    for (const key of [...this.scopes.keys()]) this.unmarkScope(key);
  }

  /** The number the native table knows `key`'s scope by; undefined once 65,536 are given out. */
  private scopeNumber(key: string, scope?: ReuseScope): number | undefined {
    let number = this.scopeNumbers.get(key);
    if (number === undefined && scope !== undefined && this.scopeNumbers.size < MAX_NATIVE_SCOPES) {
      number = this.scopeNumbers.size;
      this.scopeNumbers.set(key, number);
      this.numberedScopes[number] = scope;
    }
    return number;
  }

  /** Something a repo serves changed: nothing answered so far is reused (every entry goes; `put` keeps only the current generation's). */
  invalidate(): void {
    this.current++;
    this.native?.clear();
    for (const entry of this.entries.values()) entry.close();
    this.entries.clear();
    this.scopes.clear();
    this.bytes = 0;
    this.files = 0;
  }

  /**
   * One repo changed (a push, a sync, new settings): its answers go, and those of any repo that
   * was at its path (`path`, compared case-insensitively as repo paths are), and every answer
   * without a scope; other repos' answers stay. On a host where some repo is pushed to every few
   * seconds, dropping all answers on each push sent every other repo's files the long way again.
   * An answer computed across the change is not kept (`put` checks the generation).
   */
  invalidateRepo(repoId: number, path: string | undefined): void {
    this.current++;
    const lower = path?.toLowerCase();
    const hit = (scope: ReuseScope | undefined) => scope === undefined || scope.repoId === repoId || scope.path.toLowerCase() === lower;
    for (const [key, entry] of this.entries) if (hit(entry.scope)) this.remove(key, entry);
    for (const key of [...this.scopes.keys()]) {
      const space = key.indexOf(' ');
      if (hit({ repoId: Number(key.slice(0, space)), path: key.slice(space + 1) })) this.unmarkScope(key);
    }
  }

  /** Entries sent from a memfd. */
  get zeroCopyCount(): number {
    return this.files;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Bytes the reused answers take (heads, bodies and keys), within the budget given to the constructor. */
  get heldBytes(): number {
    return this.bytes;
  }

  private remove(key: string, entry: HotAnswer): void {
    if (entry.native !== undefined) this.native?.remove(entry.native);
    entry.native = undefined;
    this.entries.delete(key);
    this.bytes -= sizeOf(key, entry.headUntilDate, entry.body);
    entry.close();
    if (entry.zeroCopy) this.files--;
  }
}

/** Scope numbers the native table is given at most (then new scopes are answered by JavaScript). */
const MAX_NATIVE_SCOPES = 65_536;

function scopeKey(scope: ReuseScope): string {
  return `${scope.repoId} ${scope.path}`;
}

/** The key, and the answer twice (its parts, and the buffer or memfd made from them). */
function sizeOf(key: string, headUntilDate: string, body: Buffer | undefined): number {
  return key.length + 2 * (headUntilDate.length + (body?.length ?? 0)) + 200;
}
