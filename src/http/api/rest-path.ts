import { decodeUrlSegment, searchParam } from '../../domain/byte-names.js';
import type { Context } from 'hono';
import { InvalidInputError } from '../../domain/errors.js';
import type { ApiEnv } from './env.js';

/**
 * The part of the request path after its first `fixed` segments, percent-decoded segment by
 * segment: the `{filepath}` of `/api/v1/repos/{owner}/{repo}/contents/{filepath}`, which may hold
 * slashes (the router matches it as `*`; owners keep their slashes URL-encoded, so counting
 * segments is exact). `..` and empty segments are refused: a path names a file in the repo.
 * @throws InvalidInputError FERRY_INVALID_INPUT for a malformed escape or segment.
 */
export function restOfPath(c: Context<ApiEnv>, fixed: number): string {
  const raw = new URL(c.req.url).pathname.split('/').slice(fixed + 1);
  const segments: string[] = [];
  for (const part of raw) {
    let seg: string;
    try {
      seg = decodeUrlSegment(part);
    } catch {
      throw new InvalidInputError('malformed URL escape in the file path');
    }
    if (seg === '' && segments.length === raw.length - 1) continue;
    if (seg === '' || seg === '.' || seg === '..' || seg.includes('/') || seg.includes('\0')) throw new InvalidInputError(`bad file path segment ${JSON.stringify(seg)}: give a path inside the repository`);
    segments.push(seg);
  }
  return segments.join('/');
}

/**
 * Query parameter `key` read from the raw request URL, keeping bytes that are not UTF-8
 * (`?ref=caf%E9`, a git branch named in Latin-1; src/domain/byte-names.ts), which the router's
 * own decoding leaves as `%E9`. Undefined when absent.
 */
export function rawQueryParam(c: Context<ApiEnv>, key: string): string | undefined {
  return searchParam(new URL(c.req.url).search, key) ?? undefined;
}

/** The request path's last segment, percent-decoded to its bytes (a `{branch}` of any bytes). */
export function lastPathSegment(c: Context<ApiEnv>): string {
  try {
    return decodeUrlSegment(new URL(c.req.url).pathname.split('/').pop() ?? '');
  } catch {
    throw new InvalidInputError('malformed URL escape in the path');
  }
}
