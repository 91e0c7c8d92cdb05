import type { App } from '../../main.js';
import { FERRY } from '../invocation.js';
import { UsageError } from '../../domain/errors.js';
import { parseUserName } from '../../domain/user-name.js';
import { addUser, removeUser, setAdmin } from '../../services/admins.js';
import { setPassword } from '../../services/user-passwords.js';
import { parseCommand, print, printTable } from '../io.js';
import { readSecret } from '../secret.js';

const USAGE = `${FERRY} user add NAME [--admin] | ${FERRY} user list | ${FERRY} user rm NAME | ${FERRY} user passwd NAME | ${FERRY} user admin NAME --on|--off`;

export async function userCommand(app: App, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add': {
      const { values, positionals } = parseCommand(rest, { admin: { type: 'boolean' } }, `${FERRY} user add NAME [--admin]`, { min: 1, max: 1 });
      const user = await addUser(app.stores, parseUserName(positionals[0] as string), { admin: values.admin === true });
      print(`added user ${user.name}${user.isAdmin ? ' (admin)' : ''}; next: ${FERRY} key add ${user.name} ~/.ssh/id_ed25519.pub`);
      return 0;
    }
    case 'list': {
      parseCommand(rest, {}, `${FERRY} user list`, { min: 0, max: 0 });
      const users = await app.stores.users.list();
      const rows = await Promise.all(
        users.map(async (u) => [u.name, u.isAdmin ? 'admin' : 'user', String((await app.stores.keys.listForUser(u.id)).length), u.createdAt]),
      );
      printTable(['NAME', 'ROLE', 'KEYS', 'CREATED'], rows);
      return 0;
    }
    case 'rm': {
      const { positionals } = parseCommand(rest, {}, `${FERRY} user rm NAME`, { min: 1, max: 1 });
      await removeUser(app.stores.users, parseUserName(positionals[0] as string));
      print(`removed user ${positionals[0]} with their keys, tokens and grants`);
      return 0;
    }
    case 'admin': {
      const { values, positionals } = parseCommand(rest, { on: { type: 'boolean' }, off: { type: 'boolean' } }, `${FERRY} user admin NAME --on|--off`, { min: 1, max: 1 });
      if (values.on === values.off) throw new UsageError(`usage: ${FERRY} user admin NAME --on|--off`);
      await setAdmin(app.stores.users, parseUserName(positionals[0] as string), values.on === true);
      print(`${positionals[0]} is ${values.on ? 'now an admin' : 'no longer an admin'}`);
      return 0;
    }
    case 'passwd': {
      const { positionals } = parseCommand(rest, {}, `${FERRY} user passwd NAME`, { min: 1, max: 1 });
      const name = parseUserName(positionals[0] as string);
      const user = await app.stores.users.byName(name);
      if (!user) throw new UsageError(`no user named ${name}; add it first: ${FERRY} user add ${name}`);
      const password = await readSecret(`New password for ${name}: `);
      await setPassword(app.stores, user, password);
      print(`password set for ${name}; their web sessions are signed out`);
      return 0;
    }
    default:
      throw new UsageError(`usage: ${USAGE}`);
  }
}
