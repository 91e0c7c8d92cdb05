import type { Config } from '../config/load.js';
import type { RepoKind } from '../domain/repo-kind.js';
import type { RepoPath } from '../domain/repo-path.js';

/**
 * The URLs a new repo is reached at, printed by every create (CLI, `hg init ssh://…`, a push that
 * creates): `ssh://HOST[:PORT]/PATH` and `BASE/PATH`. `sshHost` is the host (and port) the SSH
 * server announces, when known (`[ssh] public_host`, else the bound address); `httpBase` the bound
 * HTTP base. Without them the configuration decides (`[ssh] public_host`, `[http] base_url`).
 */
export function repoUrls(config: Pick<Config, 'ssh' | 'http'>, path: RepoPath, bound: { sshHost?: string; httpBase?: string } = {}): { ssh: string; http: string } {
  let host = bound.sshHost;
  if (host === undefined) {
    const name = config.ssh.public_host !== '' ? config.ssh.public_host : hostOf(config.http.base_url) ?? config.ssh.listen;
    host = config.ssh.port === 22 ? name : `${name}:${config.ssh.port}`;
  }
  const base = bound.httpBase ?? (config.http.base_url !== '' ? config.http.base_url : `http://${config.http.listen}:${config.http.port}`);
  return { ssh: `ssh://${host}/${path}`, http: `${base}/${path}` };
}

/** The lines a create prints: the clone commands over SSH and HTTP. */
export function repoUrlLines(kind: RepoKind, urls: { ssh: string; http: string }): string[] {
  const clone = kind === 'hg' ? 'hg clone' : 'git clone';
  return [`  ${clone} ${urls.ssh}`, `  ${clone} ${urls.http}`];
}

function hostOf(url: string): string | undefined {
  if (url === '') return undefined;
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}
