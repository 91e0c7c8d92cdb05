import { resolve } from 'node:path';
import { FERRY } from '../invocation.js';
import type { App } from '../../main.js';
import { FerryError, NotFoundError } from '../../domain/errors.js';
import { parseRepoPath } from '../../domain/repo-path.js';
import { parseCommand, print, printTable } from '../io.js';
import { directoryArg } from '../paths.js';

const USAGE = `${FERRY} publish PATH [--ref REF] [--dir DIR] | ${FERRY} publish --list | ${FERRY} publish --remove DIR`;

/**
 * `ferry publish PATH [--ref REF] [--dir DIR]`: writes REF's tree to DIR now (atomically) and
 * registers it, so a running `ferry serve` rewrites DIR on every change of REF.
 */
export async function publishCommand(app: App, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    { ref: { type: 'string' }, dir: { type: 'string' }, list: { type: 'boolean' }, remove: { type: 'string' } },
    USAGE,
    { min: 0, max: 1 },
  );
  if (values.list) {
    parseCommand(positionals, {}, `${FERRY} publish --list`, { min: 0, max: 0 });
    const repos = new Map((await app.stores.repos.list()).map((r) => [r.id, r.path]));
    printTable(
      ['DIR', 'REPO', 'REF', 'COMMIT', 'PUBLISHED'],
      (await app.publisher.list()).map((p) => [p.dir, repos.get(p.repoId) ?? '?', p.ref ?? '(default branch)', p.commit?.slice(0, 12) ?? '-', p.publishedAt ?? 'never']),
    );
    return 0;
  }
  if (values.remove !== undefined) {
    const dir = resolve(values.remove);
    if (!(await app.publisher.unregister(dir))) throw new NotFoundError(`${dir} is not a published directory; see ${FERRY} publish --list`);
    print(`ferry: ${dir} is no longer kept in sync (its files stay where they are)`);
    return 0;
  }
  parseCommand(positionals, {}, USAGE, { min: 1, max: 1 });
  const path = parseRepoPath(positionals[0] as string);
  const repo = await app.stores.repos.byPath(path);
  if (!repo) throw new NotFoundError(`no repository at ${path}; see ${FERRY} repo list`, 'FERRY_REPO_NOT_FOUND', { path });
  const ref = values.ref === undefined || values.ref === '' ? undefined : values.ref;
  const dir = values.dir === undefined ? app.publisher.defaultDir(repo, ref) : directoryArg(values.dir, 'the --dir');
  const existed = (await app.publisher.list()).some((p) => p.dir === dir);
  const publication = await app.publisher.register(repo, ref, dir);
  const what = `${repo.path}${ref === undefined ? '' : `@${ref}`}`;
  print(`ferry: publishing ${what} to ${dir}`);
  const started = Date.now();
  let outcome;
  try {
    outcome = await app.publisher.sync(publication, (d) => print(`ferry:   ${d.files}/${d.total} files, ${formatBytes(d.bytes)}`));
  } catch (err) {
    if (err instanceof FerryError && err.code === 'FERRY_NOT_FOUND') {
      // Nothing to write yet (an empty repo, a tag not pushed yet): stay registered for the first push.
      print(`ferry: nothing written yet: ${err.message}`);
      print(`ferry: registered; a running ${FERRY} serve writes ${dir} once ${what} exists`);
      return 0;
    }
    if (!existed) await app.publisher.unregister(dir);
    throw err;
  }
  if (outcome.kind === 'unchanged') {
    print(`ferry: ${dir} already holds ${outcome.commit.slice(0, 12)}`);
  } else {
    print(`ferry: wrote ${outcome.files} files (${formatBytes(outcome.bytes)}) of ${outcome.commit.slice(0, 12)} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    if (outcome.skipped.length > 0) print(`ferry: left out ${outcome.skipped.length} file(s) over [cdn] max_file_size or symlinks leaving the tree: ${outcome.skipped.slice(0, 5).join(', ')}`);
  }
  print(`ferry: registered; a running ${FERRY} serve rewrites ${dir} whenever ${what} changes`);
  return 0;
}

function formatBytes(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`;
}
