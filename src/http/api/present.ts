import type { Context } from 'hono';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { atLeast, type AccessLevel } from '../../domain/access-level.js';
import type { App } from '../../main.js';
import { repoUrls } from '../../services/repo-urls.js';
import { sshUrlBase, publicHost } from '../../config/public-host.js';
import type { Repo, User } from '../../store/types.js';
import { publicBaseUrl } from '../public-url.js';
import type { ApiEnv, ApiServer } from './env.js';
import { ownerAndName } from './repo-access.js';
import type { z } from '@hono/zod-openapi';
import type { RepositorySchema, UserSchema } from './schemas.js';

/** The public base URL (`[http] base_url`, else the request's Host) with no trailing slash. */
export function baseOf(app: App, c: Context<ApiEnv>): string {
  return publicBaseUrl(app.config, c.env.incoming).replace(/\/+$/, '');
}

/** The API URL of a repo: `BASE/api/v1/repos/OWNER/NAME` with the owner URL-encoded. */
export function repoApiUrl(base: string, repo: Pick<Repo, 'path'>): string {
  const { owner, name } = ownerAndName(repo.path);
  return `${base}/api/v1/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
}

/** A Ferry user as Gitea's User. */
export function userJson(base: string, user: User): z.infer<typeof UserSchema> {
  return {
    id: user.id,
    login: user.name,
    login_name: user.name,
    username: user.name,
    full_name: '',
    email: '',
    avatar_url: '',
    html_url: `${base}/${user.name}/`,
    is_admin: user.isAdmin,
    created: user.createdAt,
  };
}

/** A namespace (the owner part of a path) as Gitea's User: the user of that name, or id 0. */
export function ownerJson(base: string, owner: string, user: User | undefined): z.infer<typeof UserSchema> {
  if (user && user.name.toLowerCase() === owner.toLowerCase()) return userJson(base, user);
  return { id: 0, login: owner, login_name: owner, username: owner, full_name: '', email: '', avatar_url: '', html_url: `${base}/${owner}/`, is_admin: false, created: '' };
}

/** What a listing knows of a repo without asking hg or git (cheap: a file or two read). */
export interface RepoFacts {
  readonly description: string;
  readonly defaultBranch: string;
  readonly empty: boolean;
  readonly mirror: boolean;
}

/**
 * The default branch and emptiness read from the repo's files, for listings (no process):
 * git's HEAD names its branch; an hg repo's landing branch is `default`.
 */
export function diskFacts(repo: Pick<Repo, 'kind'>, dir: string): { defaultBranch: string; empty: boolean } {
  try {
    if (repo.kind === 'git') {
      const head = /^ref: refs\/heads\/(.+)$/m.exec(readFileSync(join(dir, 'HEAD'), 'utf8'))?.[1] ?? 'main';
      const heads = join(dir, 'refs', 'heads');
      const loose = existsSync(heads) && readdirSync(heads).length > 0;
      const packed = existsSync(join(dir, 'packed-refs')) && readFileSync(join(dir, 'packed-refs'), 'utf8').includes(' refs/heads/');
      return { defaultBranch: head, empty: !loose && !packed };
    }
    const changelog = join(dir, '.hg', 'store', '00changelog.i');
    return { defaultBranch: 'default', empty: !existsSync(changelog) || statSync(changelog).size === 0 };
  } catch {
    return { defaultBranch: repo.kind === 'git' ? 'main' : 'default', empty: true };
  }
}

/** A repo as Gitea's Repository, for a subject with `level` on it. */
export function repositoryJson(app: App, server: ApiServer, base: string, repo: Repo, level: AccessLevel, facts: RepoFacts, owner: User | undefined): z.infer<typeof RepositorySchema> {
  const { owner: ownerPath, name } = ownerAndName(repo.path);
  const urls = repoUrls(app.config, repo.path, { httpBase: base, sshBase: sshUrlBase(publicHost(app.config), server.sshPort()) });
  return {
    id: repo.id,
    owner: ownerJson(base, ownerPath, owner),
    name,
    full_name: repo.path,
    description: facts.description,
    empty: facts.empty,
    private: !repo.isPublic,
    fork: false,
    template: false,
    mirror: facts.mirror,
    archived: false,
    internal: false,
    size: 0,
    html_url: `${base}/${repo.path}`,
    clone_url: urls.http,
    ssh_url: urls.ssh,
    website: '',
    default_branch: facts.defaultBranch,
    created_at: repo.createdAt,
    updated_at: repo.createdAt,
    permissions: { admin: atLeast(level, 'admin'), push: atLeast(level, 'write'), pull: atLeast(level, 'read') },
    has_issues: false,
    has_wiki: false,
    has_pull_requests: false,
    vcs: repo.kind,
  };
}

/**
 * Gitea's Repository for each of `entries` (one page of a listing): descriptions in one query,
 * mirrors in one, default branch and emptiness from the repos' files.
 */
export async function repositoriesJson(app: App, server: ApiServer, base: string, entries: readonly { repo: Repo; level: AccessLevel }[]): Promise<z.infer<typeof RepositorySchema>[]> {
  const ids = entries.map((e) => e.repo.id);
  const descriptions = await app.stores.repoDescriptions.many(ids);
  const mirrors = new Set(entries.length === 0 ? [] : (await app.stores.mirrors.list()).map((m) => m.repo.id));
  const owners = new Map<string, User | undefined>();
  const out: z.infer<typeof RepositorySchema>[] = [];
  for (const { repo, level } of entries) {
    const ns = ownerAndName(repo.path).owner;
    if (!owners.has(ns)) owners.set(ns, ns.includes('/') || ns === '' ? undefined : await app.stores.users.byName(ns));
    const facts = { ...diskFacts(repo, app.repositories.directoryOf(repo)), description: descriptions.get(repo.id) ?? '', mirror: mirrors.has(repo.id) };
    out.push(repositoryJson(app, server, base, repo, level, facts, owners.get(ns)));
  }
  return out;
}
