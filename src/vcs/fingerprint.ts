import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RepoKind } from '../domain/repo-kind.js';

const WATCHED: Record<RepoKind, readonly string[]> = {
  hg: ['.hg/store/00changelog.i', '.hg/store/00changelog.n', '.hg/store/phaseroots', '.hg/bookmarks', '.hg/store/obsstore', '.hg/localtags'],
  git: ['packed-refs', 'refs', 'HEAD'],
};

/**
 * A cheap summary of what a client can see change in a repo (changelog, phases, bookmarks; git
 * refs): sizes and modification times, no process spawned. Two equal fingerprints mean nothing
 * was pushed in between.
 */
export async function repoFingerprint(kind: RepoKind, dir: string): Promise<string> {
  const parts: string[] = [];
  for (const rel of WATCHED[kind]) await describe(join(dir, rel), rel, parts);
  return parts.join('\n');
}

async function describe(path: string, rel: string, parts: string[]): Promise<void> {
  let info;
  try {
    info = await stat(path, { bigint: true });
  } catch {
    parts.push(`${rel} -`);
    return;
  }
  if (!info.isDirectory()) {
    parts.push(`${rel} ${info.size} ${info.mtimeNs} ${info.ino}`);
    return;
  }
  const entries = (await readdir(path)).sort();
  for (const name of entries) await describe(join(path, name), `${rel}/${name}`, parts);
}
