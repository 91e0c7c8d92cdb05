import type { AccessPolicy } from '../access/policy.js';
import type { Subject } from '../access/subject.js';
import { ConflictError, isFerryError } from '../domain/errors.js';
import type { RepoKind } from '../domain/repo-kind.js';
import type { RepoPath } from '../domain/repo-path.js';
import type { Repo, RepoStore } from '../store/types.js';
import type { RepositoryService } from './repositories.js';

/**
 * Creates a repo on a client's behalf (`hg init ssh://…`, a git push to a new path). When the
 * path is taken (in any case) or would nest with a repo the subject may not see, the refusal does
 * not name that repo.
 */
export async function createForSubject(
  deps: { policy: AccessPolicy; repositories: RepositoryService; repos: RepoStore },
  subject: Subject,
  path: RepoPath,
  kind: RepoKind,
): Promise<Repo> {
  try {
    return await deps.repositories.create(path, kind, { isPublic: false });
  } catch (err) {
    const clash = isFerryError(err) && err.code === 'FERRY_REPO_EXISTS' ? err.data.clash : undefined;
    if (typeof clash !== 'string') throw err;
    const hidden = await deps.repos.byPath(clash as RepoPath);
    if (hidden && (await deps.policy.levelOn(subject, hidden)) !== 'none') throw err;
    throw new ConflictError(`cannot create ${path}: another repository is at, above or below that path; choose another path`, 'FERRY_REPO_EXISTS', { path });
  }
}
