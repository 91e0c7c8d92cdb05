import { createHash, randomBytes } from 'node:crypto';
import type { Token, TokenStore } from '../store/types.js';

const PREFIX = 'ferry_';

/** Tokens are shown once and stored only as a SHA-256 hash. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function issueToken(store: TokenStore, userId: number, options: { readOnly: boolean; label: string }): Promise<{ token: string; record: Token }> {
  const token = `${PREFIX}${randomBytes(24).toString('base64url')}`;
  const record = await store.create(userId, hashToken(token), options);
  return { token, record };
}

export async function lookupToken(store: TokenStore, token: string): Promise<Token | undefined> {
  if (!token.startsWith(PREFIX) || token.length > 100) return undefined;
  return store.byHash(hashToken(token));
}
