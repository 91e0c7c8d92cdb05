import type { AccessPolicy } from '../access/policy.js';
import { describeSubject, type Subject } from '../access/subject.js';
import { AccessDeniedError, InvalidInputError } from '../domain/errors.js';
import type { RepoPath } from '../domain/repo-path.js';
import type { Repo } from '../store/types.js';
import type { RepositoryService } from './repositories.js';

/**
 * `ferry repo mv` on a subject's behalf (the repo settings page, the REST API): the same move, with
 * its redirect, grants, keys and mirror going along, under the rule GitHub and Gitea apply to
 * renames and transfers (docs/repositories.md, "Who may rename or move a repo"):
 * - within the repo's namespace (only the last segment changes) a repo admin may rename it;
 * - to another namespace, the subject must own the current one (site admin, the namespace's user,
 *   or an admin grant on its group — a grant on the repo alone is not enough) AND be allowed to
 *   create repos at the new path. A repo admin by grant may not take a repo out of its owner's
 *   namespace, nor drop one into someone else's.
 * The caller has already checked that the subject is an admin of `repo`.
 * @throws AccessDeniedError (FERRY_ACCESS_DENIED) when the move breaks that rule
 * @throws ConflictError (FERRY_REPO_EXISTS) from the move when `to` is taken or nests
 */
export async function moveForSubject(deps: { policy: AccessPolicy; repositories: RepositoryService }, subject: Subject, repo: Repo, to: RepoPath): Promise<Repo> {
  if (parentOf(to).toLowerCase() !== parentOf(repo.path).toLowerCase()) {
    if (!(await deps.policy.ownsNamespaceOf(subject, repo))) {
      const within = parentOf(repo.path) === '' ? 'a new name without /' : `${parentOf(repo.path)}/NEW-NAME`;
      throw new AccessDeniedError(
        `${describeSubject(subject)} may not move ${repo.path} out of ${parentOf(repo.path) || 'the top level'}: only the namespace's owner or a site admin may; rename it within its namespace (${within}) instead`,
      );
    }
    if (!(await deps.policy.canCreate(subject, to))) {
      throw new AccessDeniedError(`${describeSubject(subject)} may not create repositories at ${to}: choose a path in a namespace or group you may write to`);
    }
  }
  return deps.repositories.move(repo.path, to);
}

/** Everything before a path's last segment (`team/web` for `team/web/app`), or '' at the top level. */
function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
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
