import { createHash, randomBytes } from 'node:crypto';
import { InvalidInputError } from '../domain/errors.js';
import type { Token, TokenStore } from '../store/types.js';

const PREFIX = 'ferry_';
const DAY_MS = 86_400_000;
/** The longest a token may be made to last (`--expires`, the web form): about ten years. */
const MAX_LIFETIME_MS = 3660 * DAY_MS;

/** Tokens are shown once and stored only as a SHA-256 hash. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Makes a token. `expiresInMs` (milliseconds from now) sets its expiry; without it the token
 * lasts until revoked.
 * @throws InvalidInputError (FERRY_INVALID_INPUT) for a lifetime of zero, or over about ten years
 */
export async function issueToken(
  store: TokenStore,
  userId: number,
  options: { readOnly: boolean; label: string; expiresInMs?: number },
  now = Date.now(),
): Promise<{ token: string; record: Token }> {
  let expiresAt: Date | null = null;
  if (options.expiresInMs !== undefined) {
    if (!(options.expiresInMs > 0) || options.expiresInMs > MAX_LIFETIME_MS) {
      throw new InvalidInputError('a token expires between one second and ten years from now: write it like 30d or 12h');
    }
    expiresAt = new Date(now + options.expiresInMs);
  }
  const token = `${PREFIX}${randomBytes(24).toString('base64url')}`;
  const record = await store.create(userId, hashToken(token), { readOnly: options.readOnly, label: options.label, expiresAt });
  return { token, record };
}

/** True once `now` has reached the token's expiry (a token without one never expires). */
export function isExpired(token: Pick<Token, 'expiresAt'>, now = Date.now()): boolean {
  return token.expiresAt !== null && Date.parse(token.expiresAt) <= now;
}

/** The token a client presented, unless unknown or expired (both answer undefined: wrong credentials). */
export async function lookupToken(store: TokenStore, token: string, now = Date.now()): Promise<Token | undefined> {
  if (!token.startsWith(PREFIX) || token.length > 100) return undefined;
  const found = await store.byHash(hashToken(token));
  return found && !isExpired(found, now) ? found : undefined;
}
