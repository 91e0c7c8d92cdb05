/**
 * An answer as the fast lane writes it: the status line and headers up to the `Date` value (the
 * only part that changes), the body, and the whole thing as one buffer for the current date.
 */
export class HotAnswer {
  private wire: Buffer | undefined;
  private wireDate = '';

  constructor(
    readonly headUntilDate: string,
    readonly body: Buffer | undefined,
    readonly at: number,
  ) {}

  /** The bytes to send, made once per `date` (once a second): one write, one system call. */
  bytes(date: string): Buffer {
    if (this.wire === undefined || this.wireDate !== date) {
      this.wire = wireBytes(this.headUntilDate, date, this.body);
      this.wireDate = date;
    }
    return this.wire;
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
 * Answers just sent, by the exact bytes of the request head that asked: the same head within
 * `ttlMs` gets the same bytes without parsing or routing again. Any repo change clears all of them
 * (`invalidate`), so a push is never answered from here with what it replaced; the TTL bounds how
 * long a change made by another process (a repo made private from the CLI) goes unseen, as the
 * CDN's repo lookup does. `maxBytes` bounds what entries hold (and keep alive of snapshots already
 * dropped); the oldest entries go first.
 */
export class HotAnswers {
  private readonly entries = new Map<string, HotAnswer>();
  private bytes = 0;
  private current = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Taken before answering: an answer computed across an invalidation is not kept. */
  get generation(): number {
    return this.current;
  }

  get(head: string): HotAnswer | undefined {
    const entry = this.entries.get(head);
    if (!entry) return undefined;
    if (this.now() - entry.at >= this.ttlMs) {
      this.remove(head, entry);
      return undefined;
    }
    return entry;
  }

  put(head: string, generation: number, headUntilDate: string, body: Buffer | undefined): void {
    if (generation !== this.current) return;
    const size = sizeOf(head, headUntilDate, body);
    if (size > this.maxBytes / 4) return;
    const old = this.entries.get(head);
    if (old) this.remove(head, old);
    while (this.bytes + size > this.maxBytes) {
      const first = this.entries.entries().next().value as [string, HotAnswer];
      this.remove(first[0], first[1]);
    }
    this.entries.set(head, new HotAnswer(headUntilDate, body, this.now()));
    this.bytes += size;
  }

  /** Something a repo serves changed: nothing answered so far is reused (every entry goes; `put` keeps only the current generation's). */
  invalidate(): void {
    this.current++;
    this.entries.clear();
    this.bytes = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  private remove(head: string, entry: HotAnswer): void {
    this.entries.delete(head);
    this.bytes -= sizeOf(head, entry.headUntilDate, entry.body);
  }
}

/** The request head, and the answer twice (its parts, and the buffer made from them). */
function sizeOf(head: string, headUntilDate: string, body: Buffer | undefined): number {
  return head.length + 2 * (headUntilDate.length + (body?.length ?? 0)) + 200;
}
