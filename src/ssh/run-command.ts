import { repoLockKey } from '../cluster/locks.js';
import type { ServerChannel } from 'ssh2';
import { createForSubject } from '../services/create-for-subject.js';
import { pushRefusal } from '../access/push.js';
import { describeSubject, type Subject } from '../access/subject.js';
import { AccessDeniedError, ConflictError, FerryError, NotFoundError, isFerryError } from '../domain/errors.js';
import type { RepoKind } from '../domain/repo-kind.js';
import type { RepoPath } from '../domain/repo-path.js';
import type { App } from '../main.js';
import type { Repo } from '../store/types.js';
import { repoFingerprint } from '../vcs/fingerprint.js';
import { PushOptionsReader } from '../vcs/git/push-options.js';
import type { HgServe } from '../vcs/hg/serve.js';
import { removeSpoolsAfterPush } from '../vcs/hg/spool.js';
import type { ProcessSpec } from '../vcs/process-spec.js';
import { bridgeProcess } from './bridge.js';
import { gitConfigEnv } from '../vcs/git/server-config.js';
import { repoUrlLines, repoUrls } from '../services/repo-urls.js';
import { HgSshCommandTap } from '../metrics/hg-ssh-commands.js';
import { cloneBundleManifest } from '../http/routes/hg-clone-bundles.js';
import type { SshCommand } from './command.js';
import { lfsAuthenticate } from './lfs-authenticate.js';

export interface CommandContext {
  readonly app: App;
  readonly hgServe: HgServe;
  readonly subject: Subject;
  readonly channel: ServerChannel;
  /** A validated GIT_PROTOCOL value the client sent with an `env` request. */
  readonly gitProtocol: string | undefined;
  /** Aborted when the server gives up waiting at shutdown. */
  readonly signal: AbortSignal;
  /** `ssh://HOST:PORT` clients reach this server at, as the who-am-I text names it. */
  readonly host?: string;
  /** The running HTTP server's public base (`http://HOST:PORT`), for the URLs a create prints. */
  readonly httpBase?: string;
  /** Where hg clone bundle links point for this connection (src/ssh/clone-bundle-base.ts); none offered when unset. */
  readonly cloneBundleBase?: string;
}

/**
 * Runs one parsed command for an authenticated subject and returns the exit status to send.
 * Access is decided by the policy before anything is spawned; FerryErrors thrown here become the
 * `ferry: …` line on stderr at the SSH edge.
 */
export async function runSshCommand(ctx: CommandContext, command: SshCommand): Promise<number> {
  switch (command.kind) {
    case 'hg-init':
      return hgInit(ctx, command.path);
    case 'git-lfs-authenticate':
      return lfsAuthenticate(ctx, command.path, command.operation);
    case 'hg-serve': {
      const { repo } = await authorizeKind(ctx, command.path, 'hg').catch((err: unknown) => explainMissing(ctx, command.path, err));
      const refusal = (await pushRefusal(ctx.app.policy, ctx.subject, command.path, ctx.app.stores.mirrors)) ?? diskRefusal(ctx);
      const dir = ctx.app.repositories.directoryOf(repo);
      // Bundle links point at the HTTP server's public URL, derived when [http] base_url is unset.
      const base = ctx.cloneBundleBase;
      const cloneBundles = base === undefined ? '' : await cloneBundleManifest(ctx.app.hgCloneBundles, repo, ctx.subject, base);
      const spec = ctx.hgServe.serve(dir, { ...(refusal ? { denyWrites: `ferry: ${refusal.message}` } : {}), cloneBundles });
      const tap = new HgSshCommandTap();
      const code = await bridgeWatching(ctx, repo, spec, refusal === undefined, (chunk) => tap.feed(chunk));
      for (const op of tap.transfers()) if (op === 'clone' || refusal === undefined) ctx.app.metrics.transfer('hg', 'ssh', op);
      return code;
    }
    case 'git': {
      const { repo, created } = command.service === 'git-receive-pack' ? await gitPushTarget(ctx, command.path) : { ...(await authorizeKind(ctx, command.path, 'git')), created: false };
      const dir = ctx.app.repositories.directoryOf(repo);
      const service = command.service.slice('git-'.length);
      const args = service === 'upload-pack' ? [service, '--strict', dir] : [service, dir];
      const env = { ...ctx.app.git.env, ...gitConfigEnv(), ...(ctx.gitProtocol && service !== 'upload-archive' ? { GIT_PROTOCOL: ctx.gitProtocol } : {}) };
      const pushOptions = service === 'receive-pack' ? new PushOptionsReader() : undefined;
      try {
        const code = await bridgeWatching(ctx, repo, { executable: ctx.app.git.executable, args, env }, service === 'receive-pack', pushOptions && ((chunk) => pushOptions.feed(chunk)), pushOptions);
        if (code === 0 && service !== 'upload-archive') ctx.app.metrics.transfer('git', 'ssh', service === 'receive-pack' ? 'push' : 'clone');
        if (created && !(await ctx.app.git.isEmpty(dir))) announceCreated(ctx, repo);
        return code;
      } finally {
        // A push that created the repo and failed (another object format, a refused ref, a dropped
        // connection) leaves nothing behind.
        if (created && (await ctx.app.git.isEmpty(dir))) {
          await ctx.app.repositories.remove(repo.path).catch((err: unknown) => ctx.app.log.error({ err, path: repo.path }, 'could not remove a repository whose creating push failed'));
          ctx.app.log.info({ path: repo.path, by: describeSubject(ctx.subject) }, 'removed the git repository a failed push had created');
        }
      }
    }
  }
}

async function hgInit(ctx: CommandContext, path: RepoPath): Promise<number> {
  const { policy, repositories, stores } = ctx.app;
  const existing = await stores.repos.byPath(path);
  if (existing && (await policy.levelOn(ctx.subject, existing)) !== 'none') {
    throw new ConflictError(`repository ${path} already exists`, 'FERRY_REPO_EXISTS', { path });
  }
  if (!(await policy.canCreate(ctx.subject, path))) throw mayNotCreate(ctx.subject, path);
  const repo = await createForSubject({ policy, repositories, repos: ctx.app.stores.repos }, ctx.subject, path, 'hg');
  ctx.app.log.info({ path, by: describeSubject(ctx.subject) }, 'created hg repository over ssh');
  announceCreated(ctx, repo);
  return 0;
}

/** A git push to a path with no repo creates one where the subject may create. */
async function gitPushTarget(ctx: CommandContext, path: RepoPath): Promise<{ repo: Repo; created: boolean }> {
  const { policy, repositories, stores } = ctx.app;
  // A path a repo moved away from is not created anew by a push: the refusal names the new path.
  if (!(await stores.repos.byPath(path)) && !(await policy.movedTo(ctx.subject, path)) && (await policy.canCreate(ctx.subject, path))) {
    const repo = await createForSubject({ policy, repositories, repos: stores.repos }, ctx.subject, path, 'git');
    ctx.app.log.info({ path, by: describeSubject(ctx.subject) }, 'created git repository over ssh');
    return { repo, created: true };
  }
  const { repo } = await authorizeKind(ctx, path, 'git');
  const refusal = await pushRefusal(policy, ctx.subject, path, stores.mirrors);
  if (refusal) throw refusal;
  ctx.app.disk.assertRoom();
  return { repo, created: false };
}

/** The running servers' bases, where this command knows them. */
function boundBases(ctx: CommandContext): { sshBase?: string; httpBase?: string } {
  return { ...(ctx.host !== undefined ? { sshBase: ctx.host } : {}), ...(ctx.httpBase !== undefined ? { httpBase: ctx.httpBase } : {}) };
}

/** Tells the client (on stderr, which hg and git show) where its new repo is. */
function announceCreated(ctx: CommandContext, repo: Repo): void {
  const urls = repoUrls(ctx.app.config, repo.path, boundBases(ctx));
  ctx.channel.stderr.write(`ferry: created ${repo.kind} repository ${repo.path} (${repo.isPublic ? 'public' : 'private'})\n${repoUrlLines(repo.kind, urls).join('\n')}\n`);
}

/**
 * `hg push` (or pull) to a path with no repo: where the subject may create one, the refusal says
 * how (hg's wire protocol has no create-on-push, and `serve --stdio` does not say if it will push).
 */
async function explainMissing(ctx: CommandContext, path: RepoPath, err: unknown): Promise<never> {
  if (isFerryError(err) && err.code === 'FERRY_REPO_NOT_FOUND' && !(await ctx.app.stores.repos.byPath(path)) && (await ctx.app.policy.canCreate(ctx.subject, path))) {
    const url = repoUrls(ctx.app.config, path, boundBases(ctx)).ssh;
    throw new NotFoundError(`no repository at ${path} yet; create it with: hg init ${url}  (or push and create at once: hg clone . ${url})`, 'FERRY_REPO_NOT_FOUND', { path });
  }
  throw err;
}

async function authorizeKind(ctx: CommandContext, path: RepoPath, kind: RepoKind): Promise<{ repo: Repo }> {
  const { repo } = await ctx.app.policy.authorize(ctx.subject, path, 'read');
  if (repo.kind !== kind) {
    const hint = repo.kind === 'hg' ? 'use hg (ssh://HOST/PATH)' : 'use git';
    throw new ConflictError(`${path} is a ${repo.kind === 'hg' ? 'Mercurial' : 'Git'} repository; ${hint}`, 'FERRY_REPO_EXISTS', { path });
  }
  return { repo };
}

/**
 * Bridges the program; when the session could write, compares the repo before and after and
 * announces a change (awaiting listeners, so the CDN is fresh before the client hears "done").
 */
async function bridgeWatching(ctx: CommandContext, repo: Repo, spec: ProcessSpec, mayWrite: boolean, tap?: (chunk: Buffer) => void, pushOptions?: PushOptionsReader): Promise<number> {
  if (!mayWrite) return bridgeSession(ctx, repo, spec, false, tap, pushOptions);
  // A session that may push holds its repo shared: pushes run side by side, and a move or
  // removal (`ferry repo mv` in a shell too) waits for them instead of pulling the directory away.
  return ctx.app.locks.withSharedLock(repoLockKey(repo.path), async () => {
    const now = await ctx.app.stores.repos.byId(repo.id);
    if (!now || now.path !== repo.path) {
      throw new NotFoundError(now ? `${repo.path} was moved to ${now.path} just now; push there` : `${repo.path} was removed just now`, 'FERRY_REPO_NOT_FOUND', { path: repo.path });
    }
    return bridgeSession(ctx, now, spec, true, tap, pushOptions);
  });
}

async function bridgeSession(ctx: CommandContext, repo: Repo, spec: ProcessSpec, mayWrite: boolean, tap?: (chunk: Buffer) => void, pushOptions?: PushOptionsReader): Promise<number> {
  const dir = ctx.app.repositories.directoryOf(repo);
  await ctx.app.recovery.ready(repo.kind, dir);
  const before = mayWrite ? await repoFingerprint(repo.kind, dir) : '';
  const refs = mayWrite ? await ctx.app.refs.begin(repo) : undefined;
  const bridge = () => bridgeProcess(ctx.channel, spec, ctx.signal, tap);
  const result = mayWrite ? await ctx.app.housekeeping.whilePushing(repo, bridge) : await bridge();
  if (mayWrite && repo.kind === 'hg') removeSpoolsAfterPush(ctx.app.config.runDir);
  if (mayWrite && (await repoFingerprint(repo.kind, dir)) !== before) {
    const options = pushOptions?.options ?? [];
    const refUpdates = (await refs?.updates()) ?? [];
    const pusher = describeSubject(ctx.subject);
    ctx.app.log.info({ path: repo.path, by: pusher, refUpdates, ...(options.length > 0 ? { pushOptions: options } : {}) }, 'repository changed');
    await ctx.app.events.emitChanged({ repo, cause: 'push', refUpdates, pusher, ...(options.length > 0 ? { pushOptions: options } : {}) });
  }
  return result.code;
}

/** A full disk makes an hg session read-only (it may still pull) with the disk's message. */
function diskRefusal(ctx: CommandContext): FerryError | undefined {
  try {
    ctx.app.disk.assertRoom();
    return undefined;
  } catch (err) {
    if (err instanceof FerryError) return err;
    throw err;
  }
}

function mayNotCreate(subject: Subject, path: RepoPath): AccessDeniedError {
  if (subject.kind === 'user' && !subject.readOnly) {
    return new AccessDeniedError(
      `${describeSubject(subject)} may not create ${path}: create repositories under ${subject.user.name}/ or ask an admin for write access`,
      'FERRY_ACCESS_DENIED',
      { path },
    );
  }
  return new AccessDeniedError(`${describeSubject(subject)} may not create repositories`, 'FERRY_ACCESS_DENIED', { path });
}
