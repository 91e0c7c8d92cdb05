import { statfsSync } from 'node:fs';
import { FerryError } from '../domain/errors.js';

/** Free bytes for this (unprivileged) process on the file system holding `dir`. */
export type FreeSpace = (dir: string) => number;

export const statfsFree: FreeSpace = (dir) => {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
};

/**
 * Refuses writes before they start when the data dir's disk is (nearly) full, so that no push
 * runs out of space halfway (hg's own rollback can then fail too, and a repo is left needing
 * `hg recover`). Reads never ask it. `minFree` is `[limits] min_free_disk`; a push whose size is
 * announced needs twice that much more (hg spools the bundle, then writes it into the store).
 */
export class DiskGuard {
  constructor(
    private readonly dataDir: string,
    private readonly minFree: number,
    private readonly free: FreeSpace = statfsFree,
  ) {}

  /** Throws FERRY_DISK_FULL (HTTP 507) when `incomingBytes` would not fit above the reserve. */
  assertRoom(incomingBytes = 0): void {
    let free: number;
    try {
      free = this.free(this.dataDir);
    } catch {
      return; // statfs unavailable: let the write try.
    }
    const needed = this.minFree + 2 * Math.max(0, incomingBytes);
    if (free >= needed) return;
    const what = incomingBytes > 0 ? `this push (${formatBytes(incomingBytes)}) needs about ${formatBytes(needed)}` : `pushes need at least ${formatBytes(needed)}`;
    throw new FerryError('FERRY_DISK_FULL', `the server's disk is nearly full (${formatBytes(free)} free; ${what}): nothing was written; reads still work; ask the admin to free space or lower [limits] min_free_disk`, {
      data: { free, needed },
    });
  }
}

function formatBytes(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`;
}
