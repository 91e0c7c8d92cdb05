import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Config } from '../config/load.js';
import type { RepoKind } from '../domain/repo-kind.js';
import { parseRepoPath } from '../domain/repo-path.js';
import { repoDirectory } from '../storage/repo-dirs.js';
import { hashFile, listFiles, writeArchive } from './archive.js';
import { bundleGitRepo, type GitTool } from './git-copy.js';
import { copyHgRepo, describeHgRepo, type HgTool } from './hg-copy.js';
import { BACKUP_FORMAT, type FileEntry, type Manifest, type RepoEntry } from './manifest.js';

/** Tells the operator how far a backup or restore got (one line each; the CLI prints and logs them). */
export type Progress = (message: string, fields?: Record<string, unknown>) => void;

export interface BackupDeps {
  readonly config: Pick<Config, 'dataDir' | 'dbPath' | 'reposDir' | 'sshDir'>;
  readonly hg: HgTool;
  readonly git: GitTool;
  readonly ferryVersion: string;
  readonly progress: Progress;
}

/** Data-dir entries a backup carries besides the database and the repos (absent ones are skipped). */
const CARRIED = ['ferry.toml', 'secrets', 'ssh', 'lfs'] as const;

/**
 * Writes a backup of a data dir, safe while `ferry serve` runs on it, to `file` (a POSIX tar):
 * - the database first, with SQLite's online backup API (better-sqlite3 `db.backup`, a consistent
 *   snapshot even while others write); the repos copied are those its `repos` table lists;
 * - each hg repo copied under its own store lock (hg-copy.ts); each git repo as a bundle of all its
 *   refs plus its config and HEAD (git-copy.ts) — never a raw copy of files being written;
 * - `ferry.toml`, `secrets/`, `ssh/` (host keys), `lfs/` (Git LFS objects) and each hg repo's
 *   `.hg/largefiles` (its large files' contents);
 * - a manifest first: repo path, kind, heads/refs, object counts, and every file's SHA-256.
 * A repo created after the database snapshot is not in the backup (nor is its row); a row whose
 * repo is gone from disk is listed in `missingOnDisk`. Work files go to DATA/tmp and are removed.
 * @returns the manifest written.
 */
export async function backupDataDir(deps: BackupDeps, file: string): Promise<Manifest> {
  const { config, progress } = deps;
  const tmpRoot = join(config.dataDir, 'tmp');
  await mkdir(tmpRoot, { recursive: true });
  const stage = await mkdtemp(join(tmpRoot, 'backup-'));
  try {
    progress('copying the database (SQLite online backup)');
    await mkdir(join(stage, 'db'), { recursive: true });
    const rows = await snapshotDatabase(config.dbPath, join(stage, 'db', 'ferry.db'));
    const repos: RepoEntry[] = [];
    const missingOnDisk: string[] = [];
    for (const [i, row] of rows.entries()) {
      const source = repoDirectory(config.reposDir, parseRepoPath(row.path));
      if (!existsSync(source)) {
        missingOnDisk.push(row.path);
        progress(`repo ${i + 1}/${rows.length}: ${row.path} has a database row but no repository on disk; skipped`, { repo: row.path });
        continue;
      }
      progress(`repo ${i + 1}/${rows.length}: ${row.path} (${row.kind})`, { repo: row.path, kind: row.kind });
      repos.push(row.kind === 'hg' ? await copyHg(deps, row, source, stage) : await copyGit(deps, row, source, stage));
    }
    for (const name of CARRIED) {
      const from = join(config.dataDir, name);
      // Git LFS objects are written whole then renamed into place (src/lfs/store.ts): what is
      // there is complete; uploads still arriving (lfs/tmp) are not part of any push yet.
      if (existsSync(from)) await cp(from, join(stage, 'data', name), { recursive: true, filter: (src) => src !== join(config.dataDir, 'lfs', 'tmp') });
    }
    progress('computing SHA-256 checksums');
    const files: FileEntry[] = [];
    for (const name of await listFiles(stage)) files.push({ name, ...(await hashFile(join(stage, ...name.split('/')))) });
    const manifest: Manifest = { format: BACKUP_FORMAT, createdAt: new Date().toISOString(), ferryVersion: deps.ferryVersion, repos, missingOnDisk, files };
    const total = files.reduce((n, f) => n + f.size, 0);
    let done = 0;
    let shown = -1;
    await mkdir(dirname(file), { recursive: true });
    await writeArchive(file, stage, manifest, (entry) => {
      done += entry.size;
      const percent = total === 0 ? 100 : Math.floor((done * 100) / total);
      if (percent >= shown + 10) {
        shown = percent;
        progress(`writing ${file}: ${percent}% of ${total} bytes`, { bytes: done, total });
      }
    });
    progress(`backup written to ${file}: ${repos.length} repos, ${files.length} files, ${total} bytes`, { repos: repos.length, files: files.length, bytes: total });
    return manifest;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

interface RepoRow {
  readonly id: number;
  readonly path: string;
  readonly kind: RepoKind;
}

/** Copies the live database to `dest` with SQLite's online backup, and lists the repos the copy holds. */
async function snapshotDatabase(dbPath: string, dest: string): Promise<RepoRow[]> {
  const live = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    await live.backup(dest);
  } finally {
    live.close();
  }
  const copy = new Database(dest, { fileMustExist: true });
  try {
    // One self-contained file in the archive (no -wal/-shm beside it).
    copy.pragma('journal_mode = DELETE');
    return copy.prepare('SELECT id, path, kind FROM repos ORDER BY path').all() as RepoRow[];
  } finally {
    copy.close();
  }
}

async function copyHg(deps: BackupDeps, row: RepoRow, source: string, stage: string): Promise<RepoEntry> {
  const entry = `hg/${row.path}`;
  const dest = join(stage, 'hg', ...row.path.split('/'));
  await mkdir(dirname(dest), { recursive: true });
  const { pulled } = await copyHgRepo(deps.hg, source, dest);
  // hg largefiles keeps the large files' contents beside the store (.hg/largefiles/SHA1), where
  // `hg clone` does not look: carried as they are (each is written whole and renamed into place).
  const largefiles = join(source, '.hg', 'largefiles');
  if (existsSync(largefiles)) await cp(largefiles, join(dest, '.hg', 'largefiles'), { recursive: true });
  if (pulled) deps.progress(`${row.path}: its lock stayed held by pushes, copied through hg's pull path instead`, { repo: row.path });
  const d = await describeHgRepo(deps.hg, dest);
  return { path: row.path, kind: 'hg', id: row.id, heads: d.heads, refs: d.refs, objects: d.changesets, obsMarkers: d.obsMarkers, entry };
}

async function copyGit(deps: BackupDeps, row: RepoRow, source: string, stage: string): Promise<RepoEntry> {
  const entry = `git/${row.path}`;
  const base = join(stage, 'git', ...row.path.split('/'));
  await mkdir(dirname(base), { recursive: true });
  const d = await bundleGitRepo(deps.git, source, `${base}.bundle`);
  await copyFile(join(source, 'config'), `${base}.config`);
  const heads = [...new Set(Object.values(d.refs))].sort();
  return { path: row.path, kind: 'git', id: row.id, heads, refs: d.refs, objects: d.objects, head: d.head, objectFormat: d.objectFormat, entry };
}
