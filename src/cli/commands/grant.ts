import type { App } from '../../main.js';
import { FERRY } from '../invocation.js';
import { isGrantLevel } from '../../domain/access-level.js';
import { NotFoundError, UsageError } from '../../domain/errors.js';
import { parseGrantTarget } from '../../domain/repo-path.js';
import { parseCommand, print, printTable } from '../io.js';
import { requireUser } from './key.js';

export async function grantCommand(app: App, args: string[]): Promise<number> {
  if (args[0] === 'list') {
    parseCommand(args.slice(1), {}, `${FERRY} grant list`, { min: 0, max: 0 });
    const grants = await app.stores.grants.list();
    printTable(['USER', 'TARGET', 'LEVEL'], grants.map((g) => [g.user, g.target, g.level]));
    return 0;
  }
  const { positionals } = parseCommand(args, {}, `${FERRY} grant USER PATH|GROUP/ read|write|admin`, { min: 3, max: 3 });
  const [name, targetInput, level] = positionals as [string, string, string];
  if (!isGrantLevel(level)) throw new UsageError(`unknown level ${JSON.stringify(level)}: use read, write or admin`);
  const user = await requireUser(app, name);
  const target = parseGrantTarget(targetInput);
  await app.stores.grants.set(user.id, target, level);
  print(`${user.name} may now ${level === 'read' ? 'read' : level === 'write' ? 'read and write' : 'administer'} ${target}${target.endsWith('/') ? '*' : ''}`);
  return 0;
}

export async function revokeCommand(app: App, args: string[]): Promise<number> {
  const { positionals } = parseCommand(args, {}, `${FERRY} revoke USER PATH|GROUP/`, { min: 2, max: 2 });
  const user = await requireUser(app, positionals[0] as string);
  const target = parseGrantTarget(positionals[1] as string);
  if (!(await app.stores.grants.remove(user.id, target))) throw new NotFoundError(`${user.name} has no grant on ${target}`);
  print(`revoked ${user.name}'s grant on ${target}`);
  return 0;
}
