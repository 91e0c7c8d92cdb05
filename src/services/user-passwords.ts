import type { Stores, User } from '../store/types.js';
import { hashPassword } from './passwords.js';

/**
 * Sets a user's password and ends every web session of that user but `keepSession` (the SHA-256
 * id of the session that made the change, when a user changes their own): whoever signed in with
 * the old password — perhaps the reason it is being changed — is signed out everywhere. The one
 * path behind `ferry user passwd`, the admin page's reset and a user's own change.
 * @throws InvalidInputError (FERRY_INVALID_INPUT) for a password under 8 or over 1024 characters
 */
export async function setPassword(stores: Pick<Stores, 'users' | 'sessions'>, user: Pick<User, 'id'>, password: string, keepSession?: string): Promise<void> {
  const hash = await hashPassword(password);
  await stores.users.setPasswordHash(user.id, hash);
  await stores.sessions.removeForUser(user.id, keepSession);
}
