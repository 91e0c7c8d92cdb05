import { SizedLru, stringBytes } from '../vcs/sized-lru.js';
import { trustedHtml, type SafeHtml } from './html.js';

const MB = 1024 * 1024;

/**
 * The rendered diff section (stats line, file index, capped diffs) of commit and compare pages,
 * kept as one flat string. Only what commit ids make immutable goes in: the key names the
 * repository's URL (its links) and the full ids the diff is between, never a page URL or a ref
 * name, so a push or a moved branch can never serve a stale section; the rest of the page
 * (header, refs, statuses, commit lists) is built on every request. Bounded in bytes (least
 * recently used goes first; one section over a quarter of the budget is not kept).
 */
export class RenderedDiffs {
  private readonly lru: SizedLru<string>;

  /** @param maxBytes the budget, in bytes of string held (default 32 MB) */
  constructor(maxBytes = 32 * MB) {
    this.lru = new SizedLru<string>(maxBytes, stringBytes);
  }

  /**
   * The section for `key` (see `renderedDiffKey`), or renders, keeps and returns it.
   * `render` must depend on nothing but what the key names.
   */
  async through(key: string, render: () => Promise<SafeHtml>): Promise<SafeHtml> {
    // Flattened once here (V8 keeps a template's output as a tree of pieces; sending it copies
    // them all), so a warm page copies one string.
    return trustedHtml(await this.lru.through(key, async () => flat((await render()).value)));
  }
}

/**
 * The key of a rendered diff: what kind of section, the repository's base URL, and the full
 * commit ids (e.g. `commit`, `/team/app`, ID or `compare`, `/team/app`, BASE_ID, HEAD_ID).
 */
export function renderedDiffKey(kind: 'commit' | 'compare', base: string, ...ids: readonly string[]): string {
  return [kind, base, ...ids].join('\0');
}

/** A flat copy of `s` (one allocation) rather than V8's tree of concatenated pieces. */
function flat(s: string): string {
  // Searching flattens the string in place (V8 String::Flatten); every later read shares that.
  s.indexOf('\0');
  return s;
}
