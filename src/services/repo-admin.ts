import type { AccessPolicy } from '../access/policy.js';
import { describeSubject, type Subject } from '../access/subject.js';
import { AccessDeniedError, InvalidInputError } from '../domain/errors.js';
import type { RepoPath } from '../domain/repo-path.js';
import type { Repo } from '../store/types.js';
import type { RepositoryService } from './repositories.js';

/**
 * `ferry repo mv` on a subject's behalf (the repo settings page): the same move, with its
 * redirect, grants, keys and mirror going along, but only to a path where the subject could have
 * created a repo — a repo admin may not drop a repo into someone else's namespace.
 * @throws AccessDeniedError (FERRY_ACCESS_DENIED) when the subject may not create at `to`
 * @throws ConflictError (FERRY_REPO_EXISTS) from the move when `to` is taken or nests
 */
export async function moveForSubject(deps: { policy: AccessPolicy; repositories: RepositoryService }, subject: Subject, repo: Repo, to: RepoPath): Promise<Repo> {
  if (!(await deps.policy.canCreate(subject, to))) {
    throw new AccessDeniedError(`${describeSubject(subject)} may not create repositories at ${to}: choose a path in a namespace or group you may write to`);
  }
  return deps.repositories.move(repo.path, to);
}

/**
 * `ferry repo rm` confirmed by typing the repo's path, as Gitea asks: a slip of the mouse does
 * not delete a repository.
 * @throws InvalidInputError (FERRY_INVALID_INPUT) when `typed` is not the repo's path
 */
export async function removeConfirmed(repositories: RepositoryService, repo: Repo, typed: string): Promise<void> {
  if (typed.trim() !== repo.path) {
    throw new InvalidInputError(`type the repository's path, ${repo.path}, to delete it; nothing was deleted`);
  }
  await repositories.remove(repo.path);
}
