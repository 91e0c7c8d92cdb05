import { InvalidInputError } from './errors.js';

declare const repoPathBrand: unique symbol;
/** A repository path that passed the rules of DESIGN.md: `team/web/app`. */
export type RepoPath = string & { readonly [repoPathBrand]: true };

const SEGMENT = /^[A-Za-z0-9._-]+$/;
export const MAX_REPO_PATH_LENGTH = 255;
export const MAX_REPO_PATH_DEPTH = 16;

/**
 * Parses what a client or an admin typed into a RepoPath. A leading `/` is ignored (ssh URLs
 * carry one); a trailing `/` is ignored too. Anything else that breaks the rules is refused.
 */
export function parseRepoPath(input: string): RepoPath {
  const reason = repoPathProblem(input);
  if (reason !== undefined) {
    throw new InvalidInputError(`invalid repository path ${JSON.stringify(truncate(input))}: ${reason}`, 'FERRY_INVALID_REPO_PATH');
  }
  return trimSlashes(input) as RepoPath;
}

export function isRepoPath(input: string): boolean {
  return repoPathProblem(input) === undefined;
}

function repoPathProblem(input: string): string | undefined {
  if (input.length > MAX_REPO_PATH_LENGTH + 2) return `longer than ${MAX_REPO_PATH_LENGTH} characters`;
  const trimmed = trimSlashes(input);
  if (trimmed === '') return 'it is empty';
  const segments = trimmed.split('/');
  if (segments.length > MAX_REPO_PATH_DEPTH) return `deeper than ${MAX_REPO_PATH_DEPTH} segments`;
  for (const segment of segments) {
    if (segment === '') return 'it has an empty segment (//)';
    if (!SEGMENT.test(segment)) return 'use only letters, digits, ".", "_" and "-" in each segment';
    if (segment.startsWith('.') || segment.startsWith('-')) return 'no segment may start with "." or "-"';
  }
  return undefined;
}

/**
 * Checks a path a repo is about to take (create, import, rename, move): besides the rules of
 * parseRepoPath, its last segment may not end in `.git`, since git clients' URLs name repo `X` as
 * `X.git` and Ferry strips that suffix (over SSH always), so `X.git` could never be reached by its
 * own name (Gitea reserves `*.git` names for the same reason: models/repo ReservedRepoPatterns).
 * @throws InvalidInputError (FERRY_INVALID_REPO_PATH) naming the path to use instead.
 */
export function assertNewRepoPath(path: RepoPath): void {
  const last = path.slice(path.lastIndexOf('/') + 1);
  if (/\.git$/i.test(last)) {
    const suggestion = path.slice(0, -'.git'.length);
    throw new InvalidInputError(
      `invalid repository path ${JSON.stringify(truncate(path))}: a name may not end in ".git" (git clients reach ${suggestion}.git as ${suggestion}); name it ${JSON.stringify(truncate(suggestion))}`,
      'FERRY_INVALID_REPO_PATH',
    );
  }
}

function trimSlashes(input: string): string {
  let s = input;
  if (s.startsWith('/')) s = s.slice(1);
  if (s.endsWith('/')) s = s.slice(0, -1);
  return s;
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

declare const groupPrefixBrand: unique symbol;
/** A grant target: a repo path, or a group prefix ending in `/` (`team/`). */
export type GrantTarget = string & { readonly [groupPrefixBrand]: true };

export function parseGrantTarget(input: string): GrantTarget {
  if (input.endsWith('/') && input.length > 1) {
    const path = parseRepoPath(input.slice(0, -1));
    return `${path}/` as GrantTarget;
  }
  return parseRepoPath(input) as string as GrantTarget;
}

/** True when `target` (a repo path or a `group/` prefix) covers `path`, without regard to case. */
export function grantCovers(target: string, path: string): boolean {
  const t = target.toLowerCase();
  const p = path.toLowerCase();
  return t.endsWith('/') ? p.startsWith(t) : t === p;
}

/** The first segment: the owner's namespace for user-owned repos. */
export function namespaceOf(path: RepoPath): string {
  return path.split('/')[0] as string;
}
