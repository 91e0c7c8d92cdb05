import { httpUrlBase, publicHost, sshUrlBase } from '../config/public-host.js';
import type { Config } from '../config/load.js';
import type { RepoKind } from '../domain/repo-kind.js';
import type { RepoPath } from '../domain/repo-path.js';

/**
 * The URLs a new repo is reached at, printed by every create (CLI, `hg init ssh://…`, a push that
 * creates): `SSH_BASE/PATH` and `HTTP_BASE/PATH`, with the one public host name (publicHost).
 * `bound` gives the bases of the running servers (`ssh://HOST:PORT`, `http://HOST:PORT`, whose
 * ports may differ from the configured ones, e.g. port 0); without them the configuration decides.
 */
export function repoUrls(config: Pick<Config, 'ssh' | 'http'>, path: RepoPath, bound: { sshBase?: string; httpBase?: string } = {}): { ssh: string; http: string } {
  const ssh = bound.sshBase ?? sshUrlBase(publicHost(config), config.ssh.port);
  const http = bound.httpBase ?? httpUrlBase(config, config.http.port);
  return { ssh: `${ssh}/${path}`, http: `${http}/${path}` };
}

/** The lines a create prints: the clone commands over SSH and HTTP. */
export function repoUrlLines(kind: RepoKind, urls: { ssh: string; http: string }): string[] {
  const clone = kind === 'hg' ? 'hg clone' : 'git clone';
  return [`  ${clone} ${urls.ssh}`, `  ${clone} ${urls.http}`];
}
