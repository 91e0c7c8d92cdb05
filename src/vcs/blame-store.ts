import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a blame says of one commit it names: author, ISO 8601 date, first line of its message. */
export interface BlameCommitInfo {
  readonly author: string;
  readonly date: string;
  readonly summary: string;
}

/**
 * A file's blame as stored: per line, the index in `commits` of the commit that last changed it.
 * No line text (that is the file's content at the commit, read from the repository).
 */
export interface StoredBlame {
  readonly commits: readonly (readonly [id: string, info: BlameCommitInfo])[];
  readonly lines: readonly number[];
}

/** One hunk of a `-U0` diff (`@@ -oldStart,oldCount +newStart,newCount @@`), 1-based as diff prints them. */
export interface Hunk {
  readonly oldStart: number;
  readonly oldCount: number;
  readonly newStart: number;
  readonly newCount: number;
}

/** A repository's blame store is pruned to half of this when it grows past it (bytes; housekeeping, after pushes). */
export const STORE_MAX_BYTES = 64 * 1024 * 1024;

/** Writes to one store (by this process) between two prunes. */
const PRUNE_EVERY = 256;
const writes = new Map<string, number>();

/** Format of the files; a file of another version is ignored (and rewritten on its next use). */
const VERSION = 1;

/**
 * Ferry's persistent blame store of one repository: immutable facts "the blame of PATH as the
 * commit COMMIT made it", one small JSON file each under DIR (`DIR/ab/cdef…-PATHHASH.json`),
 * written atomically (temporary file, then rename) so concurrent readers and writers on any node
 * see a whole file or none. Keyed by full commit ids, an entry never goes stale: a force-push,
 * strip or rewrite only leaves entries nobody asks for, removed by `prune` (oldest first) when the
 * store outgrows its budget. Everything in it can be recomputed: deleting DIR is always safe.
 */
export class BlameStore {
  constructor(private readonly dir: string) {}

  /** The stored blame of `path` as `commit` made it, or undefined (none, unreadable, other version). */
  read(commit: string, path: string): StoredBlame | undefined {
    try {
      const parsed = JSON.parse(readFileSync(this.file(commit, path), 'utf8')) as { v?: unknown; path?: unknown; commits?: unknown; lines?: unknown };
      if (parsed.v !== VERSION || parsed.path !== path || !Array.isArray(parsed.commits) || !Array.isArray(parsed.lines)) return undefined;
      return { commits: parsed.commits as StoredBlame['commits'], lines: parsed.lines as number[] };
    } catch {
      return undefined;
    }
  }

  /** Stores the blame of `path` as `commit` made it; a failure to write (disk full, read-only) is ignored. */
  write(commit: string, path: string, blame: StoredBlame): void {
    const file = this.file(commit, path);
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      mkdirSync(join(this.dir, commit.slice(0, 2)), { recursive: true });
      writeFileSync(tmp, JSON.stringify({ v: VERSION, path, commits: blame.commits, lines: blame.lines }));
      renameSync(tmp, file);
    } catch {
      rmSync(tmp, { force: true });
    }
    this.wrote();
  }

  /**
   * Counts a write (this process's, or one its hg extension made for it); every PRUNE_EVERY
   * writes the store is pruned, so pages alone (a crawler visiting every blame) keep it within
   * STORE_MAX_BYTES between pushes too.
   */
  wrote(): void {
    const n = (writes.get(this.dir) ?? 0) + 1;
    if (n < PRUNE_EVERY) {
      writes.set(this.dir, n);
      return;
    }
    writes.delete(this.dir);
    this.prune(STORE_MAX_BYTES);
  }

  /**
   * Keeps the store within `maxBytes`: when it holds more, the least recently written files go
   * until it holds half of that. Returns the bytes it holds afterwards.
   */
  prune(maxBytes: number): number {
    const files: { path: string; size: number; mtime: number }[] = [];
    let total = 0;
    let subdirs: string[];
    try {
      subdirs = readdirSync(this.dir);
    } catch {
      return 0;
    }
    for (const sub of subdirs) {
      let names: string[];
      try {
        names = readdirSync(join(this.dir, sub));
      } catch {
        continue;
      }
      for (const name of names) {
        const path = join(this.dir, sub, name);
        try {
          const st = statSync(path);
          // A temporary file older than a minute was left by a writer that died.
          if (name.endsWith('.tmp') && Date.now() - st.mtimeMs > 60_000) {
            rmSync(path, { force: true });
            continue;
          }
          files.push({ path, size: st.size, mtime: st.mtimeMs });
          total += st.size;
        } catch {
          /* removed meanwhile */
        }
      }
    }
    if (total <= maxBytes) return total;
    files.sort((a, b) => a.mtime - b.mtime);
    for (const f of files) {
      if (total <= maxBytes / 2) break;
      rmSync(f.path, { force: true });
      total -= f.size;
    }
    return total;
  }

  private file(commit: string, path: string): string {
    const hash = createHash('sha256').update(path).digest('hex').slice(0, 24);
    return join(this.dir, commit.slice(0, 2), `${commit.slice(2)}-${hash}.json`);
  }
}

/** The hunks of a unified diff made with `-U0` (lines starting `@@ -a[,b] +c[,d] @@`). */
export function parseZeroContextHunks(diff: string): Hunk[] {
  const hunks: Hunk[] = [];
  for (const m of diff.matchAll(/^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/gm)) {
    hunks.push({ oldStart: Number(m[1]), oldCount: m[2] === undefined ? 1 : Number(m[2]), newStart: Number(m[3]), newCount: m[4] === undefined ? 1 : Number(m[4]) });
  }
  return hunks;
}

/**
 * The blame of a file after one single-parent change, from the blame before it and the change's
 * diff without context (`hunks`, in order): lines outside the hunks keep their commit, the lines a
 * hunk adds are the change's (`commit`, `info`). This is how `git blame` and `hg annotate` pass
 * blame through a commit with one parent (git: blame.c pass_blame_to_parent over xdiff hunks with
 * no context; hg: context.py annotate's _annotatepair for one parent), given the same diff.
 * Returns undefined when the hunks do not fit the old blame or do not give `newLineCount` lines
 * (the caller then blames the file in full).
 */
export function applyChange(old: StoredBlame, hunks: readonly Hunk[], commit: string, info: BlameCommitInfo, newLineCount: number): StoredBlame | undefined {
  const ids = old.commits.map(([id]) => id);
  let own = ids.indexOf(commit);
  const commits = [...old.commits];
  if (own < 0 && hunks.some((h) => h.newCount > 0)) {
    own = commits.length;
    commits.push([commit, info]);
  }
  const lines: number[] = [];
  let oldPos = 0;
  for (const h of hunks) {
    // With no old lines, oldStart names the line after which the new ones go (0: at the top).
    const start = h.oldCount === 0 ? h.oldStart : h.oldStart - 1;
    if (start < oldPos || start + h.oldCount > old.lines.length) return undefined;
    for (let i = oldPos; i < start; i++) lines.push(old.lines[i] as number);
    if (h.newCount > 0 && lines.length !== h.newStart - 1) return undefined;
    for (let i = 0; i < h.newCount; i++) lines.push(own);
    oldPos = start + h.oldCount;
  }
  for (let i = oldPos; i < old.lines.length; i++) lines.push(old.lines[i] as number);
  if (lines.length !== newLineCount) return undefined;
  return compact({ commits, lines });
}

/** Drops the commits no line names any more and renumbers the lines. */
function compact(b: StoredBlame): StoredBlame {
  const used = new Map<number, number>();
  const commits: (readonly [string, BlameCommitInfo])[] = [];
  const lines = b.lines.map((i) => {
    let j = used.get(i);
    if (j === undefined) {
      j = commits.length;
      used.set(i, j);
      commits.push(b.commits[i] as readonly [string, BlameCommitInfo]);
    }
    return j;
  });
  return { commits, lines };
}

/** Lines of a file as blame counts them: split at LF, a last line without LF counted, none for an empty file. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}
