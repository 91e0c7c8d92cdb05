import { ConflictError } from '../domain/errors.js';
import { keyInUseError, parsePublicKeys, type PublicKey } from '../domain/public-key.js';
import type { KeyStore, Repo, SshKey } from '../store/types.js';

/**
 * Checks every key before adding any, so a file with one duplicate adds nothing.
 * @throws ConflictError (FERRY_KEY_EXISTS) for a key twice in the input or registered already
 */
export async function assertNoneRegistered(store: KeyStore, keys: readonly PublicKey[]): Promise<void> {
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key.fingerprint)) {
      throw new ConflictError(`key ${key.fingerprint} appears twice in the input; nothing was added`, 'FERRY_KEY_EXISTS');
    }
    seen.add(key.fingerprint);
    const existing = await store.byBlob(key.blob);
    if (existing) {
      throw keyInUseError(key.fingerprint);
    }
  }
}

/**
 * Adds deploy keys to a repo from OpenSSH public key lines (`authorized_keys` format accepted):
 * all or none. The one path behind `ferry deploy-key add` and the repo settings page.
 * @throws FerryError FERRY_INVALID_KEY (a line that is no usable key), FERRY_KEY_EXISTS
 */
export async function addDeployKeys(store: KeyStore, repo: Pick<Repo, 'id'>, text: string, write: boolean): Promise<SshKey[]> {
  const keys = parsePublicKeys(text);
  await assertNoneRegistered(store, keys);
  const added: SshKey[] = [];
  for (const key of keys) added.push(await store.addDeployKey(repo.id, key, write));
  return added;
}

/** `SHA256:…` whether or not the prefix was typed. */
export function normaliseFingerprint(input: string): string {
  return input.startsWith('SHA256:') ? input : `SHA256:${input}`;
}
