import ssh2, { type PublicKeyAuthContext } from 'ssh2';
import type { Subject } from '../access/subject.js';
import { FerryError } from '../domain/errors.js';
import type { KeyStore, SshKey } from '../store/types.js';
import { ACCEPTED_SIGNATURE_KEY_TYPES } from './algorithms.js';

export type PublicKeyOutcome =
  /** The key is registered: the client may now prove it holds it (no one is known yet). */
  | { readonly kind: 'acceptable' }
  /** A signature by a registered key verified: this is who the connection is. */
  | { readonly kind: 'authenticated'; readonly subject: Subject; readonly key: SshKey }
  | { readonly kind: 'rejected'; readonly reason: string };

/**
 * Decides one public-key authentication request. A subject exists only after the signature over
 * the session id verified with the very key that was looked up: the query without a signature
 * only answers "acceptable" (the GHSA-pchf-49fh-w34r / CVE-2024-45337 class of bug is trusting
 * that answer later).
 */
export async function checkPublicKey(keys: Pick<KeyStore, 'byBlob'>, ctx: Pick<PublicKeyAuthContext, 'key' | 'signature' | 'blob' | 'hashAlgo'>): Promise<PublicKeyOutcome> {
  const algo = ctx.key.algo;
  if (!ACCEPTED_SIGNATURE_KEY_TYPES.has(algo)) return { kind: 'rejected', reason: `key type ${algo} not accepted` };
  if (algo === 'ssh-rsa' && ctx.signature !== undefined && ctx.hashAlgo === undefined) {
    return { kind: 'rejected', reason: 'ssh-rsa (SHA-1) signature refused; rsa-sha2-256/512 required' };
  }
  if (algo === 'ssh-rsa' && ctx.signature === undefined && ctx.hashAlgo === undefined) {
    return { kind: 'rejected', reason: 'ssh-rsa (SHA-1) signature algorithm refused' };
  }
  const key = await keys.byBlob(ctx.key.data);
  if (!key) return { kind: 'rejected', reason: 'unknown key' };
  if (ctx.signature === undefined || ctx.blob === undefined) return { kind: 'acceptable' };
  const parsed = ssh2.utils.parseKey(ctx.key.data);
  if (parsed instanceof Error || Array.isArray(parsed) || parsed.type !== algo || !parsed.getPublicSSH().equals(ctx.key.data)) {
    return { kind: 'rejected', reason: 'key does not parse' };
  }
  if (parsed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return { kind: 'rejected', reason: 'bad signature' };
  return { kind: 'authenticated', subject: subjectOf(key), key };
}

export function subjectOf(key: SshKey): Subject {
  return key.owner.kind === 'user'
    ? { kind: 'user', user: key.owner.user, readOnly: false, credential: { kind: 'key', fingerprint: key.fingerprint } }
    : { kind: 'deploy-key', repo: key.owner.repo, write: key.owner.write, fingerprint: key.fingerprint };
}

/**
 * Who the key that signed in on a connection is *now*. Called for every session command (exec,
 * shell), never cached per connection: a key, user or deploy key removed, an admin demoted, a
 * repo renamed all take effect on the next command of a live (e.g. ControlMaster) connection.
 * Throws FerryError FERRY_AUTH_REQUIRED when the key is no longer registered.
 */
export async function currentSubject(keys: Pick<KeyStore, 'byBlob'>, blob: Buffer): Promise<Subject> {
  const key = await keys.byBlob(blob);
  if (!key) throw new FerryError('FERRY_AUTH_REQUIRED', 'this key is no longer registered with Ferry: add a key with `ferry key add` and reconnect');
  return subjectOf(key);
}
