import type { RepoKind } from '../domain/repo-kind.js';
import { runProcess } from './process.js';
import { decodeBytes } from '../domain/byte-names.js';

/** A ref that moved: its full name (`refs/heads/main`, `refs/tags/v1`) and ids; null where it did not exist. */
export interface RefUpdate {
  readonly ref: string;
  readonly before: string | null;
  readonly after: string | null;
}

/** Full ref name → commit id (a tag → the commit it names). */
export type RefTable = ReadonlyMap<string, string>;

/** The programs (and their environments: HGRCPATH for hg) that read refs. */
export interface RefPrograms {
  readonly hg: { readonly executable: string; readonly env: NodeJS.ProcessEnv };
  readonly git: { readonly executable: string; readonly env: NodeJS.ProcessEnv };
}

/**
 * Every ref a client can see, by the names webhooks and the API use:
 * - git: `refs/heads/*` and `refs/tags/*` (`git for-each-ref`; an annotated tag maps to its commit).
 * - hg (Heptapod's names): a named branch's newest head → `refs/heads/branch/NAME`, a topic's head →
 *   `refs/heads/topic/BRANCH/TOPIC`, a bookmark → `refs/heads/NAME`, a tag other than `tip` →
 *   `refs/tags/NAME`. Hidden (obsolete) changesets are not refs.
 * An empty repository has none. Throws FERRY_VCS_FAILED when the program fails.
 */
export async function readRefs(kind: RepoKind, dir: string, programs: RefPrograms): Promise<RefTable> {
  return kind === 'git' ? readGitRefs(dir, programs.git) : readHgRefs(dir, programs.hg);
}

async function readGitRefs(dir: string, git: RefPrograms['git']): Promise<RefTable> {
  const { stdout } = await runProcess(git.executable, ['--git-dir', dir, 'for-each-ref', '--format=%(refname)%00%(objectname)%00%(*objectname)', 'refs/heads', 'refs/tags'], { env: git.env });
  const refs = new Map<string, string>();
  for (const line of decodeBytes(stdout).split('\n')) {
    const [name, id, peeled] = line.split('\0');
    if (name && id) refs.set(name, peeled || id);
  }
  return refs;
}

interface HgRefRow {
  node: string;
  rev: number;
  branch: string;
  topic: string;
  bookmarks: string[];
  tags: string[];
  head: string;
}

async function readHgRefs(dir: string, hg: RefPrograms['hg']): Promise<RefTable> {
  const { stdout } = await runProcess(
    hg.executable,
    ['--repository', dir, 'log', '--rev', 'head() or bookmark() or tag()', '--template', '{dict(node, rev, branch, topic, bookmarks, tags, head=ifcontains(rev, revset("head()"), "1", ""))|json}\\n'],
    { env: hg.env },
  );
  const refs = new Map<string, string>();
  const newestHead = new Map<string, number>();
  const rows = stdout
    .toString('utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as HgRefRow);
  for (const row of rows) {
    for (const b of row.bookmarks) refs.set(`refs/heads/${b}`, row.node);
    for (const t of row.tags) if (t !== 'tip') refs.set(`refs/tags/${t}`, row.node);
  }
  for (const row of rows) {
    // Only heads name a branch or topic; a bookmark or tag on an older changeset does not.
    if (row.head !== '1') continue;
    const name = row.topic ? `refs/heads/topic/${row.branch}/${row.topic}` : `refs/heads/branch/${row.branch}`;
    if ((newestHead.get(name) ?? -1) < row.rev) {
      newestHead.set(name, row.rev);
      refs.set(name, row.node);
    }
  }
  return refs;
}

/** The refs that differ between two tables, sorted by name. */
export function diffRefs(before: RefTable, after: RefTable): RefUpdate[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  const updates: RefUpdate[] = [];
  for (const ref of [...names].sort()) {
    const b = before.get(ref) ?? null;
    const a = after.get(ref) ?? null;
    if (b !== a) updates.push({ ref, before: b, after: a });
  }
  return updates;
}
