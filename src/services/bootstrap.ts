import { parsePublicKeys } from '../domain/public-key.js';
import { parseUserName } from '../domain/user-name.js';
import type { Stores } from '../store/types.js';

export type BootstrapOutcome = { readonly kind: 'has-users' } | { readonly kind: 'created-admin'; readonly keys: number } | { readonly kind: 'no-users' };

/**
 * On a first start with no users: `[bootstrap] admin_keys` (or FERRY_BOOTSTRAP_ADMIN_KEYS)
 * creates an `admin` user with those keys, the way a container takes its authorized keys.
 */
export async function bootstrapAdmin(stores: Stores, adminKeys: string): Promise<BootstrapOutcome> {
  if ((await stores.users.count()) > 0) return { kind: 'has-users' };
  if (adminKeys.trim() === '') return { kind: 'no-users' };
  const keys = parsePublicKeys(adminKeys.replaceAll('\\n', '\n'));
  const admin = await stores.users.create(parseUserName('admin'), { admin: true });
  for (const key of keys) await stores.keys.addUserKey(admin.id, key);
  return { kind: 'created-admin', keys: keys.length };
}
