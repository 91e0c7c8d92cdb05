import type { ServerChannel } from 'ssh2';
import { createForSubject } from '../services/create-for-subject.js';
import { pushRefusal } from '../access/push.js';
import { describeSubject, type Subject } from '../access/subject.js';
import { AccessDeniedError, ConflictError } from '../domain/errors.js';
import type { RepoKind } from '../domain/repo-kind.js';
import type { RepoPath } from '../domain/repo-path.js';
import type { App } from '../main.js';
import type { Repo } from '../store/types.js';
import { repoFingerprint } from '../vcs/fingerprint.js';
import type { HgServe } from '../vcs/hg/serve.js';
import type { ProcessSpec } from '../vcs/process-spec.js';
import { bridgeProcess } from './bridge.js';
import { HgSshCommandTap } from '../metrics/hg-ssh-commands.js';
import { cloneBundleManifest } from '../http/routes/hg-clone-bundles.js';
import type { SshCommand } from './command.js';

export interface CommandContext {
  readonly app: App;
  readonly hgServe: HgServe;
  readonly subject: Subject;
  readonly channel: ServerChannel;
  /** A validated GIT_PROTOCOL value the client sent with an `env` request. */
  readonly gitProtocol: string | undefined;
  /** Aborted when the server gives up waiting at shutdown. */
  readonly signal: AbortSignal;
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
    case 'hg-serve': {
      const { repo } = await authorizeKind(ctx, command.path, 'hg');
      const refusal = await pushRefusal(ctx.app.policy, ctx.subject, command.path, ctx.app.stores.mirrors);
      const dir = ctx.app.repositories.directoryOf(repo);
      // Bundle links point at the HTTP server: offered only where its public URL is configured.
      const base = ctx.app.config.http.base_url;
      const cloneBundles = base === '' ? '' : await cloneBundleManifest(ctx.app.hgCloneBundles, repo, ctx.subject, base);
      const spec = ctx.hgServe.serve(dir, { ...(refusal ? { denyWrites: `ferry: ${refusal.message}` } : {}), cloneBundles });
      const tap = new HgSshCommandTap();
      const code = await bridgeWatching(ctx, repo, spec, refusal === undefined, (chunk) => tap.feed(chunk));
      for (const op of tap.transfers()) if (op === 'clone' || refusal === undefined) ctx.app.metrics.transfer('hg', 'ssh', op);
      return code;
    }
    case 'git': {
      const repo = command.service === 'git-receive-pack' ? await gitPushTarget(ctx, command.path) : (await authorizeKind(ctx, command.path, 'git')).repo;
      const dir = ctx.app.repositories.directoryOf(repo);
      const service = command.service.slice('git-'.length);
      const args = service === 'upload-pack' ? [service, '--strict', dir] : [service, dir];
      const env = { ...ctx.app.git.env, ...(ctx.gitProtocol && service !== 'upload-archive' ? { GIT_PROTOCOL: ctx.gitProtocol } : {}) };
      const code = await bridgeWatching(ctx, repo, { executable: ctx.app.git.executable, args, env }, service === 'receive-pack');
      if (code === 0 && service !== 'upload-archive') ctx.app.metrics.transfer('git', 'ssh', service === 'receive-pack' ? 'push' : 'clone');
      return code;
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
  await createForSubject({ policy, repositories, repos: ctx.app.stores.repos }, ctx.subject, path, 'hg');
  ctx.app.log.info({ path, by: describeSubject(ctx.subject) }, 'created hg repository over ssh');
  return 0;
}

/** A git push to a path with no repo creates one where the subject may create. */
async function gitPushTarget(ctx: CommandContext, path: RepoPath): Promise<Repo> {
  const { policy, repositories, stores } = ctx.app;
  if (!(await stores.repos.byPath(path)) && (await policy.canCreate(ctx.subject, path))) {
    const repo = await createForSubject({ policy, repositories, repos: stores.repos }, ctx.subject, path, 'git');
    ctx.app.log.info({ path, by: describeSubject(ctx.subject) }, 'created git repository over ssh');
    return repo;
  }
  const { repo } = await authorizeKind(ctx, path, 'git');
  const refusal = await pushRefusal(policy, ctx.subject, path, stores.mirrors);
  if (refusal) throw refusal;
  return repo;
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
async function bridgeWatching(ctx: CommandContext, repo: Repo, spec: ProcessSpec, mayWrite: boolean, tap?: (chunk: Buffer) => void): Promise<number> {
  const dir = ctx.app.repositories.directoryOf(repo);
  const before = mayWrite ? await repoFingerprint(repo.kind, dir) : '';
  const bridged = bridgeProcess(ctx.channel, spec, ctx.signal);
  // Only once the bridge pipes the channel: a listener added earlier would start the flow early.
  if (tap) ctx.channel.on('data', tap);
  const result = await bridged;
  if (tap) ctx.channel.removeListener('data', tap);
  if (mayWrite && (await repoFingerprint(repo.kind, dir)) !== before) {
    ctx.app.log.info({ path: repo.path, by: describeSubject(ctx.subject) }, 'repository changed');
    await ctx.app.events.emitChanged({ repo, cause: 'push' });
  }
  return result.code;
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
