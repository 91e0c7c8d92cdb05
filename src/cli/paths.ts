import { accessSync, constants, readFileSync, statSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidInputError, NotFoundError } from '../domain/errors.js';

/**
 * Paths typed on the command line, checked before any work so that a wrong one is a one-line
 * error that says what to give (never an errno text or a stack, and nothing half done).
 */

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/**
 * The data dir must be a directory Ferry may read and write (when it exists; a missing one is
 * made by the command, as before). Checked before the database is opened.
 * @throws InvalidInputError FERRY_INVALID_INPUT for a file, or one without read/write access.
 */
export function checkDataDir(dataDir: string): void {
  const dir = resolve(dataDir);
  const stats = statOf(dir);
  if (stats === undefined) return;
  if (!stats.isDirectory()) throw new InvalidInputError(`the data dir ${dir} is a file, not a directory; give Ferry's data directory with --data DIR (or FERRY_DATA)`);
  try {
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch {
    throw new InvalidInputError(`cannot use the data dir ${dir}: permission denied; run ferry as the user who owns it, or give another with --data DIR`);
  }
}

/**
 * A file argument that must exist and be a readable file (a backup to restore, a key file, a list).
 * Returns its absolute path.
 * @throws NotFoundError when it does not exist; InvalidInputError for a directory or no read access.
 */
export function existingFile(path: string, what: string): string {
  const file = resolve(path);
  const stats = statOf(file);
  if (stats === undefined) throw new NotFoundError(`${what} ${file} does not exist; check the path`);
  if (stats.isDirectory()) throw new InvalidInputError(`${what} ${file} is a directory; give the file itself`);
  try {
    accessSync(file, constants.R_OK);
  } catch {
    throw new InvalidInputError(`cannot read ${what} ${file}: permission denied`);
  }
  return file;
}

/** Reads a text file argument after existingFile's checks. */
export function readFileArg(path: string, what: string): string {
  return readFileSync(existingFile(path, what), 'utf8');
}

/**
 * A directory argument (where files are written): it may be missing (it is made), but not a file.
 * Returns its absolute path.
 * @throws InvalidInputError for a path that is a file.
 */
export function directoryArg(path: string, what: string): string {
  const dir = resolve(path);
  const stats = statOf(dir);
  if (stats !== undefined && !stats.isDirectory()) throw new InvalidInputError(`${what} ${dir} is a file; give a directory (a new one is made)`);
  return dir;
}

/**
 * A filesystem error that escaped the checks above, as one line with what to do (EISDIR from a
 * read carries no path, so the path is named only when known). Undefined for other errors.
 */
export function errnoLine(err: unknown): string | undefined {
  if (!(err instanceof Error) || !('code' in err) || typeof err.code !== 'string') return undefined;
  const at = 'path' in err && typeof err.path === 'string' ? `${err.path}: ` : '';
  switch (err.code) {
    case 'ENOENT':
      return `${at}no such file or directory; check the path`;
    case 'EACCES':
    case 'EPERM':
      return `${at}permission denied; run ferry as the user who owns it, or fix its permissions`;
    case 'EISDIR':
      return `${at}is a directory where a file is wanted; give a file`;
    case 'ENOTDIR':
      return `${at}a file stands where a directory is wanted; check the path`;
    case 'EEXIST':
      return `${at}already exists (as a file where a directory is wanted?); give another path`;
    case 'ENOSPC':
      return `${at}no space left on the device; free some space and try again`;
    case 'EROFS':
      return `${at}the file system is read-only; give a writable path`;
    default:
      return undefined;
  }
}
