import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RepoKind } from '../domain/repo-kind.js';

/** What a stamp is made of, below the repository directory: files, and directories walked for their subdirectories. */
const PARTS: Record<RepoKind, { readonly files: readonly string[]; readonly dirs: readonly string[] }> = {
  // hg: the changelog (new changesets, .hgtags in them, topics in their extras), phases,
  // obsolescence markers, bookmarks, local tags, and the served branch cache hg rewrites.
  hg: {
    files: ['.hg/store/00changelog.i', '.hg/store/00changelog.n', '.hg/store/phaseroots', '.hg/store/obsstore', '.hg/bookmarks', '.hg/localtags', '.hg/cache/branch2-served'],
    dirs: [],
  },
  // git: packed refs, HEAD, reftable's list, and the loose ref directories. A loose ref is
  // written as NAME.lock and renamed onto NAME, so its directory's mtime moves on every update.
  git: { files: ['HEAD', 'packed-refs', 'reftable/tables.list'], dirs: ['refs/heads', 'refs/tags'] },
};

/**
 * File timestamps move by kernel ticks (a few ms; seconds on some network filesystems): a change
 * within this many ms of a read may leave the stamp as it was, so such a stamp is not trusted.
 */
const RACY_MS = 2000;

/** A summary of what a client can see change in a repo's refs, read with a few stat calls and no process. */
export interface RefsStamp {
  /** Equal values mean no ref moved in between (when both are `settled`). */
  readonly value: string;
  /**
   * False when some part changed in the last RACY_MS: a second change within the same clock
   * tick would leave the value unchanged, so what was read under it must not be cached.
   */
  readonly settled: boolean;
}

/**
 * The refs stamp of the repository at `dir` (a bare git repo, or an hg repo's root). Sizes,
 * modification times (ns) and inodes of the parts listed in PARTS; missing parts count too.
 */
export function refsStamp(kind: RepoKind, dir: string, now = Date.now()): RefsStamp {
  const parts: string[] = [];
  let newest = 0;
  const describe = (rel: string, walk: boolean): void => {
    let info;
    try {
      info = statSync(join(dir, rel), { bigint: true });
    } catch {
      parts.push(`${rel} -`);
      return;
    }
    parts.push(`${rel} ${info.size} ${info.mtimeNs} ${info.ctimeNs} ${info.ino}`);
    newest = Math.max(newest, Number(info.mtimeNs / 1_000_000n), Number(info.ctimeNs / 1_000_000n));
    if (!walk || !info.isDirectory()) return;
    let entries;
    try {
      entries = readdirSync(join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.filter((x) => x.isDirectory()).map((x) => x.name).sort()) describe(`${rel}/${e}`, true);
  };
  for (const file of PARTS[kind].files) describe(file, false);
  for (const sub of PARTS[kind].dirs) describe(sub, true);
  return { value: createHash('sha1').update(parts.join('\n')).digest('hex'), settled: now - newest > RACY_MS };
}
