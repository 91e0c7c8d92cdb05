import { copyFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runProcess } from '../vcs/process.js';

export interface HgTool {
  readonly executable: string;
  readonly env: NodeJS.ProcessEnv;
}

/** What a copied hg repo holds: heads, bookmarks, counts (for the manifest and for checks). */
export interface HgDescription {
  readonly heads: string[];
  readonly refs: Record<string, string>;
  readonly changesets: number;
  readonly obsMarkers: number;
}

/** How many times a copy is retried while a push holds the repo's lock before hg's pull path is used. */
const LOCK_RETRIES = 40;
const LOCK_RETRY_MS = 250;

/**
 * Copies the hg repo at `source` to `dest` (which must not exist) the way `hg clone -U` copies a
 * local repo: under the source's store lock (mercurial/hg.py `clone`, `copystore`), so a push that
 * runs meanwhile is either wholly in the copy or wholly out. The copy includes what `hg clone`
 * copies from the store — revlogs, `phaseroots`, `obsstore` — and `.hg/bookmarks`; the repo's own
 * `.hg/hgrc` (Ferry's phase setting) is copied beside them, since it is written only by Ferry.
 * When the lock is held (a push runs), hg would fall back to pulling, so the copy is retried for up
 * to ~10 s first; the pull path is still transactional (a push is wholly in or out) and keeps
 * phases, bookmarks and markers (evolve's exchange), only slower.
 * @throws Error (from runProcess) when hg fails.
 */
export async function copyHgRepo(hg: HgTool, source: string, dest: string): Promise<{ pulled: boolean }> {
  let pulled = false;
  for (let attempt = 0; ; attempt++) {
    const r = await runProcess(hg.executable, ['clone', '--noupdate', '--quiet', '--debug', '--', source, dest], { env: hg.env });
    const out = `${r.stdout.toString('utf8')}${r.stderr}`;
    // hg's debug output says "copied/linked N files" on the copy path and "requesting all changes" on the pull path.
    pulled = /requesting all changes/.test(out) && !/(copied|linked) \d+ files/.test(out);
    if (!pulled || attempt >= LOCK_RETRIES) break;
    await rm(dest, { recursive: true, force: true });
    await sleep(LOCK_RETRY_MS);
  }
  // hg clone writes `[paths] default = SOURCE`; the repo's own hgrc replaces it.
  const hgrc = join(source, '.hg', 'hgrc');
  if (existsSync(hgrc)) await copyFile(hgrc, join(dest, '.hg', 'hgrc'));
  else await rm(join(dest, '.hg', 'hgrc'), { force: true });
  return { pulled };
}

/** Heads (`hg heads`' set over all branches), bookmarks, changeset and marker counts of `dir`. */
export async function describeHgRepo(hg: HgTool, dir: string): Promise<HgDescription> {
  const run = async (args: string[]) => (await runProcess(hg.executable, ['-R', dir, ...args], { env: hg.env })).stdout.toString('utf8');
  // One pass over the visible changesets: a head is one with no visible child (what `hg heads` counts, all branches).
  const heads: string[] = [];
  const refs: Record<string, string> = {};
  for (const line of (await run(['log', '-r', 'all()', '-T', '{node} {phase} {join(bookmarks, ",")} {children}\\n'])).split('\n').filter(Boolean)) {
    const [node, phase, bookmarks, children] = line.split(' ') as [string, string, string, string | undefined];
    if (!children) heads.push(node);
    if (phase !== 'public') refs[`phase/${node}`] = phase;
    for (const name of bookmarks.split(',').filter(Boolean)) refs[`bookmark/${name}`] = node;
  }
  heads.sort();
  const tip = (await run(['--hidden', 'log', '-r', 'tip', '-T', '{rev}'])).trim();
  const markers = (await run(['debugobsolete'])).split('\n').filter(Boolean).length;
  return { heads, refs, changesets: Number(tip) + 1, obsMarkers: markers };
}
