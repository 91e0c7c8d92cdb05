import { join } from 'node:path';
import { decodeBytes } from '../../domain/byte-names.js';
import { applyChange, parseZeroContextHunks, splitLines, type BlameCommitInfo, type BlameStore, type StoredBlame } from '../blame-store.js';
import type { GitObject } from './cat-file.js';

/** What the blame engine needs of one bare repository. */
export interface GitBlameSource {
  readonly store: BlameStore;
  /** Runs git in the repository (GIT_LITERAL_PATHSPECS set) and returns its standard output. */
  readonly git: (args: string[]) => Promise<Buffer>;
  /** An object by name (`id`, `id:path`), or undefined when there is none. */
  readonly read: (rev: string) => Promise<GitObject | undefined>;
}

/**
 * At most this many single-parent changes of a file are applied to a stored blame before the
 * file is blamed in full instead (each costs a `git rev-list` and a `git diff`, ~10 ms).
 */
export const MAX_DERIVED_STEPS = 40;

/**
 * The blame of `path` at commit `id` (full id; the path must be a blob there), exactly as
 * `git blame --porcelain id -- path` attributes it, through Ferry's blame store:
 * 1. A stored blame of `id` itself answers at once; otherwise `git rev-list -n 1 id -- path`
 *    names the commit that made the file as `id` sees it (history simplification,
 *    git-rev-list(1) "History Simplification": a merge that kept one parent's file is passed
 *    through to that parent, as blame.c does); blame at `id` is blame at it.
 * 2. A stored blame of that commit answers at once.
 * 3. Otherwise, while the commit has exactly one parent that has the file at the same path, the
 *    walk goes on from the parent's own last change, until one has a stored blame; the changes
 *    are then applied forward (blame-store.ts applyChange, each with the `git diff -U0` of the
 *    file, the same xdiff with no context that git blame runs) and each result is stored.
 * 4. A merge, a root commit, a rename (the path absent from the parent: git blame then follows
 *    the file under its old name) or more than MAX_DERIVED_STEPS changes: `git blame --porcelain`
 *    of the file, whose answer is stored.
 */
export async function gitBlame(src: GitBlameSource, id: string, path: string): Promise<StoredBlame> {
  // An entry is the blame at its commit, whether or not that commit changed the file: no
  // `git rev-list` when `id` itself made the file (a push's head, which housekeeping stores).
  const exact = src.store.read(id, path);
  if (exact) return exact;
  const last = await lastChange(src, id, path);
  if (last === undefined) return fullBlame(src, id, path, undefined);
  const hit = src.store.read(last, path);
  if (hit) return hit;
  // Changes not yet stored, newest first: each with its only parent.
  const steps: { commit: string; parent: string }[] = [];
  let commit = last;
  let base: StoredBlame | undefined;
  while (steps.length < MAX_DERIVED_STEPS) {
    const parents = await parentsOf(src, commit);
    if (parents.length !== 1) break;
    const parent = parents[0] as string;
    if ((await src.read(`${parent}:${path}`))?.type !== 'blob') break;
    steps.push({ commit, parent });
    const before = await lastChange(src, parent, path);
    if (before === undefined) break;
    base = src.store.read(before, path);
    if (base) break;
    commit = before;
  }
  if (!base) return fullBlame(src, last, path, last);
  const infos = await commitInfos(src, steps.map((s) => s.commit));
  for (const step of steps.reverse()) {
    const blob = await src.read(`${step.commit}:${path}`);
    if (blob?.type !== 'blob') return fullBlame(src, last, path, last);
    const diff = await src.git(['diff', '--no-ext-diff', '--no-textconv', '--no-color', '--no-renames', '--text', '-U0', step.parent, step.commit, '--', path]);
    const next = applyChange(base, parseZeroContextHunks(decodeBytes(diff)), step.commit, infos.get(step.commit) ?? { author: '', date: '', summary: '' }, splitLines(decodeBytes(blob.data)).length);
    if (!next) return fullBlame(src, last, path, last);
    src.store.write(step.commit, path, next);
    base = next;
  }
  return base;
}

/** The commit that last changed `path` as `id` sees it (`git rev-list -n 1`), or undefined. */
async function lastChange(src: GitBlameSource, id: string, path: string): Promise<string | undefined> {
  const out = decodeBytes(await src.git(['rev-list', '-n', '1', id, '--', path])).trim();
  return /^[0-9a-f]{40,64}$/.test(out) ? out : undefined;
}

async function parentsOf(src: GitBlameSource, id: string): Promise<string[]> {
  const obj = await src.read(id);
  if (obj?.type !== 'commit') return [];
  const head = decodeBytes(obj.data.subarray(0, Math.max(0, obj.data.indexOf('\n\n'))));
  return [...head.matchAll(/^parent ([0-9a-f]{40,64})$/gm)].map((m) => m[1] as string);
}

/** Author (mailmap applied, as blame's porcelain `author`), date and first line of each commit. */
async function commitInfos(src: GitBlameSource, ids: string[]): Promise<Map<string, BlameCommitInfo>> {
  const out = new Map<string, BlameCommitInfo>();
  if (ids.length === 0) return out;
  const text = decodeBytes(await src.git(['log', '--no-walk=unsorted', '--date=raw', '--format=%H%x1f%aN%x1f%ad%x1f%B%x1e', ...ids, '--']));
  for (const rec of text.split('\x1e')) {
    const [id, author, date, body] = rec.replace(/^\n/, '').split('\x1f');
    if (!id || author === undefined || date === undefined) continue;
    const [seconds, zone] = date.split(' ');
    out.set(id, { author, date: isoWithZone(Number(seconds), zone ?? '+0000'), summary: (body ?? '').replace(/^\n+/, '').split('\n')[0] ?? '' });
  }
  return out;
}

/** `git blame --porcelain id -- path` (git-blame(1) "THE PORCELAIN FORMAT"), stored under `storeAs` when given. */
async function fullBlame(src: GitBlameSource, id: string, path: string, storeAs: string | undefined): Promise<StoredBlame> {
  const out = decodeBytes(await src.git(['blame', '--porcelain', id, '--', path]));
  const index = new Map<string, number>();
  const commits: (readonly [string, BlameCommitInfo])[] = [];
  const details = new Map<string, { author: string; time: number; zone: string; summary: string }>();
  const lines: number[] = [];
  let current = '';
  for (const line of out.split('\n')) {
    if (line.startsWith('\t')) {
      let i = index.get(current);
      if (i === undefined) {
        i = commits.length;
        index.set(current, i);
        commits.push([current, { author: '', date: '', summary: '' }]);
      }
      lines.push(i);
      continue;
    }
    const header = /^([0-9a-f]{40,64}) \d+ \d+/.exec(line);
    if (header) {
      current = header[1] as string;
      if (!details.has(current)) details.set(current, { author: '', time: 0, zone: '+0000', summary: '' });
      continue;
    }
    const d = details.get(current);
    if (!d) continue;
    if (line.startsWith('author ')) d.author = line.slice(7);
    else if (line.startsWith('author-time ')) d.time = Number(line.slice(12));
    else if (line.startsWith('author-tz ')) d.zone = line.slice(10);
    else if (line.startsWith('summary ')) d.summary = line.slice(8);
  }
  const blame: StoredBlame = {
    commits: commits.map(([c]) => {
      const d = details.get(c);
      return [c, { author: d?.author ?? '', date: isoWithZone(d?.time ?? 0, d?.zone ?? '+0000'), summary: d?.summary ?? '' }] as const;
    }),
    lines,
  };
  if (storeAs !== undefined) src.store.write(storeAs, path, blame);
  return blame;
}

/** `seconds` since the epoch in the zone `±hhmm`, as ISO 8601 with that offset. */
export function isoWithZone(seconds: number, zone: string): string {
  const sign = zone.startsWith('-') ? -1 : 1;
  const offsetMin = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
  const local = new Date((seconds + offsetMin * 60) * 1000).toISOString().slice(0, 19);
  return `${local}${zone.slice(0, 3)}:${zone.slice(3)}`;
}

/** Where Ferry keeps the blame store of the bare repository DIR: inside it, so it moves and goes with the repo. */
export function gitBlameStoreDir(dir: string): string {
  return join(dir, 'ferry-blame');
}
