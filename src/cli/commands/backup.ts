import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { FerryError } from '../../domain/errors.js';
import type { App, Config } from '../../main.js';
import { backupDataDir, type Progress } from '../../backup/backup.js';
import { restoreDataDir } from '../../backup/restore.js';
import type { Logger } from '../../log/logger.js';
import { gitEnvironment } from '../../vcs/git/adapter.js';
import { hgEnvironment, writeHgrc } from '../../vcs/hg/environment.js';
import { FERRY } from '../invocation.js';
import { parseCommand, print, printErr } from '../io.js';
import { existingFile } from '../paths.js';

/**
 * Progress on stderr for the operator (stdout stays for the result: a timer's journal keeps both),
 * and as debug log lines with their fields (`FERRY_LOG_LEVEL=debug`): at the default level the
 * same step is not printed twice, once as text and once as JSON, on the same terminal.
 */
function progressTo(log: Logger, what: 'backup' | 'restore'): Progress {
  return (message, fields = {}) => {
    printErr(`ferry ${what}: ${message}`);
    log.debug({ ...fields, op: what }, message);
  };
}

function ferryVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** `ferry backup FILE`: see src/backup/backup.ts. Safe while `ferry serve` runs on the same data dir. */
export async function backupCommand(app: App, args: string[]): Promise<number> {
  const { positionals, values } = parseCommand(args, { force: { type: 'boolean' } }, `${FERRY} backup FILE [--force]`, { min: 1, max: 1 });
  const file = resolve(positionals[0] as string);
  if (app.db.engine === 'postgres') {
    // The archive holds a SQLite snapshot; PostgreSQL has its own consistent dump (docs/backup.md).
    throw new FerryError('FERRY_INVALID_INPUT', `ferry backup copies a SQLite database, and this Ferry uses PostgreSQL ([database] url): back up the database with pg_dump, and the data dir (repos, secrets, ssh) with your file backup`);
  }
  assertBackupTarget(file, app.config.dataDir, values.force === true);
  const manifest = await backupDataDir(
    { config: app.config, hg: app.hg, git: app.git, ferryVersion: ferryVersion(), progress: progressTo(app.log, 'backup') },
    file,
  );
  for (const path of manifest.missingOnDisk) printErr(`ferry backup: warning: ${path} has a database row but no repository on disk`);
  print(`${file}: ${manifest.repos.length} repos, ${manifest.files.length} files`);
  return 0;
}

/**
 * Where a backup may be written: outside the data dir it copies (inside, it could overwrite the
 * live database or land in a repo), not over a directory, and not over an existing file unless
 * `force` (an older backup is not replaced by mistake), not under a file (missing directories are made).
 * @throws FerryError FERRY_INVALID_INPUT, before any work is done
 */
function assertBackupTarget(file: string, dataDir: string, force: boolean): void {
  const data = resolve(dataDir);
  const inside = relative(data, file);
  if (inside === '' || (!inside.startsWith('..') && !isAbsolute(inside))) {
    throw new FerryError('FERRY_INVALID_INPUT', `${file} is inside the data dir ${data} that the backup copies; write it somewhere else (another disk is best)`);
  }
  // Missing directories on the way are made; one that is a file is refused before any work.
  for (let up = dirname(file); ; up = dirname(up)) {
    if (existsSync(up)) {
      if (!statSync(up).isDirectory()) throw new FerryError('FERRY_INVALID_INPUT', `${up} is a file, so the backup cannot go under it; give a path in a directory`);
      break;
    }
    if (dirname(up) === up) break;
  }
  if (!existsSync(file)) return;
  if (statSync(file).isDirectory()) throw new FerryError('FERRY_INVALID_INPUT', `${file} is a directory; give a file name, e.g. ${join(file, 'ferry-backup.tar')}`);
  if (!force) throw new FerryError('FERRY_INVALID_INPUT', `${file} already exists; give a new file name, or add --force to replace it`);
}

/**
 * `ferry restore FILE`: into the data dir, which must be empty or absent (see src/backup/restore.ts).
 * Runs without the usual App: building one would create files in the data dir first.
 * Exit 1 when a repo failed verification; rows and repos without a partner are reported.
 */
export async function restoreCommand(config: Config, log: Logger, args: string[]): Promise<number> {
  const { positionals } = parseCommand(args, {}, `${FERRY} restore FILE`, { min: 1, max: 1 });
  const file = existingFile(positionals[0] as string, 'the backup');
  const progress = progressTo(log, 'restore');
  const report = await restoreDataDir(
    {
      dataDir: config.dataDir,
      // The hg settings every Ferry process uses (evolve and topic loaded), written where serve writes them.
      tools: () => ({
        hg: { executable: config.hg.executable, env: hgEnvironment(writeHgrc(config.dataDir, config.hg.evolve)) },
        git: { executable: config.git.executable, env: gitEnvironment() },
      }),
      progress,
    },
    file,
  );
  for (const f of report.failed) printErr(`ferry restore: ${f.path}: ${f.why}`);
  for (const p of report.rowsWithoutRepo) printErr(`ferry restore: warning: ${p} has a database row but no repository on disk`);
  for (const p of report.reposWithoutRow) printErr(`ferry restore: warning: repos/${p} is a repository with no database row (ferry does not serve it)`);
  print(`${config.dataDir}: restored ${report.manifest.repos.length} repos from ${file}; ${report.verified} verified, ${report.failed.length} failed`);
  return report.failed.length > 0 ? 1 : 0;
}
