import { repoLockKey } from '../../cluster/locks.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readOnlyToken } from '../../access/policy.js';
import { pushRefusal } from '../../access/push.js';
import { describeSubject, type Subject } from '../../access/subject.js';
import { AccessDeniedError, FerryError, InvalidInputError, NotFoundError, isFerryError } from '../../domain/errors.js';
import { parseRepoPath, type RepoPath } from '../../domain/repo-path.js';
import { createForSubject } from '../../services/create-for-subject.js';
import { repoUrls } from '../../services/repo-urls.js';
import { join } from 'node:path';
import type { App } from '../../main.js';
import type { TransferOp } from '../../metrics/registry.js';
import type { Repo } from '../../store/types.js';
import { PushOptionsReader } from '../../vcs/git/push-options.js';
import { serveGitHttp } from '../wire/git-http-backend.js';
import { BASIC_CHALLENGE } from '../authenticate.js';
import { sendError, statusOf } from '../errors.js';
import type { HttpRoute } from '../route.js';
import { classifyWire, type WireRequest } from '../wire/classify.js';
import { forwardToHgweb } from '../wire/hg-proxy.js';
import { addedHgCapabilities, withCapabilities } from '../wire/hg-capabilities.js';
import { cloneBundleManifest } from './hg-clone-bundles.js';
import { publicBaseUrl } from '../public-url.js';
import { readSmallBody } from '../body.js';
import { removeSpoolsAfterPush } from '../../vcs/hg/spool.js';

const GIT_PROTOCOL = /^[A-Za-z0-9._=:-]{1,256}$/;

/**
 * hg and git clients at `/PATH` (hg `?cmd=…`; git smart HTTP, with or without `.git`). Ferry
 * authenticates and asks the policy first; only an authorized request reaches hgweb or git.
 * Everything that is not a wire-protocol request falls through to the next route (the web UI).
 */
export function wireRoute(app: App): HttpRoute {
  return {
    name: 'wire',
    async handle(req, res, url) {
      const wire = classifyWire(req.method ?? 'GET', url, req.headers);
      if (!wire) return false;
      try {
        await serveWire(app, req, res, url, wire);
      } catch (err) {
        if (statusOf(err) === 500) app.log.error({ err, url: url.pathname }, 'wire request failed');
        const headers: Record<string, string> = {};
        if (statusOf(err) === 401) headers['WWW-Authenticate'] = BASIC_CHALLENGE;
        if (err instanceof FerryError && typeof err.data.retryAfter === 'number') headers['Retry-After'] = String(err.data.retryAfter);
        sendError(res, forClient(wire, err), { headers, reason: wire.vcs === 'hg', url });
      }
      if (wire.vcs === 'hg' && wire.access === 'write') removeSpoolsAfterPush(app.config.runDir);
      const op = res.statusCode === 200 ? transferOf(wire) : undefined;
      if (op) app.metrics.transfer(wire.vcs, 'http', op);
      return true;
    },
  };
}

/**
 * hg prints only "authorization failed" for any 401 (httppeer), so an expired token — a credential
 * known to be dead, which no retry fixes — reaches hg as a 403 whose reason phrase says so. git
 * shows a 401's text/plain body as is.
 */
function forClient(wire: WireRequest, err: unknown): unknown {
  if (wire.vcs === 'hg' && isFerryError(err) && err.code === 'FERRY_AUTH_REQUIRED' && typeof err.data.expiresAt === 'string') {
    return new AccessDeniedError(err.message, 'FERRY_ACCESS_DENIED', err.data);
  }
  return err;
}

async function serveWire(app: App, req: IncomingMessage, res: ServerResponse, url: URL, wire: WireRequest): Promise<void> {
  const subject = await app.httpAuth.subjectOf(req);
  if (wire.vcs === 'git' && wire.service === 'git-receive-pack') {
    const path = await creatablePath(app, subject, wire);
    if (path !== undefined) return pushToCreate(app, req, res, subject, wire, path);
  }
  const repo = await authorizedRepo(app, subject, wire);
  // A push holds off the repo's housekeeping (a repack, a cache warm-up) until it ends.
  // It holds the repo shared, as an SSH push does: a move or removal waits for it (src/cluster/locks.ts).
  if (wire.access === 'write' && (wire.vcs === 'hg' || wire.step === 'rpc')) {
    return app.locks.withSharedLock(repoLockKey(repo.path), async () => {
      const now = await app.stores.repos.byId(repo.id);
      if (!now || now.path !== repo.path) throw new NotFoundError(now ? `${repo.path} was moved to ${now.path} just now; push there` : `${repo.path} was removed just now`, 'FERRY_REPO_NOT_FOUND', { path: repo.path });
      return app.housekeeping.whilePushing(now, () => serveRepo(app, req, res, url, wire, subject, now));
    });
  }
  return serveRepo(app, req, res, url, wire, subject, repo);
}

async function serveRepo(app: App, req: IncomingMessage, res: ServerResponse, url: URL, wire: WireRequest, subject: Subject, repo: Repo): Promise<void> {
  await app.recovery.ready(repo.kind, app.repositories.directoryOf(repo));
  if (wire.access === 'write') app.disk.assertRoom(Number(req.headers['content-length'] ?? 0) || 0);
  const mayPush = await canWrite(app, subject, repo);
  const pushOptions = wire.vcs === 'git' && wire.service === 'git-receive-pack' && wire.step === 'rpc' ? new PushOptionsReader() : undefined;
  const pushes = wire.vcs === 'hg' ? wire.access === 'write' : wire.service === 'git-receive-pack' && wire.step === 'rpc';
  const refs = pushes && mayPush ? await app.refs.begin(repo) : undefined;
  const afterPush = async () => {
    const options = pushOptions?.options ?? [];
    const refUpdates = (await refs?.updates()) ?? [];
    const pusher = describeSubject(subject);
    if (options.length > 0) app.log.info({ path: repo.path, by: pusher, pushOptions: options }, 'repository changed');
    await app.events.emitChanged({ repo, cause: 'push', refUpdates, pusher, ...(options.length > 0 ? { pushOptions: options } : {}) });
  };
  if (wire.vcs === 'hg') {
    if (wire.command === 'clonebundles' || wire.command === 'clonebundles_manifest') {
      const manifest = await cloneBundleManifest(app.hgCloneBundles, repo, subject, publicBaseUrl(app.config, req));
      res.writeHead(200, { 'Content-Type': 'application/mercurial-0.1', 'Content-Length': Buffer.byteLength(manifest) }).end(manifest);
      return;
    }
    // Clone bundles are offered (and built, the first time) when a client asks what the repo can do.
    const offered = wire.command === 'capabilities' && (await app.hgCloneBundles.offer(repo)) !== undefined;
    await forwardToHgweb(app.hgHttp, req, res, url, {
      repo: repo.path,
      command: wire.command,
      push: mayPush,
      beforeEnd: wire.access === 'write' ? afterPush : undefined,
      rewrite: wire.command === 'capabilities' ? (body) => withCapabilities(body, addedHgCapabilities(subject, offered)) : undefined,
    });
    return;
  }
  const gitProtocol = req.headers['git-protocol'];
  if (gitProtocol !== undefined && (typeof gitProtocol !== 'string' || !GIT_PROTOCOL.test(gitProtocol))) {
    throw new InvalidInputError('invalid Git-Protocol header');
  }
  await serveGitHttp(
    app.git,
    app.config.reposDir,
    req,
    res,
    {
      repo: repo.path,
      suffix: wire.step === 'advertise' ? '/info/refs' : `/${wire.service}`,
      query: wire.step === 'advertise' ? `service=${wire.service}` : '',
      gitProtocol,
      push: mayPush,
      remoteUser: subject.kind === 'user' ? subject.user.name : 'anonymous',
      beforeEnd: wire.service === 'git-receive-pack' && wire.step === 'rpc' ? afterPush : undefined,
      ...(pushOptions ? { observeBody: (chunk: Buffer) => pushOptions.feed(chunk) } : {}),
    },
    app.log,
  );
}

async function canWrite(app: App, subject: Subject, repo: Repo): Promise<boolean> {
  return (await pushRefusal(app.policy, subject, repo.path, app.stores.mirrors)) === undefined;
}

/**
 * The repo a wire request names, checked against the policy. The anonymous are asked to sign in
 * (401) rather than told a repo is missing, so clients send credentials and nobody learns which
 * private repos exist; a signed-in user who may not see a repo gets 404.
 */
async function authorizedRepo(app: App, subject: Subject, wire: WireRequest): Promise<Repo> {
  let path = parseRepoPath(wire.rawPath);
  if (wire.vcs === 'git' && path.endsWith('.git') && !(await app.stores.repos.byPath(path))) {
    path = parseRepoPath(path.slice(0, -'.git'.length));
  }
  const signIn = () => new FerryError('FERRY_AUTH_REQUIRED', `sign in to ${wire.access === 'write' ? 'push to' : 'read'} ${path}: use a token (ferry token add) or your password`);
  let repo: Repo;
  try {
    repo = (await app.policy.authorize(subject, path, 'read')).repo;
  } catch (err) {
    if (subject.kind === 'anonymous' && err instanceof FerryError && err.code === 'FERRY_REPO_NOT_FOUND') throw signIn();
    // A read-only token pushing where its user could create: the token is the reason, not the user.
    if (wire.access === 'write' && subject.kind === 'user' && subject.readOnly && isFerryError(err) && err.code === 'FERRY_REPO_NOT_FOUND' && !(await app.stores.repos.byPath(path)) && (await app.policy.canCreate({ ...subject, readOnly: false }, path))) {
      throw readOnlyToken(subject.user.name, `create ${path}`, { path });
    }
    // hg has no create-on-push: where the user may create, say how (only they could see a repo there).
    if (wire.vcs === 'hg' && isFerryError(err) && err.code === 'FERRY_REPO_NOT_FOUND' && !(await app.stores.repos.byPath(path)) && (await app.policy.canCreate(subject, path))) {
      const ssh = repoUrls(app.config, path).ssh;
      throw new NotFoundError(`no repository at ${path} yet; create it with: hg init ${ssh} (or hg clone . ${ssh})`, 'FERRY_REPO_NOT_FOUND', { path });
    }
    throw err;
  }
  if (wire.access === 'write') {
    const refusal = await pushRefusal(app.policy, subject, path, app.stores.mirrors);
    if (refusal) throw subject.kind === 'anonymous' ? signIn() : refusal;
  }
  if (repo.kind !== wire.vcs) {
    throw new NotFoundError(`${path} is a ${repo.kind === 'hg' ? 'Mercurial' : 'Git'} repository; use ${repo.kind} to clone it`, 'FERRY_REPO_NOT_FOUND', { path });
  }
  return repo;
}

/** A git push to a path with no repo, where the subject may create one (private), as over SSH. */
async function creatablePath(app: App, subject: Subject, wire: WireRequest): Promise<RepoPath | undefined> {
  let path = parseRepoPath(wire.rawPath);
  if (path.endsWith('.git') && !(await app.stores.repos.byPath(path))) path = parseRepoPath(path.slice(0, -'.git'.length));
  // A path a repo moved away from is not created anew by a push: the refusal names the new path.
  if ((await app.stores.repos.byPath(path)) || (await app.policy.movedTo(subject, path))) return undefined;
  return (await app.policy.canCreate(subject, path)) ? path : undefined;
}

/**
 * Push-to-create over smart HTTP without leaving anything behind when the push fails. The ref
 * advertisement comes from an empty, unregistered repo (a client that gives up there — another
 * object format, a refused credential — creates nothing); the repo is created when the pack
 * arrives and removed again unless the push left a ref in it.
 */
async function pushToCreate(app: App, req: IncomingMessage, res: ServerResponse, subject: Subject, wire: WireRequest & { vcs: 'git' }, path: RepoPath): Promise<void> {
  const common = { gitProtocol: undefined, push: true, remoteUser: subject.kind === 'user' ? subject.user.name : 'anonymous' };
  if (wire.step === 'advertise') {
    const template = await app.git.emptyTemplate(join(app.config.dataDir, 'tmp', 'git-templates'));
    await serveGitHttp(app.git, template.root, req, res, { ...common, repo: template.name as RepoPath, suffix: '/info/refs', query: `service=${wire.service}` }, app.log);
    return;
  }
  if (await isProbe(req)) {
    // git's probe before a large chunked push (remote-curl.c probe_rpc: a flush packet alone,
    // when the pack is over http.postBuffer) changes nothing: answered by the same empty,
    // unregistered repo as the ref advertisement. Creating (and, the push being empty, removing)
    // the repo here raced the real push that follows: 404 "not a git repository".
    const template = await app.git.emptyTemplate(join(app.config.dataDir, 'tmp', 'git-templates'));
    await serveGitHttp(app.git, template.root, req, res, { ...common, repo: template.name as RepoPath, suffix: `/${wire.service}`, query: '', body: FLUSH_PACKET }, app.log);
    return;
  }
  let repo: Repo;
  try {
    repo = await createForSubject({ policy: app.policy, repositories: app.repositories, repos: app.stores.repos }, subject, path, 'git');
  } catch (err) {
    // Someone else created it meanwhile: an ordinary push, with the ordinary checks.
    if (isFerryError(err) && err.code === 'FERRY_REPO_EXISTS' && (await app.stores.repos.byPath(path))) {
      const existing = await authorizedRepo(app, subject, wire);
      const refs = await app.refs.begin(existing);
      const beforeEnd = async () => app.events.emitChanged({ repo: existing, cause: 'push', refUpdates: await refs.updates(), pusher: describeSubject(subject) });
      await serveGitHttp(app.git, app.config.reposDir, req, res, { ...common, repo: existing.path, suffix: `/${wire.service}`, query: '', push: true, beforeEnd }, app.log);
      return;
    }
    throw err;
  }
  app.log.info({ path, by: describeSubject(subject) }, 'created git repository over http');
  const dir = app.repositories.directoryOf(repo);
  try {
    const refs = app.refs.fromEmpty(repo);
    const beforeEnd = async () => app.events.emitChanged({ repo, cause: 'push', refUpdates: await refs.updates(), pusher: describeSubject(subject) });
    await serveGitHttp(app.git, app.config.reposDir, req, res, { ...common, repo: repo.path, suffix: `/${wire.service}`, query: '', beforeEnd }, app.log);
  } finally {
    if (await app.git.isEmpty(dir)) {
      await app.repositories.remove(repo.path).catch((err: unknown) => app.log.error({ err, path }, 'could not remove a repository whose creating push failed'));
      app.log.info({ path, by: describeSubject(subject) }, 'removed the git repository a failed push had created');
    }
  }
}

const FLUSH_PACKET = Buffer.from('0000', 'latin1');

/** A request whose whole body is one flush packet (git's large-POST probe); reads it only then. */
async function isProbe(req: IncomingMessage): Promise<boolean> {
  if (req.headers['content-length'] !== String(FLUSH_PACKET.length) || req.headers['content-encoding'] !== undefined) return false;
  const body = await readSmallBody(req, FLUSH_PACKET.length, 'a git probe');
  if (body.equals(FLUSH_PACKET)) return true;
  throw new InvalidInputError('a 4-byte git request body that is no flush packet');
}

/** One count per client operation: hg getbundle/unbundle; git's ref advertisement (v0 and v2 fetch) and receive-pack. */
function transferOf(wire: WireRequest): TransferOp | undefined {
  if (wire.vcs === 'hg') return wire.command === 'getbundle' ? 'clone' : wire.command === 'unbundle' ? 'push' : undefined;
  if (wire.service === 'git-upload-pack') return wire.step === 'advertise' ? 'clone' : undefined;
  return wire.step === 'rpc' ? 'push' : undefined;
}
