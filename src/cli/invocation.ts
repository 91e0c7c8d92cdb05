import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, isAbsolute, join, relative, sep } from 'node:path';

/**
 * The words a person types to run this CLI again, for every hint Ferry prints (`next: … key add`):
 * `ferry` when that name on the PATH is this very program, else the script's path relative to the
 * working directory when it lies below it (`bin/ferry.js`, as the README's commands are written),
 * else its absolute path. Never a name that would not run.
 *
 * @param script the running script (process.argv[1]); @param cwd the working directory;
 * @param path the PATH variable.
 */
export function invocationName(script: string | undefined, cwd: string, path: string | undefined): string {
  if (script === undefined || script === '') return 'ferry';
  const real = realOrSelf(script);
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const candidate = join(dir, 'ferry');
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    // The first `ferry` on the PATH is what the shell would run: say it only when it is us.
    return realOrSelf(candidate) === real ? 'ferry' : describePath(script, cwd);
  }
  return describePath(script, cwd);
}

function describePath(script: string, cwd: string): string {
  const rel = relative(cwd, script);
  if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) return rel.includes(sep) ? rel : `.${sep}${rel}`;
  return script;
}

function realOrSelf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

const PROGRAM = invocationName(process.argv[1], process.cwd(), process.env.PATH);

/**
 * How this process was started: what every CLI hint and usage line says. With `--data DIR` given,
 * hints say it too (`ferry --data DIR key add …`), so a pasted hint reaches the same data dir.
 */
export let FERRY = PROGRAM;

/** Makes every hint printed from now on name `--data dir` (an ES module binding: readers see it). */
export function rememberDataFlag(dir: string): void {
  FERRY = `${PROGRAM} --data ${shellWord(dir)}`;
  dataFlagGiven = true;
}

let dataFlagGiven = false;

/** Whether `--data` was given, so FERRY already names it (hints must not add it a second time). */
export function hasDataFlag(): boolean {
  return dataFlagGiven;
}

/** Quotes a word for a POSIX shell only when it needs it, for hints meant to be pasted. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./~-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
