import { repoNotFound, type AccessPolicy } from '../../access/policy.js';
import type { Subject } from '../../access/subject.js';
import { FerryError, NotFoundError, RepoMovedError } from '../../domain/errors.js';
import { isRepoPath, type RepoPath } from '../../domain/repo-path.js';
import type { CdnService, ResolvedRef } from '../../cdn/service.js';
import { blobReply } from '../../cdn/respond.js';
import { Snapshot } from '../../cdn/snapshot.js';
import { parseCdnUrl, type CdnUrl } from '../../cdn/url.js';
import { preflightReply, withCors } from '../../cdn/cors.js';
import type { Logger } from '../../log/logger.js';
import type { Repo, RepoStore, Stores } from '../../store/types.js';
import { BASIC_CHALLENGE, type HttpAuthenticator } from '../authenticate.js';
import { errorReply, statusOf } from '../errors.js';
import { requestCredentials } from '../request-subject.js';
import { writeReply, type Reply, type RequestHead } from '../reply.js';
import type { HttpRoute } from '../route.js';

export interface CdnRouteDeps {
  readonly cdn: CdnService;
  readonly policy: AccessPolicy;
  readonly repos: Pick<RepoStore, 'byPath'>;
  readonly authenticator: HttpAuthenticator;
  /** Web sessions: a browser signed in to Ferry reads private repos' files with its cookie. */
  readonly sessions: Pick<Stores, 'sessions' | 'users'>;
  /** Repos an admin marked as trusted sites ([cdn] trusted): their HTML/SVG is not sandboxed. */
  readonly trusted: ReadonlySet<string>;
  /** `[cdn] max_file_size` in bytes, named in the refusal of a larger file. */
  readonly maxFileSize: number;
  readonly log: Logger;
}

const LISTING_TYPE = 'application/json; charset=utf-8';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'public, max-age=10, must-revalidate';

/** `GET /cdn/PATH@REF/FILE`: files of a commit from memory (DESIGN.md, CDN). */
export function cdnRoute(deps: CdnRouteDeps): HttpRoute {
  return {
    name: 'cdn',
    async handle(req, res) {
      const reply = await answerCdn(deps, req);
      if (!reply) return false;
      writeReply(res, reply);
      return true;
    },
  };
}

/**
 * The CDN's answer to a request, or undefined when the target is not a CDN URL (the next route
 * looks). Never throws: errors become their answers here.
 */
export async function answerCdn(deps: CdnRouteDeps, req: RequestHead): Promise<Reply | undefined> {
  const target = req.url ?? '/';
  if (!(target === '/cdn' || target.startsWith('/cdn/') || target.startsWith('/cdn?'))) return undefined;
  let subject: Subject | undefined;
  try {
    if (req.method === 'OPTIONS') return preflightReply(req);
    if (req.method !== 'GET' && req.method !== 'HEAD') return METHOD_NOT_ALLOWED;
    const url = parseCdnUrl(target);
    if (!url) return undefined;
    // As the web's raw view: an Authorization header decides, else the web session cookie (a
    // browser signed in to Ferry opening a private repo's file), else anonymous.
    subject = (await requestCredentials(deps.authenticator, deps.sessions, req)).subject;
    return await serve(deps, req, subject, url);
  } catch (err) {
    if (statusOf(err) === 500) deps.log.error({ err, url: target }, 'cdn request failed');
    return withCors(cdnErrorReply(err, subject, target, req.method));
  }
}

const METHOD_NOT_ALLOWED_BODY = 'the CDN answers GET and HEAD only\n';
const METHOD_NOT_ALLOWED: Reply = withCors({
  status: 405,
  headers: { Allow: 'GET, HEAD, OPTIONS', 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': METHOD_NOT_ALLOWED_BODY.length, 'X-Content-Type-Options': 'nosniff' },
  body: METHOD_NOT_ALLOWED_BODY,
});

/** Where a CDN URL points: the repo (readable by the caller), the ref named (if any), the file's segments. */
interface Located {
  readonly repo: Repo;
  readonly refName: string | undefined;
  readonly file: readonly string[];
}

/**
 * `PATH@REF/FILE` when the segments before the first `@` name a repository the caller may read;
 * otherwise the `@` belongs to a file or directory name (`img/x@2x.png`, no ref: the default
 * branch) and the repository is the longest leading run of segments naming one.
 */
async function locate(deps: CdnRouteDeps, subject: Subject, url: CdnUrl): Promise<Located> {
  if (url.afterAt) {
    const path = url.head.join('/');
    const repo = isRepoPath(path) ? await readable(deps, subject, path as RepoPath) : undefined;
    if (repo) {
      const n = url.afterAt.length > 1 ? await deps.cdn.splitRef(repo, url.afterAt) : 1;
      return { repo, refName: url.afterAt.slice(0, n).join('/'), file: url.afterAt.slice(n) };
    }
    if (isRepoPath(path)) await throwIfMoved(deps, subject, path as RepoPath);
  }
  const found = await longestRepoPrefix(deps, subject, url.segments);
  return { repo: found.repo, refName: undefined, file: url.segments.slice(found.length) };
}

async function serve(deps: CdnRouteDeps, req: RequestHead, subject: Subject, url: CdnUrl): Promise<Reply> {
  const { repo, refName, file } = await locate(deps, subject, url);
  const directory = url.directory;
  const resolved = await deps.cdn.resolve(repo, refName);
  if (!resolved) {
    throw new NotFoundError(
      refName ? `${repo.path} has no branch, tag, commit or version matching ${JSON.stringify(refName)}` : `${repo.path} has no commits on its default branch yet`,
    );
  }
  const snapshot = await deps.cdn.snapshot(repo, resolved.commit);
  const filePath = file.join('/');
  const options = {
    commit: resolved.commit,
    cacheControl: cacheControlOf(resolved, repo.isPublic),
    publicRepo: repo.isPublic,
    trusted: deps.trusted.has(repo.path),
  };
  if (directory || filePath === '') {
    const listing = snapshot.listing(filePath);
    if (!listing) throw new NotFoundError(`no directory /${filePath} in ${repo.path} at ${resolved.commit.slice(0, 12)}`);
    return scoped(await blobReply(req, listing, LISTING_TYPE, options), repo);
  }
  const node = snapshot.files.get(filePath);
  if (!node) {
    if (snapshot.dirs.has(filePath)) {
      const target = req.url ?? '';
      const q = target.indexOf('?');
      const location = `${target.slice(0, q < 0 ? undefined : q)}/${q < 0 ? '' : target.slice(q)}`;
      const redirect: Reply = { status: 301, headers: { Location: location, 'Content-Length': 0, 'X-Content-Type-Options': 'nosniff' } };
      return repo.isPublic ? withCors(redirect) : redirect;
    }
    throw new NotFoundError(`no file ${filePath} in ${repo.path} at ${resolved.commit.slice(0, 12)}`);
  }
  if (node.kind === 'too-large') {
    throw new FerryError(
      'FERRY_FILE_TOO_LARGE',
      `${filePath} is ${node.size} bytes, over the CDN's limit of ${deps.maxFileSize} bytes ([cdn] max_file_size); clone the repository to get it`,
    );
  }
  const blob = await snapshot.blob(node, filePath);
  return scoped(await blobReply(req, blob, Snapshot.contentType(node, blob), options), repo);
}

/** `reply`, marked as read from `repo` (a CDN worker reuses it while the repo stays as it was). */
function scoped(reply: Reply, repo: Repo): Reply {
  return { ...reply, reuseScope: { repoId: repo.id, path: repo.path } };
}

/** The repo at `path` when the caller may read it (as `policy.authorize(…, 'read')`, with the CDN's one-statement lookup). */
async function readable(deps: CdnRouteDeps, subject: Subject, path: RepoPath): Promise<Repo | undefined> {
  const repo = await deps.repos.byPath(path);
  return repo && (await deps.policy.levelOn(subject, repo)) !== 'none' ? repo : undefined;
}

/**
 * The longest leading run of `segments` naming a repo the subject may read. Repos it may not see
 * are passed over as if they did not exist, and the refusal names only what the URL said, so a
 * private repo and a missing one answer alike.
 */
async function longestRepoPrefix(deps: CdnRouteDeps, subject: Subject, segments: readonly string[]): Promise<{ repo: Repo; length: number }> {
  for (let n = segments.length; n > 0; n--) {
    const path = segments.slice(0, n).join('/');
    if (!isRepoPath(path)) continue;
    const repo = await deps.repos.byPath(path as RepoPath);
    if (repo && (await deps.policy.levelOn(subject, repo)) !== 'none') return { repo, length: n };
  }
  for (let n = segments.length; n > 0; n--) {
    const path = segments.slice(0, n).join('/');
    if (isRepoPath(path)) await throwIfMoved(deps, subject, path as RepoPath);
  }
  throw repoNotFound(segments.join('/'));
}

/**
 * A repo moved away from `path` (`ferry repo mv`, none created there since) answers as the web
 * pages and the wire protocols do: 301 to the same URL under its new path, only to a subject who
 * may read it there (to others it is missing, as the policy decides).
 * @throws RepoMovedError FERRY_REPO_MOVED
 */
async function throwIfMoved(deps: CdnRouteDeps, subject: Subject, path: RepoPath): Promise<void> {
  const moved = await deps.policy.movedTo(subject, path);
  if (moved) throw new RepoMovedError(path, moved.path);
}

function cacheControlOf(resolved: ResolvedRef, isPublic: boolean): string {
  const value = resolved.immutable ? IMMUTABLE : REVALIDATE;
  return isPublic ? value : value.replace('public', 'private');
}

/** 401 with a challenge when an anonymous caller may be missing credentials; else the usual mapping. */
function cdnErrorReply(err: unknown, subject: Subject | undefined, target: string, method: string | undefined): Reply {
  if (err instanceof RepoMovedError) return errorReply(err, { url: new URL(target, 'http://cdn.invalid'), method });
  const status = statusOf(err);
  const anonymous = subject === undefined || subject.kind === 'anonymous';
  if (status === 401 || (anonymous && err instanceof FerryError && err.code === 'FERRY_REPO_NOT_FOUND')) {
    const auth = err instanceof FerryError && err.code === 'FERRY_AUTH_REQUIRED' ? err : new FerryError('FERRY_AUTH_REQUIRED', 'sign in to read this repository (HTTP Basic with a token, or sign in on the web at /-/signin)');
    return errorReply(auth, { headers: { 'WWW-Authenticate': BASIC_CHALLENGE } });
  }
  return errorReply(err);
}
