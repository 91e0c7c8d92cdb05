import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Nothing under a temp entry changed for this long: its writer is gone (on any node sharing the data dir). */
export const STALE_AFTER_MS = 10 * 60 * 1000;

/**
 * Removes what killed imports and clone bundle builds left in the data dir, at start (the hg push
 * spools and git's own locks and quarantines are handled by src/vcs/hg/spool.ts and
 * src/vcs/recovery.ts):
 * - `DATA/tmp/import-*`: the work dir of `ferry import` (a clone of the source, then moved in);
 * - `DATA/hg-bundles/REPO/*.tmp`: a clone bundle being written (renamed to `.hg` when complete).
 * An entry is stale when nothing in it changed for `STALE_AFTER_MS`: several nodes may share one
 * data dir, and another node's import in flight keeps writing into its own. Returns the removed
 * paths, relative to `dataDir`. Never throws (what cannot be read or removed is left).
 */
export function removeStaleTemp(dataDir: string, now = Date.now()): string[] {
  const candidates: string[] = [];
  for (const name of list(join(dataDir, 'tmp'))) if (name.startsWith('import-')) candidates.push(join('tmp', name));
  for (const repo of list(join(dataDir, 'hg-bundles'))) {
    for (const name of list(join(dataDir, 'hg-bundles', repo))) if (name.endsWith('.tmp')) candidates.push(join('hg-bundles', repo, name));
  }
  const removed: string[] = [];
  for (const rel of candidates) {
    const path = join(dataDir, rel);
    if (now - newestChange(path) < STALE_AFTER_MS) continue;
    try {
      rmSync(path, { recursive: true, force: true });
      removed.push(rel);
    } catch {
      /* left for the next start */
    }
  }
  return removed;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The latest mtime (ms) of `path` and everything under it, without following symlinks. */
export function newestChange(path: string): number {
  let newest = 0;
  const visit = (p: string, depth: number): void => {
    let info;
    try {
      info = lstatSync(p, { throwIfNoEntry: false });
    } catch {
      return;
    }
    if (!info) return;
    newest = Math.max(newest, info.mtimeMs);
    if (info.isDirectory() && depth < 64) for (const name of list(p)) visit(join(p, name), depth + 1);
  };
  visit(path, 0);
  return newest;
}
