import type { IncomingHttpHeaders } from 'node:http';
import { chooseEncoding } from '../respond.js';
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
 * Undefined for a request whose answer is never reused (one that closes the connection).
 */
export function hotKey(req: KeyedRequest): string | undefined {
  if (!req.keepAlive) return undefined;
  const h = req.headers;
  return `${req.method} ${req.url}\n${req.http10 ? '1.0' : '1.1'}\n${negotiated(h['accept-encoding'])}\n${h['if-none-match'] ?? ''}\n${h['if-modified-since'] ?? ''}\n${h.range ?? ''}\n${h['if-range'] ?? ''}`;
}

/** Browsers send a handful of distinct Accept-Encoding values: each is parsed once. */
const ENCODINGS = new Map<string, string>();

function negotiated(accept: string | undefined): string {
  if (accept === undefined) return '';
  let encoding = ENCODINGS.get(accept);
  if (encoding === undefined) {
    encoding = chooseEncoding(accept) ?? '';
    if (ENCODINGS.size >= 256) ENCODINGS.clear();
    ENCODINGS.set(accept, encoding);
  }
  return encoding;
}

/**
 * An answer as the fast lane writes it: the status line and headers up to the `Date` value (the
 * only part that changes), and the body. It is sent as one buffer made once per date (once a
 * second), or, when `zeroCopy` and the body is large enough, from a memfd made once per date.
 */
export class HotAnswer {
  private wire: Buffer | undefined;
  private wireDate = '';
  private memfd: MemfdBytes | undefined;
  private memfdDate = '';
  private gone = false;

  constructor(
    readonly headUntilDate: string,
    readonly body: Buffer | undefined,
    readonly at: number,
    /** Whether this answer may hold a memfd (HotAnswers bounds how many do). */
    readonly zeroCopy: boolean,
  ) {}

  /** The whole answer; kept for the next send unless it lives in a memfd. */
  bytes(date: string): Buffer {
    if (this.wireDate === date && this.wire) return this.wire;
    const wire = wireBytes(this.headUntilDate, date, this.body);
    if (!this.memfd) {
      this.wire = wire;
      this.wireDate = date;
    }
    return wire;
  }

  /** The whole answer in a memfd, or undefined for an answer sent by copy (or closed). */
  file(date: string): MemfdBytes | undefined {
    if (!this.zeroCopy || this.gone) return undefined;
    if (this.memfdDate !== date) {
      this.memfd?.close();
      this.memfd = MemfdBytes.from(wireBytes(this.headUntilDate, date, this.body));
      this.memfdDate = date;
    }
    return this.memfd;
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
    this.memfdDate = '';
  }
}

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
 * Answers just sent, by `hotKey` of the request that asked: a request with the same key within
 * `ttlMs` gets the same bytes without routing again. Any repo change clears all of them
 * (`invalidate`), so a push is never answered from here with what it replaced; the TTL bounds how
 * long a change made by another process (a repo made private from the CLI) goes unseen, as the
 * CDN's repo lookup does. `maxBytes` bounds what entries hold (and keep alive of snapshots already
 * dropped); the oldest entries go first. At most `maxFiles` entries hold a memfd (file descriptors
 * are limited); the others are copied when sent.
 */
export class HotAnswers {
  private readonly entries = new Map<string, HotAnswer>();
  private bytes = 0;
  private files = 0;
  private current = 0;
  /** Answers sent from here (CDN hits, for /metrics). */
  sent = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxFiles = 256,
  ) {}

  /** Taken before answering: an answer computed across an invalidation is not kept. */
  get generation(): number {
    return this.current;
  }

  get(key: string): HotAnswer | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() - entry.at >= this.ttlMs) {
      this.remove(key, entry);
      return undefined;
    }
    return entry;
  }

  /** Whether `entry`, got earlier, may still be sent for the same key (as `get` would answer). */
  stillHot(entry: HotAnswer): boolean {
    return !entry.closed && this.now() - entry.at < this.ttlMs;
  }

  put(key: string, generation: number, headUntilDate: string, body: Buffer | undefined): void {
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
    this.entries.set(key, new HotAnswer(headUntilDate, body, this.now(), zeroCopy));
    this.bytes += size;
  }

  /** Something a repo serves changed: nothing answered so far is reused (every entry goes; `put` keeps only the current generation's). */
  invalidate(): void {
    this.current++;
    for (const entry of this.entries.values()) entry.close();
    this.entries.clear();
    this.bytes = 0;
    this.files = 0;
  }

  /** Entries sent from a memfd. */
  get zeroCopyCount(): number {
    return this.files;
  }

  get size(): number {
    return this.entries.size;
  }

  private remove(key: string, entry: HotAnswer): void {
    this.entries.delete(key);
    this.bytes -= sizeOf(key, entry.headUntilDate, entry.body);
    entry.close();
    if (entry.zeroCopy) this.files--;
  }
}

/** The key, and the answer twice (its parts, and the buffer or memfd made from them). */
function sizeOf(key: string, headUntilDate: string, body: Buffer | undefined): number {
  return key.length + 2 * (headUntilDate.length + (body?.length ?? 0)) + 200;
}
