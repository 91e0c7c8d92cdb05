import { AccessDeniedError } from '../domain/errors.js';
import type { RepoPath } from '../domain/repo-path.js';
import { mirrorRefusal } from '../mirrors/read-only.js';
import type { MirrorStore } from '../store/types.js';
import type { AccessPolicy } from './policy.js';
import type { Subject } from './subject.js';

/**
 * The one answer to "may this subject push to this existing repo?", for every transport. Returns
 * undefined when it may, or the refusal to show. (A mirror that only changes by syncing belongs
 * here too.) Throws NotFoundError when the subject may not even see the repo.
 */
export async function pushRefusal(
  policy: AccessPolicy,
  subject: Subject,
  path: RepoPath,
  mirrors: Pick<MirrorStore, 'byRepoId'>,
): Promise<AccessDeniedError | undefined> {
  try {
    const { repo } = await policy.authorize(subject, path, 'write');
    return await mirrorRefusal(mirrors, repo);
  } catch (err) {
    if (err instanceof AccessDeniedError) return err;
    throw err;
  }
}
