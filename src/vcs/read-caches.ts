import type { Blame, CommitChanges, CommitInfo, TreeEntry } from './browse.js';
import { ByteCache } from './byte-cache.js';
import { SizedLru, stringBytes } from './sized-lru.js';

/**
 * What the repository browsers keep in memory, shared by every repository and each bounded in
 * bytes (least recently used goes first). Keys start with the repository directory and a NUL
 * (`cacheKey`), so one repository's entries can be dropped together.
 * - diffs, blames, trees, manifests and hg file contents: immutable for a full commit id (and path);
 * - logs: immutable for a full commit id, or keyed by the refs stamp when they depend on refs.
 */
export interface ReadCaches {
  readonly diffs: ByteCache;
  /** hg: a file's bytes per (changeset, path); git reads blobs through its cat-file process instead. */
  readonly blobs: ByteCache;
  readonly blames: SizedLru<Blame>;
  readonly logs: SizedLru<readonly CommitInfo[]>;
  /** What each commit changed (files, line counts) per full id. */
  readonly changes: SizedLru<CommitChanges>;
  readonly trees: SizedLru<readonly TreeEntry[]>;
  /** hg: per changeset, every file path mapped to whether it is a symlink. */
  readonly manifests: SizedLru<ReadonlyMap<string, boolean>>;
}

/** Budgets in bytes; the defaults add up to 272 MB at most. */
export interface ReadCacheBudgets {
  readonly diffs: number;
  readonly blobs: number;
  readonly blames: number;
  readonly logs: number;
  readonly changes: number;
  readonly trees: number;
  readonly manifests: number;
}

const MB = 1024 * 1024;
export const DEFAULT_READ_CACHE_BUDGETS: ReadCacheBudgets = { diffs: 64 * MB, blobs: 32 * MB, blames: 64 * MB, logs: 32 * MB, changes: 16 * MB, trees: 32 * MB, manifests: 32 * MB };

export function createReadCaches(budgets: ReadCacheBudgets = DEFAULT_READ_CACHE_BUDGETS): ReadCaches {
  return {
    diffs: new ByteCache(budgets.diffs),
    blobs: new ByteCache(budgets.blobs),
    blames: new SizedLru<Blame>(budgets.blames, blameBytes),
    logs: new SizedLru<readonly CommitInfo[]>(budgets.logs, (commits) => commits.reduce((n, c) => n + commitBytes(c), 64)),
    changes: new SizedLru<CommitChanges>(budgets.changes, (c) => c.files.reduce((n, f) => n + 48 + stringBytes(f.path), 64)),
    trees: new SizedLru<readonly TreeEntry[]>(budgets.trees, (entries) => entries.reduce((n, e) => n + 64 + stringBytes(e.name) + (e.id ? stringBytes(e.id) : 0), 64)),
    manifests: new SizedLru<ReadonlyMap<string, boolean>>(budgets.manifests, (files) => {
      let n = 64;
      for (const path of files.keys()) n += 48 + stringBytes(path);
      return n;
    }),
  };
}

/** The key of `parts` for the repository at `dir`. */
export function cacheKey(dir: string, ...parts: readonly (string | number)[]): string {
  return [dir, ...parts].join('\0');
}

/** Forgets everything cached for the repository at `dir`. */
export function dropRepo(caches: ReadCaches, dir: string): void {
  const prefix = `${dir}\0`;
  caches.diffs.deletePrefix(prefix);
  caches.blobs.deletePrefix(prefix);
  caches.blames.deletePrefix(prefix);
  caches.logs.deletePrefix(prefix);
  caches.changes.deletePrefix(prefix);
  caches.trees.deletePrefix(prefix);
  caches.manifests.deletePrefix(prefix);
}

/**
 * What `ids` changed, from the cache where known; the others read with one `read(missing)` call
 * and kept (a commit id's changes never change). Ids `read` does not answer are left out.
 */
export async function changesThrough(caches: ReadCaches, dir: string, ids: readonly string[], read: (missing: readonly string[]) => Promise<ReadonlyMap<string, CommitChanges>>): Promise<ReadonlyMap<string, CommitChanges>> {
  const out = new Map<string, CommitChanges>();
  const missing: string[] = [];
  for (const id of ids) {
    const hit = caches.changes.get(cacheKey(dir, 'changes', id));
    if (hit) out.set(id, hit);
    else if (!missing.includes(id)) missing.push(id);
  }
  if (missing.length === 0) return out;
  for (const [id, changes] of await read(missing)) {
    caches.changes.set(cacheKey(dir, 'changes', id), changes);
    out.set(id, changes);
  }
  return out;
}

/** A full commit id (git SHA-1 or SHA-256, hg node): what makes a read immutable. */
export function isFullId(id: string): boolean {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(id);
}

function commitBytes(c: CommitInfo): number {
  let n = 160 + stringBytes(c.id) + stringBytes(c.author) + stringBytes(c.email) + stringBytes(c.date) + stringBytes(c.message);
  for (const p of c.parents) n += stringBytes(p);
  for (const l of c.labels) n += 48 + stringBytes(l.name);
  return n;
}

function blameBytes(b: Blame): number {
  let n = 64;
  for (const line of b.lines) n += 48 + stringBytes(line.text);
  for (const [id, info] of b.commits) n += 96 + stringBytes(id) + stringBytes(info.author) + stringBytes(info.date) + stringBytes(info.summary);
  return n;
}
