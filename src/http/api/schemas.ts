import { z } from '@hono/zod-openapi';

/** Every error answer: the FERRY_* code (docs/errors.md) and a one-line message; beside it Gitea's APIError fields. */
export const ErrorSchema = z
  .object({
    error: z.object({ code: z.string().openapi({ example: 'FERRY_REPO_NOT_FOUND' }), message: z.string() }),
    message: z.string().openapi({ description: 'the same message, where Gitea\'s APIError has it' }),
    url: z.string().openapi({ description: 'where the API is documented (this OpenAPI document), as Gitea\'s APIError', example: 'https://git.example.com/api/v1/openapi.json' }),
  })
  .openapi('Error');

/** The `default` response every route documents. */
export const errorResponses = {
  default: { description: 'an error: `{"error":{"code","message"},"message","url"}` with the status of docs/errors.md', content: { 'application/json': { schema: ErrorSchema } } },
} as const;

/** `{owner}` and `{repo}` path parameters (owner URL-encoded when it holds slashes). */
export const RepoParams = z.object({
  owner: z.string().min(1).openapi({ param: { name: 'owner', in: 'path' }, description: 'repo path minus its last segment, URL-encoded (team%2Fweb)', example: 'alice' }),
  repo: z.string().min(1).openapi({ param: { name: 'repo', in: 'path' }, description: 'last segment of the repo path', example: 'app' }),
});

/** A JSON body answer of `schema`, for a route's `responses`. */
export function jsonOf<T extends z.ZodType>(schema: T, description: string): { description: string; content: { 'application/json': { schema: T } } } {
  return { description, content: { 'application/json': { schema } } };
}

/** Gitea's User (a Ferry user, or the namespace owning a repo path). */
export const UserSchema = z
  .object({
    id: z.number().int().openapi({ description: '0 for a namespace that is no user (a group path)' }),
    login: z.string(),
    login_name: z.string(),
    username: z.string(),
    full_name: z.string(),
    email: z.string(),
    avatar_url: z.string(),
    html_url: z.string(),
    is_admin: z.boolean(),
    created: z.string(),
  })
  .openapi('User');

/** Gitea's Repository, with `vcs` added (`hg` or `git`). */
export const RepositorySchema = z
  .object({
    id: z.number().int(),
    owner: UserSchema,
    name: z.string(),
    full_name: z.string().openapi({ description: 'the repo path, e.g. team/web/app' }),
    description: z.string(),
    empty: z.boolean(),
    private: z.boolean(),
    fork: z.boolean(),
    template: z.boolean(),
    mirror: z.boolean(),
    archived: z.boolean(),
    internal: z.boolean(),
    size: z.number().int(),
    html_url: z.string(),
    clone_url: z.string(),
    ssh_url: z.string(),
    website: z.string(),
    default_branch: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    permissions: z.object({ admin: z.boolean(), push: z.boolean(), pull: z.boolean() }),
    has_issues: z.boolean(),
    has_wiki: z.boolean(),
    has_pull_requests: z.boolean(),
    vcs: z.enum(['hg', 'git']).openapi({ description: 'Ferry: the kind of repository' }),
  })
  .openapi('Repository');

/** Gitea's PayloadUser (a commit's author or committer). */
export const PayloadUserSchema = z.object({ name: z.string(), email: z.string(), username: z.string() }).openapi('PayloadUser');

/** Gitea's PayloadCommit (a branch's head). */
export const PayloadCommitSchema = z
  .object({ id: z.string(), message: z.string(), url: z.string(), timestamp: z.string(), author: PayloadUserSchema, committer: PayloadUserSchema })
  .openapi('PayloadCommit');

/** Gitea's Branch; `kind` (Ferry) tells an hg named branch from a bookmark or an evolve topic. */
export const BranchSchema = z
  .object({
    name: z.string(),
    commit: PayloadCommitSchema,
    protected: z.boolean(),
    user_can_push: z.boolean(),
    user_can_merge: z.boolean(),
    kind: z.enum(['branch', 'bookmark', 'topic']),
    closed: z.boolean().openapi({ description: 'an hg named branch that was closed' }),
  })
  .openapi('Branch');

export const TagSchema = z
  .object({
    name: z.string(),
    id: z.string(),
    message: z.string(),
    commit: z.object({ sha: z.string(), url: z.string(), created: z.string() }),
    zipball_url: z.string(),
    tarball_url: z.string(),
  })
  .openapi('Tag');

export const CommitUserSchema = z.object({ name: z.string(), email: z.string(), date: z.string() }).openapi('CommitUser');

/** Gitea's Commit: a git commit or an hg changeset (40-hex id). */
export const CommitSchema = z
  .object({
    url: z.string(),
    sha: z.string(),
    html_url: z.string(),
    created: z.string(),
    commit: z.object({
      url: z.string(),
      message: z.string(),
      author: CommitUserSchema,
      committer: CommitUserSchema,
      tree: z.object({ sha: z.string(), url: z.string() }),
    }),
    author: UserSchema.nullable(),
    committer: UserSchema.nullable(),
    parents: z.array(z.object({ url: z.string(), sha: z.string() })),
    files: z.array(z.object({ filename: z.string(), status: z.enum(['added', 'removed', 'modified', 'renamed']) })).optional(),
    stats: z.object({ total: z.number().int(), additions: z.number().int(), deletions: z.number().int() }).optional(),
  })
  .openapi('Commit');

/** Gitea's ContentsResponse (a file with its content, or an entry of a directory listing). */
export const ContentsSchema = z
  .object({
    name: z.string(),
    path: z.string(),
    sha: z.string(),
    last_commit_sha: z.string(),
    type: z.enum(['file', 'dir', 'symlink', 'submodule']),
    size: z.number().int(),
    encoding: z.string().nullable(),
    content: z.string().nullable(),
    target: z.string().nullable(),
    url: z.string(),
    html_url: z.string(),
    git_url: z.string().nullable(),
    download_url: z.string().nullable(),
    _links: z.object({ self: z.string(), git: z.string().nullable(), html: z.string() }),
  })
  .openapi('ContentsResponse');

export const GitEntrySchema = z
  .object({ path: z.string(), mode: z.string(), type: z.enum(['blob', 'tree', 'commit']), size: z.number().int(), sha: z.string(), url: z.string() })
  .openapi('GitEntry');

export const GitTreeSchema = z
  .object({ sha: z.string(), url: z.string(), tree: z.array(GitEntrySchema), truncated: z.boolean(), page: z.number().int(), total_count: z.number().int() })
  .openapi('GitTreeResponse');

export const StatusStateSchema = z.enum(['pending', 'success', 'error', 'failure', 'warning']).openapi('CommitStatusState');

export const CommitStatusSchema = z
  .object({
    id: z.number().int(),
    state: StatusStateSchema,
    target_url: z.string(),
    description: z.string(),
    context: z.string(),
    url: z.string(),
    creator: UserSchema.nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('CommitStatus');

export const CombinedStatusSchema = z
  .object({
    state: StatusStateSchema,
    sha: z.string(),
    total_count: z.number().int(),
    statuses: z.array(CommitStatusSchema),
    repository: RepositorySchema,
    commit_url: z.string(),
    url: z.string(),
  })
  .openapi('CombinedStatus');

export const PublicKeySchema = z
  .object({
    id: z.number().int(),
    key: z.string(),
    url: z.string(),
    title: z.string(),
    fingerprint: z.string(),
    key_type: z.string(),
    created_at: z.string(),
    read_only: z.boolean(),
    last_used_at: z.string().nullable(),
  })
  .openapi('PublicKey');

/**
 * A new repo's name: ONE path segment (DESIGN.md's segment rule; at most 100 characters, as
 * Gitea's). A nested repo is created under its group (`POST /orgs/team%2Fweb/repos`), never by a
 * `/` in the name.
 */
export const RepoNameSchema = z
  .string()
  .min(1, { error: 'give the new repo a name' })
  .max(100, { error: 'a repo name is at most 100 characters' })
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]*$/, {
    error: 'a repo name is one path segment of letters, digits, ".", "_" and "-", not starting with "." or "-"; create a nested repo under its group (POST /orgs/team%2Fweb/repos)',
  })
  .openapi({ description: 'the last path segment of the new repo: letters, digits, ".", "_", "-" (no "/")', example: 'app' });

/**
 * A name or title shown on one line (a key's title, a status's context): at most `max`
 * characters, no control characters (a newline would forge a line in `/USER.keys` or a listing).
 */
export function oneLineText(max: number) {
  return z
    .string()
    .max(max, { error: `at most ${max} characters` })
    // eslint-disable-next-line no-control-regex
    .regex(/^[^\u0000-\u001f\u007f]*$/, { error: 'one line of text, without control characters' });
}

/** A numeric id in the URL path: a positive whole number (`/hooks/3`). */
export function pathId(name: string) {
  return z
    .string()
    .regex(/^[1-9][0-9]{0,14}$/, { error: 'ids are positive whole numbers (from 1)' })
    .transform(Number)
    .openapi({ param: { name, in: 'path' }, type: 'integer', minimum: 1, example: 1 });
}
