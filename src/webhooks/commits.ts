import type { RepoKind } from '../domain/repo-kind.js';
import { runProcess } from '../vcs/process.js';
import type { RefPrograms } from '../vcs/refs.js';

/** One commit as a push payload lists it (before URLs are added). */
export interface CommitDetail {
  readonly id: string;
  readonly message: string;
  readonly authorName: string;
  readonly authorEmail: string;
  readonly committerName: string;
  readonly committerEmail: string;
  /** ISO 8601 with offset. */
  readonly timestamp: string;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly modified: readonly string[];
}

/** What a ref update brought: the new commits (oldest first, at most `limit`), their count, and whether history was rewritten. */
export interface UpdateHistory {
  readonly commits: readonly CommitDetail[];
  readonly total: number;
  /** The old id is not an ancestor of the new one (a force push, an hg rewrite). */
  readonly forced: boolean;
}

const HEX = /^[0-9a-f]{40,64}$/;

/**
 * The commits `after` has that `exclude` (the old id of the ref, or for a new ref every id the repo's
 * refs held before) have not, as GitHub lists them in a push event. Ids come from the repos' own
 * ref tables and are checked to be hex before they reach a revset or a rev-list.
 * Throws FERRY_VCS_FAILED when the program fails.
 */
export async function updateHistory(kind: RepoKind, dir: string, programs: RefPrograms, update: { before: string | null; after: string }, exclude: readonly string[], limit: number): Promise<UpdateHistory> {
  const ids = [update.after, ...exclude, ...(update.before ? [update.before] : [])];
  if (ids.some((id) => !HEX.test(id))) return { commits: [], total: 0, forced: false };
  return kind === 'git' ? gitHistory(dir, programs.git, update, exclude, limit, true) : hgHistory(dir, programs.hg, update, exclude, limit);
}

async function gitHistory(dir: string, git: RefPrograms['git'], update: { before: string | null; after: string }, exclude: readonly string[], limit: number, count: boolean): Promise<UpdateHistory> {
  const run = (args: string[], allowFailure = false) => runProcess(git.executable, ['--git-dir', dir, ...args], { env: git.env, allowFailure });
  const range = [update.after, ...exclude.map((id) => `^${id}`)];
  const total = count ? Number((await run(['rev-list', '--count', ...range, '--'])).stdout.toString().trim()) || 0 : 1;
  // Paths as their bytes (no C quoting); UTF-8 decoding shows other bytes as U+FFFD in the payload.
  const log = await run(['-c', 'core.quotePath=false', 'log', '--reverse', '--no-renames', '--first-parent', '-m', '--name-status', `--max-count=${limit}`, '--format=%x1e%H%x00%an%x00%ae%x00%cn%x00%ce%x00%aI%x00%B%x00', ...range, '--']);
  const commits: CommitDetail[] = [];
  // --reverse with --max-count keeps the newest `limit`; GitHub keeps the oldest 20, which matters little.
  for (const record of log.stdout.toString('utf8').split('\x1e').slice(1)) {
    const [id = '', authorName = '', authorEmail = '', committerName = '', committerEmail = '', timestamp = '', message = '', files = ''] = record.split('\0');
    const added: string[] = [];
    const removed: string[] = [];
    const modified: string[] = [];
    for (const line of files.split('\n')) {
      const [status, path] = line.split('\t');
      if (!status || !path) continue;
      (status.startsWith('A') ? added : status.startsWith('D') ? removed : modified).push(path);
    }
    commits.push({ id, message: message.replace(/\n+$/, ''), authorName, authorEmail, committerName, committerEmail, timestamp, added, removed, modified });
  }
  let forced = false;
  if (update.before) forced = (await run(['merge-base', '--is-ancestor', update.before, update.after], true)).code !== 0;
  return { commits, total, forced };
}

interface HgRow {
  node: string;
  desc: string;
  author: string;
  date: string;
  adds: string[];
  dels: string[];
  mods: string[];
  /** -1 unless the changeset is a merge. */
  p2rev: number;
}

async function hgHistory(dir: string, hg: RefPrograms['hg'], update: { before: string | null; after: string }, exclude: readonly string[], limit: number, only?: string): Promise<UpdateHistory> {
  const run = (args: string[]) => runProcess(hg.executable, ['--repository', dir, ...args], { env: hg.env });
  const revset = only ?? (exclude.length > 0 ? `only(${update.after}, ${exclude.join(' + ')})` : `::${update.after}`);
  const out = await run(['log', '--hidden', '--rev', revset, '--template', '{dict(node, desc, author, date=date|rfc3339date, adds=file_adds, dels=file_dels, mods=file_mods, p2rev=p2rev)|json}\\n']);
  const rows = out.stdout
    .toString('utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as HgRow);
  const commits: CommitDetail[] = [];
  for (const r of rows.slice(-limit)) {
    const { name, email } = splitAuthor(r.author);
    // A merge's file_adds/dels/mods name only what it changed against both parents (empty for a
    // clean merge): its files against the first parent, as git's `--first-parent -m`, come from
    // `hg status --change` (`hg help status`).
    const files = r.p2rev === -1 ? { adds: r.adds, dels: r.dels, mods: r.mods } : await statusAgainstFirstParent(run, r.node);
    commits.push({ id: r.node, message: r.desc, authorName: name, authorEmail: email, committerName: name, committerEmail: email, timestamp: r.date, added: files.adds, removed: files.dels, modified: files.mods });
  }
  let forced = false;
  if (update.before) forced = (await run(['log', '--hidden', '--rev', `${update.before} and ::${update.after}`, '--template', '{node}\\n'])).stdout.toString().trim() === '';
  return { commits, total: rows.length, forced };
}

/** A changeset's added, removed and modified files against its first parent (`hg status --change`). */
async function statusAgainstFirstParent(run: (args: string[]) => Promise<{ stdout: Buffer }>, node: string): Promise<{ adds: string[]; dels: string[]; mods: string[] }> {
  const out = await run(['--hidden', 'status', '--change', node, '-T', 'json']);
  const rows = JSON.parse(out.stdout.toString('utf8') || '[]') as { path: string; status: string }[];
  const of = (status: string) => rows.filter((row) => row.status === status).map((row) => row.path);
  return { adds: of('A'), dels: of('R'), mods: of('M') };
}

/** `Name <email>` (hg's user field) into its parts; a bare word is a name. */
export function splitAuthor(author: string): { name: string; email: string } {
  const m = /^\s*(.*?)\s*<([^>]*)>\s*$/.exec(author);
  return m ? { name: m[1] || (m[2] ?? ''), email: m[2] ?? '' } : author.includes('@') ? { name: author, email: author } : { name: author, email: '' };
}

/** One commit's details (the head commit of a ref that moved to a commit the push did not bring). */
export async function commitDetail(kind: RepoKind, dir: string, programs: RefPrograms, id: string): Promise<CommitDetail | undefined> {
  if (!HEX.test(id)) return undefined;
  if (kind === 'git') {
    const history = await gitHistory(dir, programs.git, { before: null, after: id }, [], 1, false);
    return history.commits[0];
  }
  const history = await hgHistory(dir, programs.hg, { before: null, after: id }, [], 1, id);
  return history.commits[0];
}
