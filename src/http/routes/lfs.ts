import type { IncomingMessage, ServerResponse } from 'node:http';
import { pushRefusal } from '../../access/push.js';
import type { Subject } from '../../access/subject.js';
import { FerryError, InvalidInputError, RepoMovedError, isFerryError } from '../../domain/errors.js';
import { parseRepoPath } from '../../domain/repo-path.js';
import { OID } from '../../lfs/pointer.js';
import { LfsTokens, LFS_TOKEN_SECONDS } from '../../lfs/tokens.js';
import type { App } from '../../main.js';
import type { Repo } from '../../store/types.js';
import { readSmallBody } from '../body.js';
import { movedLocation, statusOf } from '../errors.js';
import { publicBaseUrl } from '../public-url.js';
import type { HttpRoute } from '../route.js';

/** The media type of the LFS API (git-lfs docs/api/batch.md). */
const LFS_JSON = 'application/vnd.git-lfs+json';
const MAX_BATCH_BODY = 1024 * 1024;
const MAX_BATCH_OBJECTS = 1000;
/** `/PATH[.git]/info/lfs/objects/batch` and `/PATH[.git]/info/lfs/objects/OID`. */
const LFS_URL = /^\/(.+?)\/info\/lfs\/(objects\/batch|objects\/[0-9a-f]{64}|locks(?:\/.*)?)$/;

interface BatchObject {
  readonly oid: string;
  readonly size: number;
}

/**
 * The Git LFS API over HTTP for git repos (git-lfs docs/api/batch.md, basic transfer adapter
 * docs/api/basic-transfers.md): `POST …/info/lfs/objects/batch`, then `PUT` (upload) and `GET`
 * (download) of `…/info/lfs/objects/OID`. Credentials are HTTP Basic (a token or password) or the
 * short-lived token `git-lfs-authenticate` hands out over SSH; every request is decided by the
 * access policy on its own: readers download, writers upload, a private repo is 404 to strangers
 * (401 to the anonymous, so clients send credentials). The locks API is not offered (404: git-lfs
 * then says locking is unsupported and goes on).
 */
export function lfsRoute(app: App): HttpRoute {
  return {
    name: 'lfs',
    async handle(req, res, url) {
      const m = LFS_URL.exec(url.pathname);
      if (!m) return false;
      try {
        await serveLfs(app, req, res, m[1] as string, m[2] as string);
      } catch (err) {
        if (statusOf(err) === 500) app.log.error({ err, url: url.pathname }, 'lfs request failed');
        sendLfsError(res, err, url);
      }
      return true;
    },
  };
}

async function serveLfs(app: App, req: IncomingMessage, res: ServerResponse, rawPath: string, what: string): Promise<void> {
  if (what.startsWith('locks')) throw new FerryError('FERRY_NOT_FOUND', 'this server does not offer the Git LFS locking API');
  const authorization = req.headers.authorization;
  const subject = LfsTokens.carries(authorization) ? await app.lfsTokens.subjectOf(authorization as string) : await app.httpAuth.subjectOf(req);
  if (what === 'objects/batch') {
    if (req.method !== 'POST') throw new InvalidInputError('the LFS batch API takes POST');
    const body = await readSmallBody(req, MAX_BATCH_BODY, 'an LFS batch request');
    const batch = parseBatch(body);
    const repo = await lfsRepo(app, subject, rawPath, batch.operation === 'upload' ? 'write' : 'read');
    const base = `${publicBaseUrl(app.config, req)}/${repo.path}.git/info/lfs/objects`;
    const header = authorization ? { header: { Authorization: authorization } } : {};
    const objects = batch.objects.map((o) => {
      const stored = app.lfs.sizeOf(repo.id, o.oid);
      const action = { href: `${base}/${o.oid}`, ...header, expires_in: LFS_TOKEN_SECONDS };
      if (batch.operation === 'upload') {
        return stored === o.size ? { oid: o.oid, size: o.size, authenticated: true } : { oid: o.oid, size: o.size, authenticated: true, actions: { upload: action } };
      }
      if (stored === undefined) return { oid: o.oid, size: o.size, error: { code: 404, message: 'Object does not exist' } };
      return { oid: o.oid, size: stored, authenticated: true, actions: { download: action } };
    });
    sendJson(res, 200, { transfer: 'basic', objects, hash_algo: 'sha256' });
    return;
  }
  const oid = what.slice('objects/'.length);
  if (req.method === 'PUT') {
    const repo = await lfsRepo(app, subject, rawPath, 'write');
    const declared = req.headers['content-length'];
    const size = declared === undefined ? undefined : Number(declared);
    app.disk.assertRoom(size ?? 0);
    await app.lfs.write(repo.id, oid, req, size);
    app.log.info({ path: repo.path, oid, bytes: app.lfs.sizeOf(repo.id, oid) }, 'lfs object stored');
    res.writeHead(200, { 'Content-Length': 0 }).end();
    return;
  }
  if (req.method === 'GET' || req.method === 'HEAD') {
    const repo = await lfsRepo(app, subject, rawPath, 'read');
    const size = app.lfs.sizeOf(repo.id, oid);
    const stream = size === undefined ? undefined : app.lfs.open(repo.id, oid);
    if (size === undefined || !stream) throw new FerryError('FERRY_NOT_FOUND', `object ${oid} is not stored for ${repo.path}`);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'private, max-age=31536000, immutable' });
    if (req.method === 'HEAD') {
      stream.destroy();
      res.end();
      return;
    }
    stream.on('error', () => res.destroy());
    stream.pipe(res);
    return;
  }
  throw new InvalidInputError('LFS objects are read with GET and written with PUT');
}

/**
 * The git repo an LFS URL names (`PATH` or `PATH.git`), for a subject that may `needed` it.
 * @throws FerryError FERRY_AUTH_REQUIRED (anonymous), FERRY_REPO_NOT_FOUND, FERRY_ACCESS_DENIED
 */
async function lfsRepo(app: App, subject: Subject, rawPath: string, needed: 'read' | 'write'): Promise<Repo> {
  let path = parseRepoPath(rawPath);
  if (path.endsWith('.git') && !(await app.stores.repos.byPath(path))) path = parseRepoPath(path.slice(0, -'.git'.length));
  const signIn = () => new FerryError('FERRY_AUTH_REQUIRED', `sign in to ${needed === 'write' ? 'upload to' : 'read'} ${path}: use a token (ferry token add) or your password`);
  let repo: Repo;
  try {
    repo = (await app.policy.authorize(subject, path, 'read')).repo;
  } catch (err) {
    if (subject.kind === 'anonymous' && isFerryError(err) && err.code === 'FERRY_REPO_NOT_FOUND') throw signIn();
    throw err;
  }
  if (repo.kind !== 'git') throw new FerryError('FERRY_REPO_NOT_FOUND', `${path} is a Mercurial repository: Git LFS is for git repositories (use hg largefiles)`);
  if (needed === 'write') {
    const refusal = await pushRefusal(app.policy, subject, path, app.stores.mirrors);
    if (refusal) throw subject.kind === 'anonymous' ? signIn() : refusal;
  }
  return repo;
}

/**
 * A batch request's operation and objects; transfers other than `basic` are not offered.
 * @throws InvalidInputError on anything malformed (422 at this edge)
 */
function parseBatch(body: Buffer): { operation: 'upload' | 'download'; objects: BatchObject[] } {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new InvalidInputError('the LFS batch request is not JSON');
  }
  const v = value as { operation?: unknown; objects?: unknown; transfers?: unknown };
  if (v.operation !== 'upload' && v.operation !== 'download') throw new InvalidInputError('the LFS batch operation must be "upload" or "download"');
  if (v.transfers !== undefined && !(Array.isArray(v.transfers) && v.transfers.includes('basic'))) throw new InvalidInputError('this server offers only the "basic" LFS transfer adapter');
  if (!Array.isArray(v.objects) || v.objects.length > MAX_BATCH_OBJECTS) throw new InvalidInputError(`the LFS batch request needs an objects array of at most ${MAX_BATCH_OBJECTS}`);
  const objects = v.objects.map((o: unknown) => {
    const { oid, size } = (o ?? {}) as { oid?: unknown; size?: unknown };
    if (typeof oid !== 'string' || !OID.test(oid)) throw new InvalidInputError('an LFS object id must be 64 lower-case hex digits (SHA-256)');
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new InvalidInputError(`the size of LFS object ${oid} must be a whole number of bytes`);
    return { oid, size };
  });
  return { operation: v.operation, objects };
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = `${JSON.stringify(value)}\n`;
  res.writeHead(status, { 'Content-Type': LFS_JSON, 'Content-Length': Buffer.byteLength(body), 'X-Content-Type-Options': 'nosniff', ...headers }).end(body);
}

/**
 * LFS errors are JSON `{"message"}` (docs/api/batch.md "Response Errors"); bad input and content
 * that does not match its id are 422; the anonymous are asked for Basic credentials.
 */
function sendLfsError(res: ServerResponse, err: unknown, url: URL): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = isFerryError(err) && err.code === 'FERRY_INVALID_INPUT' ? 422 : statusOf(err, res.req?.method);
  const message = status === 500 ? 'internal error; the server log has details' : (err as Error).message;
  const headers: Record<string, string> = status === 401 ? { 'LFS-Authenticate': 'Basic realm="Ferry"', 'WWW-Authenticate': 'Basic realm="Ferry"' } : {};
  // A moved repo: the same URL under its new path, as the wire protocols answer.
  if (err instanceof RepoMovedError) Object.assign(headers, { Location: movedLocation(err, url), 'Cache-Control': 'no-store' });
  sendJson(res, status, { message, ...(isFerryError(err) ? { code: err.code } : {}) }, headers);
}
