import type { App } from '../../main.js';
import { FERRY } from '../invocation.js';
import { UsageError } from '../../domain/errors.js';
import { parseRepoPath } from '../../domain/repo-path.js';
import { parseCommand, print, printTable } from '../io.js';
import { formatInterval, printMirrorSetup } from './import.js';

const USAGE = `${FERRY} mirror list | ${FERRY} mirror sync PATH [--allow-force] | ${FERRY} mirror rm PATH | ${FERRY} mirror secret PATH`;

export async function mirrorCommand(app: App, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list': {
      parseCommand(rest, {}, `${FERRY} mirror list`, { min: 0, max: 0 });
      const mirrors = await app.mirrors.list();
      printTable(
        ['PATH', 'KIND', 'SOURCE', 'EVERY', 'LAST SUCCESS', 'FAILURES', 'NEXT RUN', 'LAST ERROR'],
        mirrors.map((m) => [
          m.repo.path,
          m.repo.kind,
          m.url,
          formatInterval(m.intervalMs),
          m.lastSuccessAt ?? 'never',
          String(m.failures),
          new Date(m.nextRunAt).toISOString(),
          m.lastError ?? '-',
        ]),
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
    case 'rm': {
      const { positionals } = parseCommand(rest, {}, `${FERRY} mirror rm PATH`, { min: 1, max: 1 });
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
