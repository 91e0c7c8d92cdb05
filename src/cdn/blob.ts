import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import { looksLikeText } from './content-type.js';

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

export type Encoding = 'br' | 'gzip';

/**
 * One file's bytes in memory and what follows from the bytes alone: a strong ETag, whether they
 * read as text, their gzip and brotli forms (each made once, on first demand, kept when smaller).
 * Nothing that belongs to a file *name* lives here (the type, whether to compress, CSP): two files
 * with the same bytes share one Blob and may still be served differently.
 */
export class Blob {
  readonly etag: string;
  private text: boolean | undefined;
  private readonly encodings = new Map<Encoding, Buffer | null | Promise<Buffer | null>>();

  constructor(
    readonly data: Buffer,
    /** A content hash (git blob id, hg file node, or sha1 of the bytes). */
    readonly hash: string,
    private readonly onGrow: (bytes: number) => void = () => {},
  ) {
    this.etag = `"${hash}"`;
  }

  /** Bytes this blob holds now (grows when compressed forms are added). */
  get bytes(): number {
    let n = this.data.length + 200;
    for (const v of this.encodings.values()) if (v instanceof Buffer) n += v.length;
    return n;
  }

  /** Whether the bytes read as UTF-8 text (decided once). */
  get isText(): boolean {
    this.text ??= looksLikeText(this.data);
    return this.text;
  }

  /** The encoded form if ready (Buffer), known not worth it (null), or not made yet (undefined). */
  ready(encoding: Encoding): Buffer | null | undefined {
    const v = this.encodings.get(encoding);
    return v instanceof Promise ? undefined : v;
  }

  /** Makes (once) and returns the encoded form, or null when it would not be smaller. */
  encoded(encoding: Encoding): Buffer | null | Promise<Buffer | null> {
    const existing = this.encodings.get(encoding);
    if (existing !== undefined) return existing;
    const work = (encoding === 'br' ? brotliAsync(this.data, brotliOptions(this.data.length)) : gzipAsync(this.data, { level: GZIP_LEVEL })).then(
      (out) => {
        const kept = out.length < this.data.length * 0.95 ? out : null;
        this.encodings.set(encoding, kept);
        if (kept) this.onGrow(kept.length);
        return kept;
      },
      () => {
        this.encodings.set(encoding, null);
        return null;
      },
    );
    this.encodings.set(encoding, work);
    return work;
  }
}

/**
 * Compression happens on the first request for a file version, in every CDN worker, and after
 * every push for every changed file asked for: it is the cold path. Brotli's quality 11 runs at
 * about 1 MB/s (a 300-file corpus took a worker tens of seconds of CPU before it answered at full
 * speed, bench/cdn.ts); quality 5 runs some 50 times faster and still beats gzip -9 on size, as
 * on-the-fly CDNs choose. gzip level 6 is zlib's default: level 9 costs about twice the CPU for
 * about 1% of size.
 */
const BROTLI_QUALITY = 5;
const GZIP_LEVEL = 6;

function brotliOptions(size: number) {
  return {
    params: {
      [zlib.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [zlib.BROTLI_PARAM_SIZE_HINT]: size,
      [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
    },
  };
}

export function hashOf(data: Buffer): string {
  return createHash('sha1').update(data).digest('hex');
}

/**
 * File contents loaded on demand, by object id (content-addressed, so shared between commits and
 * repos): the most recently used are kept within `budget` bytes, the rest dropped and loaded again
 * when asked for. Concurrent requests for one id share one load. A Blob handed out stays valid
 * after it is dropped here (the caller holds it).
 */
export class BlobCache {
  /** Map iteration order is insertion order: re-inserting on use keeps the LRU at the front. */
  private readonly blobs = new Map<string, Blob>();
  private readonly loading = new Map<string, Promise<Blob>>();
  private total = 0;

  constructor(private readonly budget: number) {}

  /** Bytes held (file contents and their compressed forms). */
  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.blobs.size;
  }

  /** Whether the blob for `id` is held (without marking it used). */
  holds(id: string): boolean {
    return this.blobs.has(id);
  }

  /** The blob for `id` if held (marked as just used), else undefined. */
  peek(id: string): Blob | undefined {
    const blob = this.blobs.get(id);
    if (blob) {
      this.blobs.delete(id);
      this.blobs.set(id, blob);
    }
    return blob;
  }

  /**
   * The blob for `id`: held, being loaded, or loaded now with `load` (then kept if it fits).
   * `hash` (the ETag's value) is a content hash; `id` defaults to it.
   */
  get(hash: string, load: () => Promise<Buffer>, id = hash): Blob | Promise<Blob> {
    const held = this.peek(id);
    if (held) return held;
    let pending = this.loading.get(id);
    if (!pending) {
      pending = load().then(
        (data) => {
          this.loading.delete(id);
          const blob: Blob = new Blob(data, hash, (n) => {
            if (this.blobs.get(id) !== blob) return;
            this.total += n;
            this.trim(id);
          });
          if (blob.bytes <= this.budget / 2) {
            this.blobs.set(id, blob);
            this.total += blob.bytes;
            this.trim(id);
          }
          return blob;
        },
        (err: unknown) => {
          this.loading.delete(id);
          throw err;
        },
      );
      this.loading.set(id, pending);
    }
    return pending;
  }

  /** Drops least recently used blobs until the total fits the budget (never `keep`). */
  private trim(keep: string): void {
    for (const [id, blob] of this.blobs) {
      if (this.total <= this.budget) return;
      if (id === keep) continue;
      this.blobs.delete(id);
      this.total -= blob.bytes;
    }
  }
}
