import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeBytes } from '../../domain/byte-names.js';
import { gitBlame, gitBlameStoreDir, type GitBlameSource } from './blame.js';
import { STORE_MAX_BYTES } from '../blame-store.js';

/** Files whose blame one warm-up brings up to date at most (the most recently changed first). */
export const WARM_MAX_FILES = 200;
/** A warm-up starts no new file after this long (ms); a file's blame in progress is finished. */
export const WARM_BUDGET_MS = 30_000;
/** Commits of the default branch looked at when the store has never been warmed (or its head is gone). */
export const WARM_FIRST_COMMITS = 50;
/** The web page blames no file larger than this (src/web/pages/history.ts), so neither does the warm-up. */
const MAX_BLAME_BYTES = 1024 * 1024;

/** The file in the store that names the default branch's head at the last warm-up. */
export function warmMarker(dir: string): string {
  return join(gitBlameStoreDir(dir), 'warmed');
}

/**
 * After a push (housekeeping, under the repo's lock): brings the stored blames of the files the
 * default branch (HEAD) changed since the last warm-up up to date at its head — each derived from
 * the file's previous stored blame through the new changes, which costs a diff per change, or
 * blamed in full when there is none — so the first blame page after a push or a restart reads a
 * stored answer. Bounded for a big first push: the WARM_MAX_FILES most recently changed files
 * (text, at most 1 MB, as the page shows), no new file after WARM_BUDGET_MS; the rest are blamed
 * on their first view. Then prunes the store to STORE_MAX_BYTES. Returns the files warmed.
 */
export async function warmGitBlames(src: GitBlameSource, dir: string, clock: () => number = Date.now): Promise<number> {
  const started = clock();
  const head = decodeBytes(await src.git(['rev-parse', '--verify', '-q', 'HEAD^{commit}']).catch(() => Buffer.alloc(0))).trim();
  if (!/^[0-9a-f]{40,64}$/.test(head)) return 0;
  let last = '';
  try {
    last = readFileSync(warmMarker(dir), 'utf8').trim();
  } catch {
    /* never warmed */
  }
  const known = /^[0-9a-f]{40,64}$/.test(last) && (await src.read(last))?.type === 'commit';
  if (last === head) return 0;
  const range = known ? [`${last}..${head}`] : ['-n', String(WARM_FIRST_COMMITS), head];
  const names = decodeBytes(await src.git(['log', '--format=', '--name-only', '--no-renames', '-z', ...range, '--'])).split(/[\0\n]/).filter(Boolean);
  const paths = [...new Set(names)];
  let warmed = 0;
  for (const path of paths) {
    if (warmed >= WARM_MAX_FILES || clock() - started > WARM_BUDGET_MS) break;
    const blob = await src.read(`${head}:${path}`);
    if (blob?.type !== 'blob' || blob.data.length > MAX_BLAME_BYTES || blob.data.subarray(0, 8000).includes(0)) continue;
    await gitBlame(src, head, path);
    warmed++;
  }
  src.store.prune(STORE_MAX_BYTES);
  mkdirSync(gitBlameStoreDir(dir), { recursive: true });
  writeFileSync(warmMarker(dir), `${head}\n`);
  return warmed;
}
