/**
 * Names that are bytes, not text. Mercurial and git store file names (and git its ref names,
 * authors and messages) as raw bytes that need not be UTF-8: a Latin-1 `caf\xe9.txt` committed
 * under a Latin-1 locale, or any byte sequence. Ferry keeps such a name in a JS string without
 * losing a byte, the way Python's `surrogateescape` error handler does (PEP 383): valid UTF-8
 * decodes as usual, and each byte that is not part of valid UTF-8 becomes the lone surrogate
 * U+DC80 + (byte - 0x80) (bytes below 0x80 are always valid). Encoding gives the same bytes back,
 * so a name read from hg or git output reaches hg or git again unchanged.
 *
 * At the edges: HTML and JSON show such a name with U+FFFD (`displayName`), URLs carry its bytes
 * percent-encoded (`encodeUrlSegment`, RFC 3986 §2.1), and a URL's segments decode back to the
 * same name (`decodeUrlSegment`) — so following a link reaches the same file (docs/urls.md).
 */

import { isUtf8 } from 'node:buffer';

const ESCAPE_BASE = 0xdc00;
const ESCAPED = /[\udc80-\udcff]/;
const ESCAPED_ALL = /[\udc80-\udcff]/g;

/** The length of the valid UTF-8 sequence starting at `i` (RFC 3629 §4), or 0 when there is none. */
function sequenceLength(b: Buffer, i: number): number {
  const c = b[i] as number;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < b.length && (b[i + k] as number) >= lo && (b[i + k] as number) <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  // 0xED 0xA0..0xBF would encode a surrogate: not valid UTF-8, so each byte is escaped.
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c >= 0xe1 && c <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** Bytes from hg or git to a string that keeps every byte (see the module comment). */
export function decodeBytes(bytes: Buffer): string {
  // Valid UTF-8 (nearly always): one native check instead of a JS call per byte, which took
  // ~100 ms for a 200 KB file before the JIT warmed up (the first blame page after a start).
  if (isUtf8(bytes)) return bytes.toString('utf8');
  let out = '';
  let start = 0;
  let i = 0;
  while (i < bytes.length) {
    const n = sequenceLength(bytes, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += bytes.toString('utf8', start, i) + String.fromCharCode(ESCAPE_BASE + (bytes[i] as number));
    i += 1;
    start = i;
  }
  return start === 0 ? bytes.toString('utf8') : out + bytes.toString('utf8', start);
}

/** The bytes a string from `decodeBytes` came from (UTF-8, escaped bytes restored). */
export function encodeBytes(s: string): Buffer {
  if (!ESCAPED.test(s)) return Buffer.from(s, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc80 || c > 0xdcff) continue;
    // A real low surrogate after a high one is part of a character, not an escaped byte.
    if (i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff) continue;
    parts.push(Buffer.from(s.slice(start, i), 'utf8'), Buffer.of(c - ESCAPE_BASE));
    start = i + 1;
  }
  parts.push(Buffer.from(s.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/** True when the name holds bytes that are not UTF-8. */
export function hasRawBytes(s: string): boolean {
  return ESCAPED.test(s);
}

/** The name as text for people (HTML, JSON, headers): each byte that is not UTF-8 becomes U+FFFD. */
export function displayName(s: string): string {
  return s.replace(ESCAPED_ALL, '\ufffd');
}

/** Percent-encodes one path segment's bytes (RFC 3986 §2.1; unreserved characters stay). */
export function encodeUrlSegment(s: string): string {
  if (!ESCAPED.test(s)) return encodeURIComponent(s);
  let out = '';
  for (const byte of encodeBytes(s)) {
    // ASCII as encodeURIComponent has it; every other byte as %XX.
    out += byte < 0x80 ? encodeURIComponent(String.fromCharCode(byte)) : `%${byte.toString(16).toUpperCase()}`;
  }
  return out;
}

/** Percent-encodes each segment of a slash-separated path (its bytes) for use in a URL. */
export function encodeUrlPath(path: string): string {
  return path.split('/').map(encodeUrlSegment).join('/');
}

/**
 * A percent-encoded URL segment back to the name whose bytes it carries (not necessarily UTF-8).
 * @throws URIError for a `%` not followed by two hex digits.
 */
export function decodeUrlSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    if (/%(?![0-9a-fA-F]{2})/.test(segment)) throw new URIError('malformed percent escape');
    const parts = segment.split(/(%[0-9a-fA-F]{2})/).map((part) => (/^%[0-9a-fA-F]{2}$/.test(part) ? Buffer.of(parseInt(part.slice(1), 16)) : Buffer.from(part, 'utf8')));
    return decodeBytes(Buffer.concat(parts));
  }
}

/**
 * The value of query parameter `key` in a raw query string (`?a=1&b=caf%E9`), its bytes kept as
 * `decodeUrlSegment` keeps them (URLSearchParams would turn `%E9` into U+FFFD), `+` as a space
 * (application/x-www-form-urlencoded); null when absent. A malformed escape falls back to
 * URLSearchParams' reading.
 */
export function searchParam(search: string, key: string): string | null {
  for (const pair of search.replace(/^\?/, '').split('&')) {
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    try {
      if (decodeUrlSegment(rawKey.replace(/\+/g, ' ')) === key) return decodeUrlSegment(rawValue.replace(/\+/g, ' '));
    } catch {
      return new URLSearchParams(search).get(key);
    }
  }
  return null;
}

/** `k=v&…` with each value's bytes percent-encoded (what `searchParam` reads back). */
export function queryString(fields: Readonly<Record<string, string>>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${encodeUrlSegment(k)}=${encodeUrlSegment(v)}`)
    .join('&');
}
