import { hotKeyOf } from './hot-answers.js';

/**
 * The bytes of an HTTP token (RFC 9110 section 5.6.2, `tchar`): 1, else 0. Upper-case letters are
 * tokens too (field names are case-insensitive).
 */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;

/** The bytes a field value may hold (tab, visible ASCII, space, obs-text: RFC 9110 section 5.5): 1, else 0. */
const VCHAR = new Uint8Array(256);
VCHAR[0x09] = 1;
for (let c = 0x20; c <= 0xff; c++) if (c !== 0x7f) VCHAR[c] = 1;

/** The fields a reused answer's key or the lane's rules depend on, by lower-case name. */
const enum Field {
  Other,
  Host,
  Connection,
  Authorization,
  AcceptEncoding,
  IfNoneMatch,
  IfModifiedSince,
  Range,
  IfRange,
  /**
   * The long way: a body or an upgrade (transfer-encoding, content-length, upgrade, expect), and
   * the preconditions no reused answer is keyed on (if-match, if-unmodified-since: hotKey).
   */
  NotHere,
}

const FIELDS = new Map<string, Field>([
  ['host', Field.Host],
  ['connection', Field.Connection],
  ['authorization', Field.Authorization],
  ['accept-encoding', Field.AcceptEncoding],
  ['if-none-match', Field.IfNoneMatch],
  ['if-modified-since', Field.IfModifiedSince],
  ['range', Field.Range],
  ['if-range', Field.IfRange],
  ['transfer-encoding', Field.NotHere],
  ['content-length', Field.NotHere],
  ['upgrade', Field.NotHere],
  ['expect', Field.NotHere],
  ['if-match', Field.NotHere],
  ['if-unmodified-since', Field.NotHere],
]);
/** The longest name in FIELDS: longer names are none of them. */
const LONGEST_FIELD = 19;
/** FIELDS' names by length, as lower-case bytes: a name is compared byte by byte, never made into a string. */
const BY_LENGTH: (readonly [Uint8Array, Field])[][] = Array.from({ length: LONGEST_FIELD + 1 }, () => []);
for (const [name, field] of FIELDS) BY_LENGTH[name.length]?.push([Buffer.from(name, 'latin1'), field]);

/**
 * Which of FIELDS the name `buf[start, start + length)` is (case-insensitively), else Other. The
 * name is already known to be a token: of a token's bytes only letters fold onto letters with
 * `| 0x20`, and FIELDS' names hold only letters and "-".
 */
function fieldAt(buf: Buffer, start: number, length: number): Field {
  if (length > LONGEST_FIELD) return Field.Other;
  for (const [name, field] of BY_LENGTH[length] as (readonly [Uint8Array, Field])[]) {
    let i = 0;
    while (i < length && ((buf[start + i] as number) | 0x20) === name[i]) i++;
    if (i === length) return field;
  }
  return Field.Other;
}

const SP = 0x20;
const HTAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;

/**
 * The reuse key (`hotKey`) of the request head in `buf[0, end)` (`end`: where its blank line
 * starts), read straight from the bytes: no string per field, only the target and the values the
 * key holds. A browser's head carries a dozen fields the answer does not depend on (User-Agent,
 * Referer, Cookie, Sec-Fetch-*); the general parser made two strings and two regular-expression
 * tests of each, a third of a CDN worker's time per reused answer.
 *
 * Undefined whenever the head must go the long way (parseRequestHead): anything that parser
 * refuses, and also a head with credentials (checked there), one that closes the connection (its
 * answer is not reused), a repeated Host, one with If-Match or If-Unmodified-Since (hotKey). Where this returns a key, parseRequestHead accepts the
 * head and `hotKey` of its result is the same string (test/unit/cdn-head-scan.test.ts holds the
 * two to that).
 */
export function scanHead(buf: Buffer, end: number): string | undefined {
  // Request line: GET|HEAD SP /cdn/target SP HTTP/1.x (RFC 9112 section 3).
  let i: number;
  let method: string;
  if (buf[0] === 0x47 && buf[1] === 0x45 && buf[2] === 0x54 && buf[3] === SP) {
    method = 'GET';
    i = 4;
  } else if (buf[0] === 0x48 && buf[1] === 0x45 && buf[2] === 0x41 && buf[3] === 0x44 && buf[4] === SP) {
    method = 'HEAD';
    i = 5;
  } else return undefined;
  const targetStart = i;
  // "/cdn/"
  if (buf[i] !== 0x2f || buf[i + 1] !== 0x63 || buf[i + 2] !== 0x64 || buf[i + 3] !== 0x6e || buf[i + 4] !== 0x2f) return undefined;
  i += 5;
  while (i < end && (buf[i] as number) > SP && (buf[i] as number) < 0x7f) i++;
  const targetEnd = i;
  // " HTTP/1.0" or " HTTP/1.1", then CRLF or the end of the head
  if (i + 9 > end || buf[i] !== SP || buf[i + 1] !== 0x48 || buf[i + 2] !== 0x54 || buf[i + 3] !== 0x54 || buf[i + 4] !== 0x50 || buf[i + 5] !== 0x2f || buf[i + 6] !== 0x31 || buf[i + 7] !== 0x2e) return undefined;
  const minor = buf[i + 8];
  if (minor !== 0x30 && minor !== 0x31) return undefined;
  const http10 = minor === 0x30;
  i += 9;
  if (i < end) {
    if (buf[i] !== CR || buf[i + 1] !== LF) return undefined;
    i += 2;
  }

  let host = false;
  let connection: string | undefined;
  let acceptEncoding: string | undefined;
  let ifNoneMatch: string | undefined;
  let ifModifiedSince: string | undefined;
  let range: string | undefined;
  let ifRange: string | undefined;
  while (i < end) {
    // field-name ":" OWS field-value OWS CRLF (RFC 9112 section 5); no obs-fold.
    const nameStart = i;
    while (i < end && TCHAR[buf[i] as number] === 1) i++;
    const nameEnd = i;
    if (nameEnd === nameStart || buf[i] !== COLON) return undefined;
    i++;
    while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
    const valueStart = i;
    while (i < end && VCHAR[buf[i] as number] === 1) i++;
    let valueEnd = i;
    if (i < end) {
      if (buf[i] !== CR || buf[i + 1] !== LF) return undefined;
      i += 2;
      if (i >= end) return undefined; // a CRLF just before the blank line: parseRequestHead's empty last field
    }
    while (valueEnd > valueStart && (buf[valueEnd - 1] === SP || buf[valueEnd - 1] === HTAB)) valueEnd--;
    switch (fieldAt(buf, nameStart, nameEnd - nameStart)) {
      case Field.Other:
        break;
      case Field.NotHere:
      case Field.Authorization:
        return undefined;
      case Field.Host:
        if (host) return undefined;
        host = true;
        break;
      case Field.Connection:
        connection = joined(connection, buf.toString('latin1', valueStart, valueEnd));
        break;
      case Field.AcceptEncoding:
        acceptEncoding = joined(acceptEncoding, buf.toString('latin1', valueStart, valueEnd));
        break;
      case Field.IfNoneMatch:
        ifNoneMatch = joined(ifNoneMatch, buf.toString('latin1', valueStart, valueEnd));
        break;
      case Field.IfModifiedSince:
        // Not a list: node keeps the first line (src/http/repeated-fields.ts).
        ifModifiedSince ??= buf.toString('latin1', valueStart, valueEnd);
        break;
      case Field.Range:
        range = joined(range, buf.toString('latin1', valueStart, valueEnd));
        break;
      case Field.IfRange:
        ifRange = joined(ifRange, buf.toString('latin1', valueStart, valueEnd));
        break;
    }
  }
  if (!http10 && !host) return undefined;
  if (!keptAlive(http10, connection)) return undefined;
  return hotKeyOf(method, buf.toString('latin1', targetStart, targetEnd), http10, acceptEncoding, ifNoneMatch, ifModifiedSince, range, ifRange);
}

/** A repeated list field's values as node's parser joins them (RFC 9110 section 5.3; src/http/repeated-fields.ts). */
function joined(existing: string | undefined, value: string): string {
  return existing === undefined ? value : `${existing}, ${value}`;
}

/**
 * Whether the connection stays open after the answer (RFC 9112 section 9.3): HTTP/1.1 unless
 * `Connection` (its values joined) holds `close`, HTTP/1.0 only when it holds `keep-alive`. The one
 * rule for this scanner and parseRequestHead.
 */
export function keptAlive(http10: boolean, connection: string | undefined): boolean {
  if (connection === undefined) return !http10;
  const options = connection.toLowerCase();
  return http10 ? /(?:^|,)\s*keep-alive\s*(?:,|$)/.test(options) : !/(?:^|,)\s*close\s*(?:,|$)/.test(options);
}

/**
 * Whether `buffer` holds a line feed not preceded by a carriage return (RFC 9112 section 2.2: not
 * a line end for Ferry, whose CDN lanes wait for CRLF CRLF; node's parser refuses such a head at once).
 */
export function hasBareLf(buffer: Buffer): boolean {
  for (let at = buffer.indexOf(0x0a); at >= 0; at = buffer.indexOf(0x0a, at + 1)) if (at === 0 || buffer[at - 1] !== 0x0d) return true;
  return false;
}
