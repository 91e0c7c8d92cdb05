import type { AccessLevel } from '../../domain/access-level.js';
import { InvalidInputError, NotFoundError } from '../../domain/errors.js';
import { parseRepoPath, type RepoPath } from '../../domain/repo-path.js';
import type { App } from '../../main.js';
import type { Repo } from '../../store/types.js';
import type { RepoBrowser } from '../../vcs/browse.js';
import type { Subject } from '../../access/subject.js';

/** A repository an API request may use at the level it asked for. */
export interface ApiRepo {
  readonly repo: Repo;
  readonly level: AccessLevel;
  readonly dir: string;
  readonly browser: RepoBrowser;
}

/**
 * `{owner}` and `{repo}` of a Gitea-shaped URL to a repo path (DESIGN.md: owner is the path minus
 * its last segment, URL-encoded, so `team%2Fweb` + `app` is `team/web/app`). The router has
 * already percent-decoded both.
 * @throws InvalidInputError FERRY_INVALID_REPO_PATH when the result breaks the path rules.
 */
export function repoPathOf(owner: string, name: string): RepoPath {
  if (name.includes('/')) throw new InvalidInputError('the repo name is the last path segment: URL-encode the slashes of the owner part instead (team%2Fweb)', 'FERRY_INVALID_REPO_PATH');
  return parseRepoPath(`${owner}/${name}`);
}

/** A repo path split the Gitea way: `team/web/app` → owner `team/web`, name `app`. */
export function ownerAndName(path: string): { owner: string; name: string } {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? { owner: '', name: path } : { owner: path.slice(0, slash), name: path.slice(slash + 1) };
}

/**
 * Finds the repo and checks `needed` through the one access policy (src/access/policy.ts): a repo
 * the subject may not see is 404 FERRY_REPO_NOT_FOUND, exactly like a missing one; too little
 * access is 403 FERRY_ACCESS_DENIED; a moved repo is FERRY_REPO_MOVED (301) to those who may read
 * it. Runs the crash recovery a repo gets before any use.
 */
export async function repoFor(app: App, subject: Subject, owner: string, name: string, needed: Exclude<AccessLevel, 'none'>): Promise<ApiRepo> {
  const { repo, level } = await app.policy.authorize(subject, repoPathOf(owner, name), needed);
  const dir = app.repositories.directoryOf(repo);
  await app.recovery.ready(repo.kind, dir);
  return { repo, level, dir, browser: app.browsers.for(repo, dir) };
}

/**
 * The repos under an owner that `subject` may see, for `/users/{username}/repos` and
 * `/orgs/{org}/repos`: the owner is a user's namespace or a group path (`team/web`), matched
 * without regard to case. An owner that is no user and under which the subject sees no repo is
 * 404, as Gitea answers for an unknown user or org (never an empty list that hides a typo); a
 * group whose repos are all hidden from the subject is just as unknown to them.
 * @throws NotFoundError FERRY_USER_NOT_FOUND for an unknown owner.
 */
export async function reposOfOwner(app: App, subject: Subject, owner: string): Promise<{ repo: Repo; level: AccessLevel }[]> {
  const prefix = `${owner}/`.toLowerCase();
  const under = (await app.policy.visibleRepos(subject)).filter((e) => e.repo.path.toLowerCase().startsWith(prefix));
  if (under.length > 0 || (!owner.includes('/') && (await app.stores.users.byName(owner)) !== undefined)) return under;
  throw new NotFoundError(`no user or group ${JSON.stringify(owner.length > 80 ? `${owner.slice(0, 77)}...` : owner)}`, 'FERRY_USER_NOT_FOUND');
}
