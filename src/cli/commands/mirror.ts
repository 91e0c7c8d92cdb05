import type { App } from '../../main.js';
import { FERRY } from '../invocation.js';
import { FerryError, UsageError } from '../../domain/errors.js';
import { parseRepoPath } from '../../domain/repo-path.js';
import { mirrorStatus } from '../../mirrors/status.js';
import { parseCommand, print, printTable } from '../io.js';
import { formatInterval, importCommand, printMirrorSetup } from './import.js';

const ADD_USAGE = `${FERRY} mirror add PATH URL [--every DURATION] [--allow-force] [--identity KEYFILE]`;
const USAGE = `${FERRY} mirror list | ${ADD_USAGE} | ${FERRY} mirror sync PATH [--allow-force] | ${FERRY} mirror rm PATH [--keep-repo] | ${FERRY} mirror secret PATH`;

export async function mirrorCommand(app: App, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list': {
      parseCommand(rest, {}, `${FERRY} mirror list`, { min: 0, max: 0 });
      const mirrors = await app.mirrors.list();
      printTable(
        ['PATH', 'KIND', 'SOURCE', 'EVERY', 'LAST SYNC', 'LAST SUCCESS', 'FAILURES', 'NEXT RUN', 'LAST ERROR'],
        mirrors.map((m) => {
          // The same facts, redacted the same way, as the mirror's web pages show.
          const s = mirrorStatus(m);
          return [
            m.repo.path,
            m.repo.kind,
            s.source,
            `${formatInterval(s.intervalMs)}${s.allowForce ? ' (allow-force)' : ''}`,
            s.lastAttemptAt ?? 'never',
            s.lastSuccessAt ?? 'never',
            String(s.failures),
            s.nextRunAt,
            s.lastError ?? '-',
          ];
        }),
      );
      return 0;
    }
    case 'sync': {
      const { values, positionals } = parseCommand(rest, { 'allow-force': { type: 'boolean' } }, `${FERRY} mirror sync PATH [--allow-force]`, { min: 1, max: 1 });
      const path = parseRepoPath(positionals[0] as string);
      const outcome = await app.mirrors.sync(path, { ...(values['allow-force'] ? { allowForce: true } : {}), progress: process.stderr });
      print(`synced ${path}: ${outcome.summary}`);
      if (outcome.warning !== undefined) print(`note: ${outcome.warning}`);
      return 0;
    }
    case 'add': {
      // An existing repo becomes a mirror: `ferry import URL PATH --mirror` does the checks.
      const { values, positionals } = parseCommand(
        rest,
        { every: { type: 'string' }, 'allow-force': { type: 'boolean' }, identity: { type: 'string' } },
        ADD_USAGE,
        { min: 2, max: 2 },
      );
      const [pathArg, url] = positionals as [string, string];
      const path = parseRepoPath(pathArg);
      if (!(await app.stores.repos.byPath(path))) {
        throw new FerryError('FERRY_REPO_NOT_FOUND', `no repository at ${path}; to copy a source into a new repo use ferry import ${url} ${path} --mirror`, { data: { path } });
      }
      const options = [
        ...(values.every !== undefined ? ['--every', values.every] : []),
        ...(values['allow-force'] ? ['--allow-force'] : []),
        ...(values.identity !== undefined ? ['--identity', values.identity] : []),
      ];
      return importCommand(app, [url, path, '--mirror', ...options]);
    }
    case 'rm': {
      // --keep-repo says what rm always does: the repository stays, as an ordinary one.
      const { positionals } = parseCommand(rest, { 'keep-repo': { type: 'boolean' } }, `${FERRY} mirror rm PATH [--keep-repo]`, { min: 1, max: 1 });
      const path = parseRepoPath(positionals[0] as string);
      await app.mirrors.remove(path);
      print(`${path} is no longer a mirror; the repository stays and accepts pushes again`);
      return 0;
    }
    case 'secret': {
      const { positionals } = parseCommand(rest, {}, `${FERRY} mirror secret PATH`, { min: 1, max: 1 });
      const path = parseRepoPath(positionals[0] as string);
      printMirrorSetup(app, path, undefined, await app.mirrors.rotateSecret(path));
      return 0;
    }
    default:
      throw new UsageError(`usage: ${USAGE}`);
  }
}
