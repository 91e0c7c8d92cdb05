import type { App } from '../../main.js';
import { FERRY } from '../invocation.js';
import { NotFoundError, UsageError } from '../../domain/errors.js';
import { parsePublicKeys } from '../../domain/public-key.js';
import { assertNoneRegistered, normaliseFingerprint } from '../../services/ssh-keys.js';
import { parseUserName } from '../../domain/user-name.js';
import type { User } from '../../store/types.js';
import { parseCommand, print, printTable, readInput } from '../io.js';

const USAGE = `${FERRY} key add USER [FILE|-] | ${FERRY} key list [USER] | ${FERRY} key rm USER FINGERPRINT`;

export async function keyCommand(app: App, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add': {
      const { positionals } = parseCommand(rest, {}, `${FERRY} key add USER [FILE|-]`, { min: 1, max: 2 });
      const user = await requireUser(app, positionals[0] as string);
      const keys = parsePublicKeys(readInput(positionals[1]));
      await assertNoneRegistered(app.stores.keys, keys);
      for (const key of keys) {
        const added = await app.stores.keys.addUserKey(user.id, key);
        print(`added ${added.type} key ${added.fingerprint}${added.comment ? ` (${added.comment})` : ''} for ${user.name}`);
      }
      return 0;
    }
    case 'list': {
      const { positionals } = parseCommand(rest, {}, `${FERRY} key list [USER]`, { min: 0, max: 1 });
      const users = positionals[0] === undefined ? await app.stores.users.list() : [await requireUser(app, positionals[0])];
      const rows: string[][] = [];
      for (const user of users) {
        for (const key of await app.stores.keys.listForUser(user.id)) {
          rows.push([user.name, key.fingerprint, key.type, key.lastUsedAt ?? 'never', key.comment]);
        }
      }
      printTable(['USER', 'FINGERPRINT', 'TYPE', 'LAST USED', 'COMMENT'], rows);
      return 0;
    }
    case 'rm': {
      const { positionals } = parseCommand(rest, {}, `${FERRY} key rm USER FINGERPRINT`, { min: 2, max: 2 });
      const user = await requireUser(app, positionals[0] as string);
      await app.stores.keys.removeUserKey(user.id, normaliseFingerprint(positionals[1] as string));
      print(`removed key ${positionals[1]} of ${user.name}`);
      return 0;
    }
    default:
      throw new UsageError(`usage: ${USAGE}`);
  }
}

export async function requireUser(app: App, name: string): Promise<User> {
  const user = await app.stores.users.byName(parseUserName(name));
  if (!user) throw new NotFoundError(`no user named ${name}; add it first: ${FERRY} user add ${name}`, 'FERRY_USER_NOT_FOUND');
  return user;
}

