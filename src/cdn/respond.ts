import { evaluatePreconditions, ifRangeHolds } from '../http/preconditions.js';
import type { Reply, RequestHead } from '../http/reply.js';
import type { Blob, Encoding } from './blob.js';
import { isActiveContent, isCompressible } from './content-type.js';
import { CORS_HEADERS } from './cors.js';

/** Smallest file worth compressing; below this the headers cost more than the savings. */
const MIN_COMPRESS = 1024;

export interface BlobResponse {
  readonly commit: string;
  readonly cacheControl: string;
  /** Public repos: any origin may read (`Access-Control-Allow-Origin: *`). */
  readonly publicRepo: boolean;
  /** HTML/SVG of untrusted repos get `Content-Security-Policy: sandbox`. */
  readonly trusted: boolean;
}

/**
 * The answer to GET/HEAD for one blob with everything HTTP offers: a strong ETag per
 * representation (`"HASH"` for the bytes as they are, `"HASH-br"` / `"HASH-gz"` for the
 * compressed forms: other bytes, so other strong tags), the preconditions of RFC 9110 §13.2.2
 * against that ETag (If-Match → 412 unless `*` or the same strong tag; If-None-Match → 304; see
 * src/http/preconditions.ts; no Last-Modified is sent, so If-Unmodified-Since and
 * If-Modified-Since are ignored), a single byte Range (416 when unsatisfiable; If-Range needs the
 * strong tag), a precompressed br/gzip form when the client takes it and it is smaller.
 * Synchronous once the compressed form exists (every request but the first for a file version).
 */
export function blobReply(req: RequestHead, blob: Blob, contentType: string, options: BlobResponse): Reply | Promise<Reply> {
  const range = req.headers.range;
  const ifRange = req.headers['if-range'];
  // A range is of the bytes as they are (never compressed), so If-Range holds for their tag.
  const useRange = range !== undefined && ifRangeHolds(ifRange, { etag: blob.etag });
  const compressible = blob.data.length > MIN_COMPRESS && isCompressible(contentType);
  const encoding = compressible && !useRange ? chooseEncoding(req.headers['accept-encoding']) : undefined;
  const served = { contentType, compressible };
  if (encoding) {
    const ready = blob.ready(encoding);
    if (ready === undefined) return Promise.resolve(blob.encoded(encoding)).then((encoded) => replyWith(req, blob, served, options, encoded ? { encoding, body: encoded } : undefined, useRange));
    return replyWith(req, blob, served, options, ready ? { encoding, body: ready } : undefined, useRange);
  }
  return replyWith(req, blob, served, options, undefined, useRange);
}

/** What the file's name decides about its answer (never kept on the Blob, which other names share). */
interface Served {
  readonly contentType: string;
  readonly compressible: boolean;
}

function replyWith(req: RequestHead, blob: Blob, served: Served, options: BlobResponse, encoded: { encoding: Encoding; body: Buffer } | undefined, useRange: boolean): Reply {
  const headers: Record<string, string | number> = {
    'Content-Type': served.contentType,
    'Cache-Control': options.cacheControl,
    'X-Ferry-Commit': options.commit,
    'X-Content-Type-Options': 'nosniff',
    'Accept-Ranges': 'bytes',
  };
  if (options.publicRepo) Object.assign(headers, CORS_HEADERS);
  if (!options.trusted && isActiveContent(served.contentType)) headers['Content-Security-Policy'] = 'sandbox';
  if (served.compressible) headers.Vary = 'Accept-Encoding';
  let body = blob.data;
  let etag = blob.etag;
  if (encoded) {
    body = encoded.body;
    etag = `"${blob.hash}-${encoded.encoding === 'br' ? 'br' : 'gz'}"`;
    headers['Content-Encoding'] = encoded.encoding;
  }
  headers.ETag = etag;
  const outcome = evaluatePreconditions(req.method, req.headers, { etag });
  if (outcome === 304) {
    delete headers['Content-Type'];
    return { status: 304, headers };
  }
  if (outcome === 412) return preconditionFailed(headers);
  const range = req.headers.range;
  if (useRange && range !== undefined) {
    const r = parseRange(range, body.length);
    if (r === 'unsatisfiable') {
      headers['Content-Range'] = `bytes */${body.length}`;
      headers['Content-Type'] = 'text/plain; charset=utf-8';
      delete headers['Content-Security-Policy'];
      const msg = `range ${range} is outside the file (${body.length} bytes)\n`;
      headers['Content-Length'] = Buffer.byteLength(msg);
      return { status: 416, headers, body: msg };
    }
    if (r) {
      headers['Content-Range'] = `bytes ${r.start}-${r.end}/${body.length}`;
      headers['Content-Length'] = r.end - r.start + 1;
      return { status: 206, headers, body: body.subarray(r.start, r.end + 1) };
    }
  }
  headers['Content-Length'] = body.length;
  return { status: 200, headers, body };
}

/**
 * The encoding an `Accept-Encoding` value gets for a compressible file: of br and gzip (x-gzip),
 * the one with the higher weight (RFC 9110 section 12.5.3; `q` defaults to 1, `*` stands for a
 * coding not named, `q=0` refuses), br on a tie; undefined for neither (the file as it is).
 */
export function chooseEncoding(accept: string | undefined): Encoding | undefined {
  if (!accept) return undefined;
  const weights = new Map<string, number>();
  for (const part of accept.split(',')) {
    const [rawName = '', ...params] = part.split(';');
    const name = rawName.trim().toLowerCase();
    if (name === '') continue;
    const q = params.map((p) => /^\s*q\s*=\s*([\d.]+)\s*$/i.exec(p)?.[1]).find((v) => v !== undefined);
    const weight = q === undefined ? 1 : Number(q);
    weights.set(name === 'x-gzip' ? 'gzip' : name, Number.isFinite(weight) ? weight : 0);
  }
  const wildcard = weights.get('*') ?? 0;
  const br = weights.get('br') ?? wildcard;
  const gzip = weights.get('gzip') ?? wildcard;
  if (br <= 0 && gzip <= 0) return undefined;
  return br >= gzip ? 'br' : 'gzip';
}

/**
 * 412 Precondition Failed without a body (RFC 9110 §15.5.13): the current ETag, Vary,
 * the commit and CORS stay; `Cache-Control: no-store` replaces the representation's, so no cache keeps the 412.
 */
function preconditionFailed(headers: Record<string, string | number>): Reply {
  const kept: Record<string, string | number> = { ...headers, 'Content-Length': 0 };
  for (const name of ['Content-Type', 'Content-Encoding', 'Content-Security-Policy', 'Cache-Control', 'Accept-Ranges']) delete kept[name];
  kept['Cache-Control'] = 'no-store';
  return { status: 412, headers: kept };
}

/** One `bytes=` range; undefined to ignore the header (several ranges, other units, nonsense). */
function parseRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1) };
}
