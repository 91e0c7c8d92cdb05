import { AccessDeniedError } from '../domain/errors.js';
import type { RepoPath } from '../domain/repo-path.js';
import type { AccessPolicy } from './policy.js';
import type { Subject } from './subject.js';

/**
 * The one answer to "may this subject push to this existing repo?", for every transport. Returns
 * undefined when it may, or the refusal to show. (A mirror that only changes by syncing belongs
 * here too.) Throws NotFoundError when the subject may not even see the repo.
 */
export async function pushRefusal(policy: AccessPolicy, subject: Subject, path: RepoPath): Promise<AccessDeniedError | undefined> {
  try {
    await policy.authorize(subject, path, 'write');
    return undefined;
  } catch (err) {
    if (err instanceof AccessDeniedError) return err;
    throw err;
  }
}
