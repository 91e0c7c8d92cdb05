import { createHash, randomBytes } from 'node:crypto';
import { FerryError, InvalidInputError } from '../domain/errors.js';
import type { Token, TokenStore } from '../store/types.js';

const PREFIX = 'ferry_';
const DAY_MS = 86_400_000;
/** The longest a token may be made to last (`--expires`, the web form): about ten years. */
const MAX_LIFETIME_MS = 3660 * DAY_MS;
/**
 * The shortest: one hour. GitHub's and GitLab's shortest token lifetime is a day (an expiry date);
 * an hour still serves a CI job or a one-off script, and a token that dies before it can be
 * copied into a client (`--expires 1s`) is a typo, not a choice.
 */
const MIN_LIFETIME_MS = 3_600_000;

/** Tokens are shown once and stored only as a SHA-256 hash. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Makes a token. `expiresInMs` (milliseconds from now) sets its expiry; without it the token
 * lasts until revoked.
 * @throws InvalidInputError (FERRY_INVALID_INPUT) for a lifetime under an hour, or over about ten years
 */
export async function issueToken(
  store: TokenStore,
  userId: number,
  options: { readOnly: boolean; label: string; expiresInMs?: number },
  now = Date.now(),
): Promise<{ token: string; record: Token }> {
  let expiresAt: Date | null = null;
  if (options.expiresInMs !== undefined) {
    if (!(options.expiresInMs >= MIN_LIFETIME_MS) || options.expiresInMs > MAX_LIFETIME_MS) {
      throw new InvalidInputError('a token lasts from 1 hour to 10 years (1h to 3660d): write it like 12h, 30d or 90d, or leave --expires out for no expiry');
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

/**
 * The token a client presented and whether it has expired, or undefined for a value that is no
 * token of ours (unknown, revoked, or not a token at all: perhaps a password).
 */
export async function findToken(store: TokenStore, token: string, now = Date.now()): Promise<{ token: Token; expired: boolean } | undefined> {
  if (!token.startsWith(PREFIX) || token.length > 100) return undefined;
  const found = await store.byHash(hashToken(token));
  return found && { token: found, expired: isExpired(found, now) };
}

/**
 * The refusal of an expired token, on every transport: when it expired and what to do.
 * FERRY_AUTH_REQUIRED (401): the credential no longer signs anyone in.
 */
export function tokenExpired(expiresAt: string): FerryError {
  const when = expiresAt === '' ? '' : ` on ${expiresAt.slice(0, 16).replace('T', ' ')} UTC`;
  return new FerryError('FERRY_AUTH_REQUIRED', `this token expired${when}: make a new one with \`ferry token add USER --expires 90d\` or on your settings page (/-/settings)`, { data: { expiresAt } });
}
