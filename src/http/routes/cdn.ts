import { repoNotFound, type AccessPolicy } from '../../access/policy.js';
import type { Subject } from '../../access/subject.js';
import { FerryError, NotFoundError } from '../../domain/errors.js';
import { isRepoPath, type RepoPath } from '../../domain/repo-path.js';
import type { CdnService, ResolvedRef } from '../../cdn/service.js';
import { blobReply } from '../../cdn/respond.js';
import { parseCdnUrl } from '../../cdn/url.js';
import type { Logger } from '../../log/logger.js';
import type { Repo, RepoStore } from '../../store/types.js';
import { BASIC_CHALLENGE, type HttpAuthenticator } from '../authenticate.js';
import { errorReply, statusOf } from '../errors.js';
import { writeReply, type Reply, type RequestHead } from '../reply.js';
import type { HttpRoute } from '../route.js';

export interface CdnRouteDeps {
  readonly cdn: CdnService;
  readonly policy: AccessPolicy;
  readonly repos: Pick<RepoStore, 'byPath'>;
  readonly authenticator: HttpAuthenticator;
  /** Repos an admin marked as trusted sites ([cdn] trusted): their HTML/SVG is not sandboxed. */
  readonly trusted: ReadonlySet<string>;
  readonly log: Logger;
}

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
    if (req.method === 'OPTIONS') return PREFLIGHT;
    if (req.method !== 'GET' && req.method !== 'HEAD') return METHOD_NOT_ALLOWED;
    const url = parseCdnUrl(target);
    if (!url) return undefined;
    subject = await deps.authenticator.subjectOf(req);
    return await serve(deps, req, subject, url.head, url.afterAt, url.directory);
  } catch (err) {
    if (statusOf(err) === 500) deps.log.error({ err, url: target }, 'cdn request failed');
    return cdnErrorReply(err, subject);
  }
}

const PREFLIGHT: Reply = {
  status: 204,
  headers: {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': 'GET, HEAD',
    'Access-Control-Allow-Headers': 'Range, If-None-Match, If-Range, Authorization',
    'Access-Control-Max-Age': '86400',
  },
};

const METHOD_NOT_ALLOWED_BODY = 'the CDN answers GET and HEAD only\n';
const METHOD_NOT_ALLOWED: Reply = {
  status: 405,
  headers: { Allow: 'GET, HEAD, OPTIONS', 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': METHOD_NOT_ALLOWED_BODY.length, 'X-Content-Type-Options': 'nosniff' },
  body: METHOD_NOT_ALLOWED_BODY,
};

async function serve(
  deps: CdnRouteDeps,
  req: RequestHead,
  subject: Subject,
  head: readonly string[],
  afterAt: readonly string[] | undefined,
  directory: boolean,
): Promise<Reply> {
  let repo: Repo;
  let refName: string | undefined;
  let file: readonly string[];
  if (afterAt) {
    const path = head.join('/');
    if (!isRepoPath(path)) throw repoNotFound(path);
    repo = await authorizeRead(deps, subject, path as RepoPath);
    const n = afterAt.length > 1 ? await deps.cdn.splitRef(repo, afterAt) : 1;
    refName = afterAt.slice(0, n).join('/');
    file = afterAt.slice(n);
  } else {
    const found = await longestRepoPrefix(deps, subject, head);
    repo = found.repo;
    file = head.slice(found.length);
  }
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
    return blobReply(req, listing, options);
  }
  const node = snapshot.files.get(filePath);
  if (!node) {
    if (snapshot.dirs.has(filePath)) {
      const target = req.url ?? '';
      const q = target.indexOf('?');
      const location = `${target.slice(0, q < 0 ? undefined : q)}/${q < 0 ? '' : target.slice(q)}`;
      return { status: 301, headers: { Location: location, 'Content-Length': 0, 'X-Content-Type-Options': 'nosniff' } };
    }
    throw new NotFoundError(`no file ${filePath} in ${repo.path} at ${resolved.commit.slice(0, 12)}`);
  }
  if (node.kind === 'too-large') {
    throw new FerryError(
      'FERRY_TOO_LARGE',
      `${filePath} is ${node.size} bytes, over the CDN's limit ([cdn] max_file_size); clone the repository to get it`,
    );
  }
  return blobReply(req, node.blob, options);
}

/** Same answer as `policy.authorize(…, 'read')`, with the CDN's one-statement repo lookup. */
async function authorizeRead(deps: CdnRouteDeps, subject: Subject, path: RepoPath): Promise<Repo> {
  const repo = await deps.repos.byPath(path);
  if (!repo || (await deps.policy.levelOn(subject, repo)) === 'none') throw repoNotFound(path);
  return repo;
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
  throw repoNotFound(segments.join('/'));
}

function cacheControlOf(resolved: ResolvedRef, isPublic: boolean): string {
  const value = resolved.immutable ? IMMUTABLE : REVALIDATE;
  return isPublic ? value : value.replace('public', 'private');
}

/** 401 with a challenge when an anonymous caller may be missing credentials; else the usual mapping. */
function cdnErrorReply(err: unknown, subject: Subject | undefined): Reply {
  const status = statusOf(err);
  const anonymous = subject === undefined || subject.kind === 'anonymous';
  if (status === 401 || (anonymous && err instanceof FerryError && err.code === 'FERRY_REPO_NOT_FOUND')) {
    const auth = err instanceof FerryError && err.code === 'FERRY_AUTH_REQUIRED' ? err : new FerryError('FERRY_AUTH_REQUIRED', 'sign in to read this repository (HTTP Basic with a token)');
    return errorReply(auth, { headers: { 'WWW-Authenticate': BASIC_CHALLENGE } });
  }
  return errorReply(err);
}
