import { pushRefusal } from '../access/push.js';
import { describeSubject } from '../access/subject.js';
import { FerryError } from '../domain/errors.js';
import type { RepoPath } from '../domain/repo-path.js';
import { LFS_TOKEN_SECONDS } from '../lfs/tokens.js';
import type { CommandContext } from './run-command.js';

/**
 * `git-lfs-authenticate PATH upload|download` (git-lfs docs/api/server-discovery.md): prints the
 * repo's LFS HTTP endpoint and a short-lived token for it as JSON, when the SSH subject may read
 * (download) or push to (upload) the git repo now. The token only says who signed in: the HTTP
 * API decides each request again. Needs the HTTP server's public URL ([http] base_url, or the
 * running server's address).
 * @throws FerryError FERRY_REPO_NOT_FOUND, FERRY_ACCESS_DENIED (a reader asking to upload)
 */
export async function lfsAuthenticate(ctx: CommandContext, path: RepoPath, operation: 'upload' | 'download'): Promise<number> {
  const { repo } = await ctx.app.policy.authorize(ctx.subject, path, 'read');
  if (repo.kind !== 'git') throw new FerryError('FERRY_REPO_NOT_FOUND', `${path} is a Mercurial repository: Git LFS is for git repositories (use hg largefiles)`);
  if (operation === 'upload') {
    const refusal = await pushRefusal(ctx.app.policy, ctx.subject, path, ctx.app.stores.mirrors);
    if (refusal) throw refusal;
  }
  const base = ctx.app.config.http.base_url !== '' ? ctx.app.config.http.base_url : ctx.httpBase;
  if (base === undefined) throw new FerryError('FERRY_NOT_FOUND', 'Git LFS needs the HTTP server: set [http] base_url');
  const token = ctx.app.lfsTokens.issue(ctx.subject);
  const answer = { href: `${base.replace(/\/+$/, '')}/${repo.path}.git/info/lfs`, ...(token ? { header: { Authorization: `Bearer ${token}` } } : {}), expires_in: LFS_TOKEN_SECONDS };
  ctx.app.log.info({ path: repo.path, by: describeSubject(ctx.subject), operation }, 'lfs token issued');
  ctx.channel.write(`${JSON.stringify(answer)}\n`);
  return 0;
}
