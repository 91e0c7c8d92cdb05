import { ConflictError, NotFoundError } from '../domain/errors.js';
import type { UserName } from '../domain/user-name.js';
import type { RepoStore, User, UserStore } from '../store/types.js';

/**
 * Refuses to leave the site without an admin: the one rule behind `ferry user admin NAME --off`,
 * `ferry user rm NAME` and the admin page's "Remove admin".
 * @throws NotFoundError (FERRY_USER_NOT_FOUND) when no user has that name
 * @throws ConflictError (FERRY_LAST_ADMIN) when `name` is the only admin
 */
async function refuseLastAdmin(users: UserStore, name: UserName): Promise<void> {
  const user = await users.byName(name);
  if (!user) throw new NotFoundError(`no user named ${name}`, 'FERRY_USER_NOT_FOUND', { name });
  if (!user.isAdmin) return;
  const admins = (await users.list()).filter((u) => u.isAdmin).length;
  if (admins <= 1) {
    throw new ConflictError(`${name} is the only admin: make another user an admin first (ferry user admin NAME --on)`, 'FERRY_LAST_ADMIN', { name });
  }
}

/** Grants or takes away admin rights; taking them from the only admin is refused (FERRY_LAST_ADMIN). */
export async function setAdmin(users: UserStore, name: UserName, admin: boolean): Promise<void> {
  if (!admin) await refuseLastAdmin(users, name);
  await users.setAdmin(name, admin);
}

/** Removes a user with their keys, tokens and grants; removing the only admin is refused (FERRY_LAST_ADMIN). */
export async function removeUser(users: UserStore, name: UserName): Promise<void> {
  await refuseLastAdmin(users, name);
  await users.remove(name);
}

/**
 * Adds a user, refusing a name whose namespace (`NAME/…`, matched without regard to case) already
 * holds repositories: a user owns their namespace (they may create and administer there), so a
 * new user of that name would silently own repos made by others, or those of a removed user of
 * the same name — access that passes to a stranger, as a grant surviving a rename would.
 * @throws ConflictError (FERRY_NAMESPACE_TAKEN) when repos exist under `NAME/`
 * @throws ConflictError (FERRY_USER_EXISTS) when the name is taken (checked first)
 */
export async function addUser(stores: { users: UserStore; repos: RepoStore }, name: UserName, options: { admin: boolean }): Promise<User> {
  // An existing user is told as such first: their own repos are under NAME/ too.
  if (await stores.users.byName(name)) throw new ConflictError(`user ${name} already exists`, 'FERRY_USER_EXISTS', { name });
  const prefix = `${name.toLowerCase()}/`;
  const owned = (await stores.repos.list()).filter((r) => r.path.toLowerCase().startsWith(prefix));
  if (owned.length > 0) {
    const some = owned.slice(0, 3).map((r) => r.path).join(', ');
    throw new ConflictError(
      `repositories already exist under ${name}/ (${some}${owned.length > 3 ? ', …' : ''}): a user named ${name} would own them; choose another name, or move them first (ferry repo mv)`,
      'FERRY_NAMESPACE_TAKEN',
      { name },
    );
  }
  return stores.users.create(name, options);
}
