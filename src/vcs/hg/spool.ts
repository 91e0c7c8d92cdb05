import { mkdirSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where Ferry's hg processes write temporary files (TMPDIR): `RUN/tmp` (`[server] run_dir`,
 * default `DATA/run`: node-local, since orphans are found through this host's /proc). hg spools every
 * pushed bundle there (`hg-unbundle-*`, wireprotov1server.unbundle) before it opens a
 * transaction; on the data dir's own disk, a push that does not fit fails while spooling, before
 * the repository is touched, instead of halfway through a transaction.
 */
export function hgTempDir(runDir: string): string {
  const dir = spoolDir(runDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Never empty: hg removes a temp dir's parents while they are empty (streamclone's cleanup).
  writeFileSync(join(dir, 'KEEP'), 'Temporary files of Ferry\'s hg processes. This file keeps the directory from being removed.\n');
  return dir;
}

/** `RUN/tmp`, without creating it. */
export function spoolDir(runDir: string): string {
  return join(runDir, 'tmp');
}

/**
 * Removes the `hg-unbundle-*` spool files in `dir` that no running process has open (those of an
 * hg killed outright); returns their names. Open files are found through /proc/PID/fd (Linux).
 */
export function removeOrphanSpools(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith('hg-unbundle-'));
  } catch {
    return [];
  }
  if (names.length === 0) return [];
  const open = openPaths();
  const removed: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (open === undefined || open.has(path)) continue;
    rmSync(path, { force: true });
    removed.push(name);
  }
  return removed;
}

/** Every file path some process of this user has open, or undefined without /proc. */
/**
 * After a push: hg leaves its spool file behind when the disk filled while spooling (closing the
 * file flushes, fails again with ENOSPC, and the unlink after it never runs).
 */
export function removeSpoolsAfterPush(runDir: string): void {
  removeOrphanSpools(spoolDir(runDir));
}

function openPaths(): Set<string> | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return undefined;
  }
  const open = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        open.add(readlinkSync(`/proc/${pid}/fd/${fd}`));
      } catch {
        /* gone meanwhile */
      }
    }
  }
  return open;
}
