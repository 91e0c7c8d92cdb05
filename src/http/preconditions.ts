import type { IncomingHttpHeaders } from 'node:http';

/** What the current (selected) representation is known by: its entity tag and its modification time. */
export interface Validators {
  /** The ETag as sent (`"opaque"` strong, `W/"opaque"` weak); undefined when the answer has none. */
  readonly etag?: string | undefined;
  /** The Last-Modified time in ms since the epoch (compared in whole seconds); undefined when none is sent. */
  readonly lastModified?: number | undefined;
}

/** What evaluating the preconditions decided: go on with the answer, answer 304 Not Modified, or 412 Precondition Failed. */
export type PreconditionOutcome = 'ok' | 304 | 412;

/**
 * Evaluates a request's precondition fields against the selected representation, in the order
 * of RFC 9110 §13.2.2:
 *
 * 1. `If-Match` (§13.1.1): `*` holds (there is a representation); a list holds when one of its
 *    tags matches the ETag by the STRONG comparison (§8.8.3.2: neither weak, same opaque tag), so
 *    a weak tag never does, nor any tag when the answer has no ETag. False → 412.
 * 2. Else `If-Unmodified-Since` (§13.1.4), ignored when `If-Match` is present, when the value is
 *    not an HTTP-date (§5.6.7) or when there is no Last-Modified: false when the representation
 *    was modified after that date → 412.
 * 3. `If-None-Match` (§13.1.2): `*`, or one of its tags matching the ETag by the WEAK comparison
 *    (opaque tags equal, `W/` aside): the condition is false → 304 for GET and HEAD, 412 for
 *    other methods.
 * 4. Else, for GET and HEAD only, `If-Modified-Since` (§13.1.3), ignored without a valid date or
 *    Last-Modified: not modified since → 304.
 *
 * `If-Range` (§13.1.5) is the Range code's: see `ifRangeHolds`. The caller evaluates only when
 * its answer without the preconditions would be 2xx (§13.2.1); a 412 then goes before any Range
 * handling, and a 304 replaces the 200/206. Repeated lines arrive joined as node joins them
 * (src/http/repeated-fields.ts). Never throws: malformed fields are read as RFC 9110 says.
 */
export function evaluatePreconditions(method: string | undefined, headers: IncomingHttpHeaders, current: Validators): PreconditionOutcome {
  const ifMatch = field(headers['if-match']);
  if (ifMatch !== undefined) {
    if (!listHolds(ifMatch, current.etag, strongMatch)) return 412;
  } else {
    const since = httpDate(field(headers['if-unmodified-since']));
    if (since !== undefined && current.lastModified !== undefined && seconds(current.lastModified) > since) return 412;
  }
  const getOrHead = method === 'GET' || method === 'HEAD';
  const ifNoneMatch = field(headers['if-none-match']);
  if (ifNoneMatch !== undefined) {
    if (listHolds(ifNoneMatch, current.etag, weakMatch)) return getOrHead ? 304 : 412;
  } else if (getOrHead) {
    const since = httpDate(field(headers['if-modified-since']));
    if (since !== undefined && current.lastModified !== undefined && seconds(current.lastModified) <= since) return 304;
  }
  return 'ok';
}

/**
 * Whether a Range request's `If-Range` (RFC 9110 §13.1.5) lets the range be sent: absent, an
 * entity tag matching `current.etag` by the strong comparison, or an HTTP-date equal to the
 * Last-Modified (only a strong validator counts; a weak or unparseable one sends the whole).
 */
export function ifRangeHolds(ifRange: string | string[] | undefined, current: Validators): boolean {
  const joined = field(ifRange);
  if (joined === undefined) return true;
  const value = joined.trim();
  if (value.startsWith('"') || value.startsWith('W/')) {
    const tags = entityTags(value);
    return tags !== undefined && tags.length === 1 && current.etag !== undefined && strongMatch(tags[0] as string, current.etag);
  }
  const date = httpDate(value);
  return date !== undefined && current.lastModified !== undefined && seconds(current.lastModified) === date;
}

function field(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Whether `*` or a tag of the list `value` matches `etag` by `match` (an unparseable list matches nothing). */
function listHolds(value: string, etag: string | undefined, match: (a: string, b: string) => boolean): boolean {
  if (value.trim() === '*') return true;
  if (etag === undefined) return false;
  return entityTags(value)?.some((tag) => match(tag, etag)) ?? false;
}

/** Strong comparison (RFC 9110 §8.8.3.2): both strong, the same opaque tag. */
function strongMatch(a: string, b: string): boolean {
  return !a.startsWith('W/') && !b.startsWith('W/') && a === b;
}

/** Weak comparison (RFC 9110 §8.8.3.2): the same opaque tag, either or both weak. */
function weakMatch(a: string, b: string): boolean {
  return opaque(a) === opaque(b);
}

function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/**
 * The entity tags of a comma list (RFC 9110 §8.8.3: `[W/] DQUOTE *etagc DQUOTE`, where etagc
 * holds commas too), or undefined when it is not such a list. Empty members are allowed (§5.6.1).
 */
function entityTags(value: string): string[] | undefined {
  const tags: string[] = [];
  let i = 0;
  const n = value.length;
  const skipSpace = () => {
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
  };
  for (;;) {
    skipSpace();
    if (i < n && value[i] !== ',') {
      const start = i;
      if (value.startsWith('W/', i)) i += 2;
      if (value[i] !== '"') return undefined;
      const close = value.indexOf('"', i + 1);
      if (close < 0) return undefined;
      for (let c = i + 1; c < close; c++) if (!ETAGC.test(value[c] as string)) return undefined;
      i = close + 1;
      tags.push(value.slice(start, i));
      skipSpace();
    }
    if (i >= n) return tags;
    if (value[i] !== ',') return undefined;
    i++;
  }
}

/** etagc: %x21 / %x23-7E / obs-text (RFC 9110 §8.8.3). */
const ETAGC = /^[\x21\x23-\x7e\x80-\xff]$/;

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) ([A-Z][a-z]{2}) (\d{4}) (\d\d):(\d\d):(\d\d) GMT$/;
const RFC850_DATE = /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d\d)-([A-Z][a-z]{2})-(\d\d) (\d\d):(\d\d):(\d\d) GMT$/;
const ASCTIME_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\d{4})$/;

/**
 * An HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, or the obsolete RFC 850 and asctime forms, all
 * UTC) in seconds since the epoch; undefined for anything else (then the field is ignored).
 */
export function httpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  let parts: [string, string, number, string, string, string] | undefined;
  let m = IMF_FIXDATE.exec(text);
  if (m) parts = [m[1] as string, m[2] as string, Number(m[3]), m[4] as string, m[5] as string, m[6] as string];
  else if ((m = RFC850_DATE.exec(text))) {
    // Two-digit years: more than 50 years in the future means the past century (RFC 9110 §5.6.7).
    let year = 2000 + Number(m[3]);
    if (year > new Date().getUTCFullYear() + 50) year -= 100;
    parts = [m[1] as string, m[2] as string, year, m[4] as string, m[5] as string, m[6] as string];
  } else if ((m = ASCTIME_DATE.exec(text))) parts = [(m[2] as string).trim(), m[1] as string, Number(m[6]), m[3] as string, m[4] as string, m[5] as string];
  if (!parts) return undefined;
  const [day, monthName, year, hour, minute, second] = parts;
  const month = MONTHS.indexOf(monthName);
  if (month < 0) return undefined;
  const ms = Date.UTC(year, month, Number(day), Number(hour), Number(minute), Number(second));
  const back = new Date(ms);
  // 31 Feb, 25:00 and the like are not dates.
  if (back.getUTCDate() !== Number(day) || back.getUTCHours() !== Number(hour) || back.getUTCMinutes() !== Number(minute) || back.getUTCSeconds() !== Number(second)) return undefined;
  return ms / 1000;
}
