import type { App } from '../../main.js';
import { FERRY } from '../invocation.js';
import { NotFoundError, UsageError } from '../../domain/errors.js';
import { parseRepoPath } from '../../domain/repo-path.js';
import type { Repo } from '../../store/types.js';
import { parseCommand, print, printTable, readInput } from '../io.js';
import { addDeployKeys, normaliseFingerprint } from '../../services/ssh-keys.js';

export async function deployKeyCommand(app: App, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add': {
      const { values, positionals } = parseCommand(rest, { write: { type: 'boolean' } }, `${FERRY} deploy-key add PATH [FILE|-] [--write]`, { min: 1, max: 2 });
      const repo = await requireRepo(app, positionals[0] as string);
      for (const added of await addDeployKeys(app.stores.keys, repo, readInput(positionals[1]), values.write === true)) {
        print(`added ${values.write ? 'read-write' : 'read-only'} deploy key ${added.fingerprint} to ${repo.path}`);
      }
      return 0;
    }
    case 'list': {
      const { positionals } = parseCommand(rest, {}, `${FERRY} deploy-key list PATH`, { min: 1, max: 1 });
      const repo = await requireRepo(app, positionals[0] as string);
      const keys = await app.stores.keys.listForRepo(repo.id);
      printTable(
        ['FINGERPRINT', 'ACCESS', 'LAST USED', 'COMMENT'],
        keys.map((k) => [k.fingerprint, k.owner.kind === 'deploy' && k.owner.write ? 'read-write' : 'read-only', k.lastUsedAt ?? 'never', k.comment]),
      );
      return 0;
    }
    case 'rm': {
      const { positionals } = parseCommand(rest, {}, `${FERRY} deploy-key rm PATH FINGERPRINT`, { min: 2, max: 2 });
      const repo = await requireRepo(app, positionals[0] as string);
      await app.stores.keys.removeDeployKey(repo.id, normaliseFingerprint(positionals[1] as string));
      print(`removed deploy key ${positionals[1]} from ${repo.path}`);
      return 0;
    }
    default:
      throw new UsageError(`usage: ${FERRY} deploy-key add PATH [FILE|-] [--write] | ${FERRY} deploy-key list PATH | ${FERRY} deploy-key rm PATH FINGERPRINT`);
  }
}

async function requireRepo(app: App, input: string): Promise<Repo> {
  const path = parseRepoPath(input);
  const repo = await app.stores.repos.byPath(path);
  if (!repo) throw new NotFoundError(`no repository at ${path}; see ${FERRY} repo list`, 'FERRY_REPO_NOT_FOUND');
  return repo;
}
