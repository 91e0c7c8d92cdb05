import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Files in the data dir that several nodes share (DESIGN.md: several `ferry serve` may share one
 * data dir). A reader on another node must never see a file half-written: a truncated hgrc would
 * run hg without Ferry's hooks, an empty key file would make a second, different secret.
 */

/** A temp name no other process on any node uses: `PATH.HOST.PID.tmp`. */
export function tempNameFor(path: string): string {
  return `${path}.${hostname()}.${process.pid}.tmp`;
}

/**
 * Makes `path` hold `content`, atomically (write a temp file, then rename(2) over it); a file that
 * already holds exactly `content` is left untouched, so nodes starting together do not churn.
 */
export function writeSharedFile(path: string, content: string, mode = 0o644): void {
  try {
    if (readFileSync(path, 'utf8') === content) return;
  } catch {
    /* absent: written below */
  }
  const temp = tempNameFor(path);
  try {
    writeFileSync(temp, content, { mode });
    renameSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
}

/**
 * Creates `path` with `make()`'s content unless it exists, and returns what `path` holds. The file
 * appears whole (link(2) of a complete temp file fails with EEXIST if another node got there
 * first), so every node reads the same first-written secret.
 */
export function createSharedFileOnce(path: string, make: () => string, mode = 0o600): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const temp = tempNameFor(path);
  try {
    writeFileSync(temp, make(), { mode });
    linkSync(temp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(temp, { force: true });
  }
  return readFileSync(path, 'utf8');
}
