import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import { contentTypeOf, isCompressible } from './content-type.js';

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

export type Encoding = 'br' | 'gzip';

/** Smallest file worth compressing; below this the headers cost more than the savings. */
const MIN_COMPRESS = 1024;

/**
 * One file version held in memory: the bytes, a strong ETag from their hash, the type, and its
 * gzip and brotli forms — each made once, on first demand, and only kept when smaller.
 */
export class Blob {
  readonly hash: string;
  readonly etag: string;
  readonly contentType: string;
  readonly compressible: boolean;
  private readonly encodings = new Map<Encoding, Buffer | null | Promise<Buffer | null>>();

  constructor(
    readonly data: Buffer,
    path: string,
    hash: string,
    readonly key: string,
    contentType?: string,
    private readonly onGrow: (bytes: number) => void = () => {},
  ) {
    this.hash = hash;
    this.etag = `"${hash}"`;
    this.contentType = contentType ?? contentTypeOf(path, data);
    this.compressible = data.length > MIN_COMPRESS && isCompressible(this.contentType);
  }

  /** Bytes this blob holds now (grows when compressed forms are added). */
  get bytes(): number {
    let n = this.data.length + 200;
    for (const v of this.encodings.values()) if (v instanceof Buffer) n += v.length;
    return n;
  }

  /** The encoded form if ready (Buffer), known not worth it (null), or not made yet (undefined). */
  ready(encoding: Encoding): Buffer | null | undefined {
    const v = this.encodings.get(encoding);
    return v instanceof Promise ? undefined : v;
  }

  /** Makes (once) and returns the encoded form, or null when it would not be smaller. */
  encoded(encoding: Encoding): Buffer | null | Promise<Buffer | null> {
    if (!this.compressible) return null;
    const existing = this.encodings.get(encoding);
    if (existing !== undefined) return existing;
    const work = (encoding === 'br' ? brotliAsync(this.data, brotliOptions(this.data.length)) : gzipAsync(this.data, { level: 9 })).then(
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

function brotliOptions(size: number) {
  return {
    params: {
      [zlib.BROTLI_PARAM_QUALITY]: size <= 1_000_000 ? 11 : 6,
      [zlib.BROTLI_PARAM_SIZE_HINT]: size,
      [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
    },
  };
}

export function hashOf(data: Buffer): string {
  return createHash('sha1').update(data).digest('hex');
}

/**
 * Blobs shared between snapshots: a push that changes one file of a thousand makes one new blob;
 * the other 999 (and their compressed forms) are the same objects. Reference-counted by snapshot.
 */
export class BlobPool {
  private readonly blobs = new Map<string, { blob: Blob; refs: number }>();
  private total = 0;

  get bytes(): number {
    return this.total;
  }

  acquire(data: Buffer, path: string, contentType?: string): Blob {
    const key = `${hashOf(data)}${contentType === undefined ? '' : `:${contentType}`}`;
    const found = this.blobs.get(key);
    if (found) {
      found.refs++;
      return found.blob;
    }
    const blob: Blob = new Blob(data, path, key.slice(0, 40), key, contentType, (n) => {
      if (this.blobs.get(key)?.blob === blob) this.total += n;
    });
    this.blobs.set(key, { blob, refs: 1 });
    this.total += blob.bytes;
    return blob;
  }

  release(blob: Blob): void {
    const entry = this.blobs.get(blob.key);
    if (entry?.blob !== blob) return;
    if (--entry.refs === 0) {
      this.blobs.delete(blob.key);
      this.total -= blob.bytes;
    }
  }
}
