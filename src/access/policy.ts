import { atLeast, maxLevel, minLevel, type AccessLevel } from '../domain/access-level.js';
import { AccessDeniedError, NotFoundError, RepoMovedError } from '../domain/errors.js';
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
        const level = maxLevel(floor, await this.userLevel(subject.user.id, subject.user.isAdmin, subject.user.name, repo));
        return subject.readOnly ? minLevel(level, 'read') : level;
      }
    }
  }

  /** May `subject` create a repository at `path` (from a client: `hg init ssh://…`, a git push)? */
  async canCreate(subject: Subject, path: RepoPath): Promise<boolean> {
    if (subject.kind !== 'user' || subject.readOnly) return false;
    return atLeast(await this.userLevel(subject.user.id, subject.user.isAdmin, subject.user.name, { id: undefined, path }), 'write');
  }

  /**
   * Does `subject` own the namespace `repo` lives in, as GitHub and Gitea ask of whoever moves a
   * repo elsewhere? A site admin does; so does the user whose namespace it is (`alice/…` for
   * alice) and a user with an admin grant on a group that holds it (`team/`). An admin grant on the
   * repo alone does not: it lets a user rename the repo within its namespace, never take it out.
   * A read-only token owns nothing.
   */
  async ownsNamespaceOf(subject: Subject, repo: Repo): Promise<boolean> {
    if (subject.kind !== 'user' || subject.readOnly) return false;
    if (subject.user.isAdmin) return true;
    if (repo.path.includes('/') && namespaceOf(repo.path).toLowerCase() === subject.user.name.toLowerCase()) return true;
    const grants = await this.stores.grants.forUser(subject.user.id);
    return grants.some((g) => g.repoId === null && g.level === 'admin' && g.target.endsWith('/') && grantCovers(g.target, repo.path));
  }

  /**
   * Finds the repo (without regard to case) and checks `needed`. A repo the subject may not see
   * answers exactly like a missing one, so nobody learns which private repos exist. Where a repo
   * was moved away from `path` (and none created since), throws RepoMovedError naming the new
   * path, but only to a subject who may read it there; to others it is missing.
   */
  async authorize(subject: Subject, path: RepoPath, needed: Exclude<AccessLevel, 'none'>): Promise<{ repo: Repo; level: AccessLevel }> {
    const repo = await this.stores.repos.byPath(path);
    const level = repo ? await this.levelOn(subject, repo) : 'none';
    if (!repo) {
      const moved = await this.movedTo(subject, path);
      if (moved) throw new RepoMovedError(path, moved.path);
    }
    if (!repo || level === 'none') throw repoNotFound(path);
    if (!atLeast(level, needed)) {
      if (subject.kind === 'user' && subject.readOnly && atLeast(await this.levelOn({ ...subject, readOnly: false }, repo), needed)) {
        throw readOnlyToken(subject.user.name, `${needed === 'write' ? 'write to' : 'administer'} ${path}`, { path, level, needed });
      }
      throw new AccessDeniedError(`${describeSubject(subject)} may only ${level === 'read' ? 'read' : 'write to'} ${path}`, 'FERRY_ACCESS_DENIED', {
        path,
        level,
        needed,
      });
    }
    return { repo, level };
  }

  /** The repo moved away from `path` (no repo there now), if the subject may read it. */
  async movedTo(subject: Subject, path: RepoPath): Promise<Repo | undefined> {
    const moved = await this.stores.repos.movedFrom(path);
    return moved && (await this.levelOn(subject, moved)) !== 'none' ? moved : undefined;
  }

  /** Every repo the subject can see, with its level. */
  async visibleRepos(subject: Subject): Promise<{ repo: Repo; level: AccessLevel }[]> {
    const repos = await this.stores.repos.list();
    const out: { repo: Repo; level: AccessLevel }[] = [];
    const grants = subject.kind === 'user' ? await this.stores.grants.forUser(subject.user.id) : [];
    for (const repo of repos) {
      let level: AccessLevel;
      if (subject.kind === 'user') {
        level = maxLevel(repo.isPublic ? 'read' : 'none', levelFromGrants(grants, subject.user.isAdmin, subject.user.name, repo));
        if (subject.readOnly) level = minLevel(level, 'read');
      } else {
        level = await this.levelOn(subject, repo);
      }
      if (level !== 'none') out.push({ repo, level });
    }
    return out;
  }

  private async userLevel(userId: number, isAdmin: boolean, name: string, target: GrantSubjectRepo): Promise<AccessLevel> {
    if (isAdmin) return 'admin';
    return levelFromGrants(await this.stores.grants.forUser(userId), false, name, target);
  }
}

/** A repo (by id) or, for a repo not created yet, only the path it would have. */
type GrantSubjectRepo = { readonly id: number | undefined; readonly path: RepoPath };

/**
 * A grant on one repo covers that repo (by id: it followed any rename); a group grant covers the
 * paths under its prefix, compared without regard to case.
 */
function levelFromGrants(grants: readonly Grant[], isAdmin: boolean, userName: string, repo: GrantSubjectRepo): AccessLevel {
  if (isAdmin) return 'admin';
  let level: AccessLevel = namespaceOf(repo.path).toLowerCase() === userName.toLowerCase() && repo.path.includes('/') ? 'admin' : 'none';
  for (const grant of grants) {
    const covers = grant.repoId !== null ? grant.repoId === repo.id : grantCovers(grant.target, repo.path);
    if (covers) level = maxLevel(level, grant.level);
  }
  return level;
}

/**
 * The refusal of a read-only token where its user could do what was asked: it names the token as
 * the reason (not the user, who may) and says what to do.
 */
export function readOnlyToken(userName: string, what: string, data: Record<string, unknown> = {}): AccessDeniedError {
  return new AccessDeniedError(
    `this token is read-only, so it may not ${what}: make a token with write access (\`ferry token add ${userName}\` without --read-only, or on /-/settings) and use that`,
    'FERRY_ACCESS_DENIED',
    { ...data, readOnlyToken: true },
  );
}

export function repoNotFound(path: string): NotFoundError {
  return new NotFoundError(`repository ${path} does not exist or you may not see it`, 'FERRY_REPO_NOT_FOUND', { path });
}
