import type { Repo } from '../store/types.js';
import type { RefUpdate } from '../vcs/refs.js';
import type { CommitDetail, UpdateHistory } from './commits.js';

/** Where the repo is reached, for the URLs a payload carries. */
export interface RepoLinks {
  readonly httpBase: string;
  readonly sshBase: string;
}

export const ZERO_ID = '0000000000000000000000000000000000000000';

/** The `repository` object of Gitea's and GitHub's payloads (owner = the path minus its last segment). */
export function repositoryObject(repo: Repo, links: RepoLinks, defaultBranch: string | undefined): Record<string, unknown> {
  const slash = repo.path.lastIndexOf('/');
  const owner = slash < 0 ? '' : repo.path.slice(0, slash);
  const name = repo.path.slice(slash + 1);
  const html = `${links.httpBase}/${repo.path}`;
  return {
    id: repo.id,
    owner: { id: 0, login: owner, username: owner },
    name,
    full_name: repo.path,
    description: '',
    private: !repo.isPublic,
    fork: false,
    html_url: html,
    url: html,
    clone_url: repo.kind === 'git' ? `${html}.git` : html,
    ssh_url: `${links.sshBase}/${repo.path}`,
    default_branch: defaultBranch ?? '',
    vcs: repo.kind,
    created_at: repo.createdAt,
  };
}

function commitObject(c: CommitDetail, repo: Repo, links: RepoLinks): Record<string, unknown> {
  return {
    id: c.id,
    message: c.message,
    url: `${links.httpBase}/${repo.path}/-/commit/${c.id}`,
    author: { name: c.authorName, email: c.authorEmail, username: '' },
    committer: { name: c.committerName, email: c.committerEmail, username: '' },
    timestamp: c.timestamp,
    added: c.added,
    removed: c.removed,
    modified: c.modified,
  };
}

/** `refs/heads/x` → ['branch', 'x']; `refs/tags/v1` → ['tag', 'v1']. */
export function refKind(ref: string): { type: 'branch' | 'tag'; name: string } {
  return ref.startsWith('refs/tags/') ? { type: 'tag', name: ref.slice('refs/tags/'.length) } : { type: 'branch', name: ref.replace(/^refs\/heads\//, '') };
}

/**
 * A push event as GitHub and Gitea send it (docs/webhooks.md): `ref`, `before`/`after` (zeros for a
 * created or deleted ref), `created`, `deleted`, `forced`, `commits` (oldest first, at most the
 * limit; `total_commits` counts them all), `head_commit`, `compare`, `pusher`/`sender`,
 * `repository`, and `push_options` when `git push -o` sent some.
 */
export function pushPayload(
  repo: Repo,
  update: RefUpdate,
  history: UpdateHistory,
  head: CommitDetail | undefined,
  context: { links: RepoLinks; defaultBranch: string | undefined; pusher: string; pushOptions?: readonly string[] },
): Record<string, unknown> {
  const before = update.before ?? ZERO_ID;
  const after = update.after ?? ZERO_ID;
  const who = { id: 0, login: context.pusher, username: context.pusher, name: context.pusher };
  return {
    ref: update.ref,
    before,
    after,
    created: update.before === null,
    deleted: update.after === null,
    forced: history.forced,
    compare: update.before && update.after ? `${context.links.httpBase}/${repo.path}/-/compare/${update.before}...${update.after}` : '',
    compare_url: update.before && update.after ? `${context.links.httpBase}/${repo.path}/-/compare/${update.before}...${update.after}` : '',
    commits: history.commits.map((c) => commitObject(c, repo, context.links)),
    total_commits: history.total,
    head_commit: head ? commitObject(head, repo, context.links) : null,
    repository: repositoryObject(repo, context.links, context.defaultBranch),
    pusher: who,
    sender: who,
    ...(context.pushOptions && context.pushOptions.length > 0 ? { push_options: context.pushOptions } : {}),
  };
}

/** A create or delete event (Gitea's shape): the branch or tag that appeared or went. */
export function refPayload(repo: Repo, update: RefUpdate, context: { links: RepoLinks; defaultBranch: string | undefined; pusher: string }): Record<string, unknown> {
  const { type, name } = refKind(update.ref);
  const who = { id: 0, login: context.pusher, username: context.pusher, name: context.pusher };
  return {
    ref: name,
    ref_type: type,
    sha: update.after ?? update.before ?? ZERO_ID,
    pusher_type: 'user',
    repository: repositoryObject(repo, context.links, context.defaultBranch),
    sender: who,
  };
}
