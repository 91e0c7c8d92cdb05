import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { access, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { FerryError } from '../domain/errors.js';
import { parseRepoPath } from '../domain/repo-path.js';
import { repoDirectory } from '../storage/repo-dirs.js';
import { runProcess } from '../vcs/process.js';
import { readArchive } from './archive.js';
import type { Progress } from './backup.js';
import { describeBundle, restoreGitRepo, type GitTool } from './git-copy.js';
import { describeHgRepo, type HgTool } from './hg-copy.js';
import type { Manifest, RepoEntry } from './manifest.js';

export interface RestoreDeps {
  readonly dataDir: string;
  /** Called once the data dir was found empty and the archive sound (hg's settings file may be written then). */
  readonly tools: () => { hg: HgTool; git: GitTool };
  readonly progress: Progress;
}

/** What a restore found: repos that failed `hg verify`/`git fsck` or differ from the manifest, and rows/repos without a partner. */
export interface RestoreReport {
  readonly manifest: Manifest;
  readonly verified: number;
  readonly failed: readonly { path: string; why: string }[];
  readonly rowsWithoutRepo: readonly string[];
  readonly reposWithoutRow: readonly string[];
}

/**
 * Refuses a data dir that exists and holds anything: a restore never mixes with live data.
 * @throws FerryError FERRY_RESTORE_TARGET_NOT_EMPTY with what to do.
 */
export async function assertEmptyDataDir(dataDir: string): Promise<void> {
  if (!existsSync(dataDir)) return;
  const entries = await readdir(dataDir);
  if (entries.length === 0) return;
  const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? ', …' : '');
  throw new FerryError(
    'FERRY_RESTORE_TARGET_NOT_EMPTY',
    `cannot restore into ${dataDir}: it is not empty (${shown}); restore into a new directory with --data NEW_DIR (or FERRY_DATA), then point ferry at it`,
    { data: { dataDir } },
  );
}

/**
 * Restores a backup made by `backupDataDir` into the empty (or absent) data dir: every file is
 * checked against the manifest's SHA-256 before anything is put in place (a damaged archive leaves
 * the data dir as it was); then the database, settings, secrets and host keys are put back, each hg
 * repo's copy moved into `repos/`, each git repo rebuilt from its bundle (refs, config, HEAD);
 * then `hg verify` / `git fsck` runs on every repo and its heads are compared with the manifest;
 * then the database's repo rows and the repos on disk are matched up.
 * @throws FerryError FERRY_RESTORE_TARGET_NOT_EMPTY, FERRY_BACKUP_CORRUPT; a file-system error (ENOENT) when FILE cannot be read.
 */
export async function restoreDataDir(deps: RestoreDeps, file: string): Promise<RestoreReport> {
  const { dataDir, progress } = deps;
  await access(file); // a missing FILE is "cannot read FILE: no such file" at the CLI, not a damaged backup
  await assertEmptyDataDir(dataDir);
  const created = !existsSync(dataDir);
  const stage = join(dataDir, '.restore');
  let manifest: Manifest;
  try {
    progress(`reading ${file} and checking every file's SHA-256`);
    let shown = -1;
    manifest = await readArchive(file, stage, (_entry, i, total) => {
      const percent = Math.floor(((i + 1) * 100) / total);
      if (percent < shown + 10) return;
      shown = percent;
      progress(`checked ${i + 1}/${total} files (${percent}%)`, { files: i + 1, total });
    });
  } catch (err) {
    await (created ? rm(dataDir, { recursive: true, force: true }) : rm(stage, { recursive: true, force: true }));
    throw err;
  }
  const { hg, git } = deps.tools();
  for (const name of ['ferry.toml', 'secrets', 'ssh', 'lfs']) {
    if (existsSync(join(stage, 'data', name))) await rename(join(stage, 'data', name), join(dataDir, name));
  }
  await rename(join(stage, 'db', 'ferry.db'), join(dataDir, 'ferry.db'));
  const reposDir = join(dataDir, 'repos');
  await mkdir(reposDir, { recursive: true });
  const failed: { path: string; why: string }[] = [];
  for (const [i, repo] of manifest.repos.entries()) {
    progress(`repo ${i + 1}/${manifest.repos.length}: ${repo.path} (${repo.kind}): restoring and verifying`, { repo: repo.path, kind: repo.kind });
    const dir = repoDirectory(reposDir, parseRepoPath(repo.path));
    await mkdir(dirname(dir), { recursive: true });
    try {
      if (repo.kind === 'hg') await rename(join(stage, ...repo.entry.split('/')), dir);
      else await restoreGit(git, stage, repo, dir);
      const why = repo.kind === 'hg' ? await verifyHg(hg, dir, repo) : await verifyGit(git, dir, repo);
      if (why !== undefined) failed.push({ path: repo.path, why });
    } catch (err) {
      failed.push({ path: repo.path, why: (err as Error).message.split('\n')[0] ?? 'failed' });
    }
  }
  await rm(stage, { recursive: true, force: true });
  const { rowsWithoutRepo, reposWithoutRow } = await matchRowsAndRepos(join(dataDir, 'ferry.db'), reposDir);
  return { manifest, verified: manifest.repos.length - failed.length, failed, rowsWithoutRepo, reposWithoutRow };
}

async function restoreGit(git: GitTool, stage: string, repo: RepoEntry, dir: string): Promise<void> {
  const base = join(stage, ...repo.entry.split('/'));
  await restoreGitRepo(git, dir, {
    bundle: existsSync(`${base}.bundle`) ? `${base}.bundle` : undefined,
    config: existsSync(`${base}.config`) ? `${base}.config` : undefined,
    head: repo.head,
    objectFormat: repo.objectFormat ?? 'sha1',
  });
  if (existsSync(`${base}.bundle`)) {
    const listed = await describeBundle(git, dir, `${base}.bundle`);
    if (!sameRefs(listed.refs, repo.refs)) throw new Error('the bundle\'s refs differ from the manifest');
  }
}

/** `hg verify`, then the heads, bookmarks, phases and marker count against the manifest. */
async function verifyHg(hg: HgTool, dir: string, repo: RepoEntry): Promise<string | undefined> {
  const r = await runProcess(hg.executable, ['-R', dir, 'verify', '--quiet'], { env: hg.env, allowFailure: true });
  if (r.code !== 0) return `hg verify failed: ${lastLine(r.stderr || r.stdout.toString('utf8'))}`;
  const d = await describeHgRepo(hg, dir);
  if (d.heads.join() !== [...repo.heads].sort().join()) return 'heads differ from the manifest';
  if (!sameRefs(d.refs, repo.refs)) return 'bookmarks or phases differ from the manifest';
  if (d.changesets !== repo.objects || d.obsMarkers !== (repo.obsMarkers ?? 0)) return 'changeset or marker count differs from the manifest';
  return undefined;
}

/** `git fsck`, then every ref and HEAD against the manifest. */
async function verifyGit(git: GitTool, dir: string, repo: RepoEntry): Promise<string | undefined> {
  const r = await runProcess(git.executable, ['-C', dir, 'fsck', '--no-progress', '--no-dangling'], { env: git.env, allowFailure: true });
  if (r.code !== 0) return `git fsck failed: ${lastLine(r.stderr || r.stdout.toString('utf8'))}`;
  const refs: Record<string, string> = {};
  const listed = await runProcess(git.executable, ['-C', dir, 'for-each-ref', '--format=%(objectname) %(refname)'], { env: git.env });
  for (const line of listed.stdout.toString('utf8').split('\n').filter(Boolean)) {
    const [id, name] = line.split(' ');
    if (id && name) refs[name] = id;
  }
  if (!sameRefs(refs, repo.refs)) return 'refs differ from the manifest';
  if (repo.head !== undefined) {
    const head = await runProcess(git.executable, ['-C', dir, 'symbolic-ref', 'HEAD'], { env: git.env, allowFailure: true });
    if (head.stdout.toString('utf8').trim() !== repo.head) return `HEAD is not ${repo.head}`;
  }
  return undefined;
}

function sameRefs(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a).sort();
  return ka.join('\n') === Object.keys(b).sort().join('\n') && ka.every((k) => a[k] === b[k]);
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

/**
 * Rows of the `repos` table with no repository on disk, and repositories on disk (a dir holding
 * `.hg`, or a bare git repo's `HEAD` + `objects`) with no row.
 */
export async function matchRowsAndRepos(dbPath: string, reposDir: string): Promise<{ rowsWithoutRepo: string[]; reposWithoutRow: string[] }> {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  let rows: string[];
  try {
    rows = (db.prepare('SELECT path FROM repos ORDER BY path').all() as { path: string }[]).map((r) => r.path);
  } finally {
    db.close();
  }
  const onDisk = await findRepos(reposDir);
  const lower = (s: string) => s.toLowerCase();
  const rowSet = new Set(rows.map(lower));
  const diskSet = new Set(onDisk.map(lower));
  return { rowsWithoutRepo: rows.filter((p) => !diskSet.has(lower(p))), reposWithoutRow: onDisk.filter((p) => !rowSet.has(lower(p))) };
}

async function findRepos(root: string, dir = root): Promise<string[]> {
  if (!existsSync(dir)) return [];
  if (dir !== root && (existsSync(join(dir, '.hg')) || (existsSync(join(dir, 'HEAD')) && existsSync(join(dir, 'objects'))))) {
    return [relative(root, dir).split(sep).join('/')];
  }
  const found: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory() && !e.name.startsWith('.')) found.push(...(await findRepos(root, join(dir, e.name))));
  }
  return found;
}
