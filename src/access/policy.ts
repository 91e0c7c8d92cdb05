import { atLeast, maxLevel, minLevel, type AccessLevel } from '../domain/access-level.js';
import { AccessDeniedError, NotFoundError } from '../domain/errors.js';
import { grantCovers, namespaceOf, type RepoPath } from '../domain/repo-path.js';
import type { Grant, Repo, Stores } from '../store/types.js';
import { describeSubject, type Subject } from './subject.js';

/**
 * The one place that decides who may do what. SSH, HTTP, the web UI, the CDN and the CLI all ask
 * it; none of them decides on its own.
 */
export class AccessPolicy {
  constructor(private readonly stores: Pick<Stores, 'grants' | 'repos'>) {}

  /** The level `subject` has on an existing repo. */
  async levelOn(subject: Subject, repo: Repo): Promise<AccessLevel> {
    const floor: AccessLevel = repo.isPublic ? 'read' : 'none';
    switch (subject.kind) {
      case 'anonymous':
        return floor;
      case 'deploy-key':
        return subject.repo.id === repo.id ? (subject.write ? 'write' : 'read') : floor;
      case 'user': {
        const level = maxLevel(floor, await this.userLevel(subject.user.id, subject.user.isAdmin, subject.user.name, repo.path));
        return subject.readOnly ? minLevel(level, 'read') : level;
      }
    }
  }

  /** May `subject` create a repository at `path` (from a client: `hg init ssh://…`, a git push)? */
  async canCreate(subject: Subject, path: RepoPath): Promise<boolean> {
    if (subject.kind !== 'user' || subject.readOnly) return false;
    return atLeast(await this.userLevel(subject.user.id, subject.user.isAdmin, subject.user.name, path), 'write');
  }

  /**
   * Finds the repo and checks `needed`. A repo the subject may not see answers exactly like a
   * missing one, so nobody learns which private repos exist.
   */
  async authorize(subject: Subject, path: RepoPath, needed: Exclude<AccessLevel, 'none'>): Promise<{ repo: Repo; level: AccessLevel }> {
    const repo = await this.stores.repos.byPath(path);
    const level = repo ? await this.levelOn(subject, repo) : 'none';
    if (!repo || level === 'none') throw repoNotFound(path);
    if (!atLeast(level, needed)) {
      throw new AccessDeniedError(`${describeSubject(subject)} may only ${level === 'read' ? 'read' : 'write to'} ${path}`, 'FERRY_ACCESS_DENIED', {
        path,
        level,
        needed,
      });
    }
    return { repo, level };
  }

  /** Every repo the subject can see, with its level. */
  async visibleRepos(subject: Subject): Promise<{ repo: Repo; level: AccessLevel }[]> {
    const repos = await this.stores.repos.list();
    const out: { repo: Repo; level: AccessLevel }[] = [];
    const grants = subject.kind === 'user' ? await this.stores.grants.forUser(subject.user.id) : [];
    for (const repo of repos) {
      let level: AccessLevel;
      if (subject.kind === 'user') {
        level = maxLevel(repo.isPublic ? 'read' : 'none', levelFromGrants(grants, subject.user.isAdmin, subject.user.name, repo.path));
        if (subject.readOnly) level = minLevel(level, 'read');
      } else {
        level = await this.levelOn(subject, repo);
      }
      if (level !== 'none') out.push({ repo, level });
    }
    return out;
  }

  private async userLevel(userId: number, isAdmin: boolean, name: string, path: RepoPath): Promise<AccessLevel> {
    if (isAdmin) return 'admin';
    return levelFromGrants(await this.stores.grants.forUser(userId), false, name, path);
  }
}

function levelFromGrants(grants: readonly Grant[], isAdmin: boolean, userName: string, path: RepoPath): AccessLevel {
  if (isAdmin) return 'admin';
  let level: AccessLevel = namespaceOf(path).toLowerCase() === userName.toLowerCase() && path.includes('/') ? 'admin' : 'none';
  for (const grant of grants) {
    if (grantCovers(grant.target, path)) level = maxLevel(level, grant.level);
  }
  return level;
}

export function repoNotFound(path: string): NotFoundError {
  return new NotFoundError(`repository ${path} does not exist or you may not see it`, 'FERRY_REPO_NOT_FOUND', { path });
}
