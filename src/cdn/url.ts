import { decodeUrlSegment } from '../domain/byte-names.js';
import { InvalidInputError } from '../domain/errors.js';

/** A `/cdn/…` URL taken apart: where the repo path may end, the ref, and the file path. */
export interface CdnUrl {
  /** Segments before `@` (the repo path), or every segment when there is no `@`. */
  readonly head: readonly string[];
  /** Present when the URL has `@`: the ref's first segment and everything after it. */
  readonly afterAt: readonly string[] | undefined;
  /** The URL ends in `/`: a directory listing. */
  readonly directory: boolean;
  /** Every decoded segment, `@` left where it was (for an `@` that is part of a file name). */
  readonly segments: readonly string[];
}

/**
 * Parses the raw request target (before any normalisation: `new URL()` would quietly resolve
 * `..`). Refuses `..`, `.`, empty segments, backslashes, NUL and encoded slashes with 400.
 */
export function parseCdnUrl(rawTarget: string): CdnUrl | undefined {
  const q = rawTarget.indexOf('?');
  const raw = q < 0 ? rawTarget : rawTarget.slice(0, q);
  if (raw !== '/cdn' && !raw.startsWith('/cdn/')) return undefined;
  if (/%2f|%5c|%00|\\|\0/i.test(raw)) throw bad('encoded slashes, backslashes and NUL are not allowed in CDN paths');
  const parts = raw.slice('/cdn/'.length).split('/');
  const directory = parts.length > 0 && parts[parts.length - 1] === '';
  if (directory) parts.pop();
  const segments = parts.map((part) => {
    let s: string;
    try {
      s = decodeUrlSegment(part);
    } catch {
      throw bad('the path has a malformed percent escape (% must be followed by two hex digits)');
    }
    if (s === '' || s === '.' || s === '..') throw bad('empty, "." and ".." segments are not allowed in CDN paths');
    if (/[\\/\0]/.test(s)) throw bad('encoded slashes, backslashes and NUL are not allowed in CDN paths');
    return s;
  });
  if (segments.length === 0) throw bad('name a repository: /cdn/PATH@REF/FILE');
  // The first `@` not at the start of a segment may end the repo path (`dist/@scope/x.js` is a file
  // path); when what precedes it is no repository, it is part of a file name (`img/x@2x.png`).
  const at = segments.findIndex((s) => s.indexOf('@') > 0);
  if (at < 0) return { head: segments, afterAt: undefined, directory, segments };
  const segment = segments[at] as string;
  const split = segment.indexOf('@');
  const head = [...segments.slice(0, at), segment.slice(0, split)];
  const ref = segment.slice(split + 1);
  return { head, afterAt: [ref, ...segments.slice(at + 1)], directory, segments };
}

function bad(message: string): InvalidInputError {
  return new InvalidInputError(message);
}
