import { hostname } from 'node:os';
import { isIP } from 'node:net';
import type { Config } from './load.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const WILDCARD = new Set(['0.0.0.0', '::', '']);

/**
 * The one host name Ferry puts in every URL and hint it hands out (SSH greeting, web pages, CLI
 * output): `[ssh] public_host` when set, else the host of `[http] base_url` when set, else
 * `localhost` for a loopback listener, the machine's host name for a wildcard one (0.0.0.0, ::),
 * and the listen address itself otherwise. IPv6 addresses come back in brackets, ready for a URL.
 */
export function publicHost(config: Pick<Config, 'ssh' | 'http'>): string {
  if (config.ssh.public_host !== '') return bracket(config.ssh.public_host);
  if (config.http.base_url !== '') {
    try {
      const host = new URL(config.http.base_url).hostname;
      if (host !== '') return host;
    } catch {
      /* a base_url that is no URL falls through to the listener */
    }
  }
  const listen = config.ssh.listen;
  if (LOOPBACK.has(listen)) return 'localhost';
  if (WILDCARD.has(listen)) return hostname();
  return bracket(listen);
}

function bracket(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** `ssh://HOST:PORT` (no port for 22), the base of every SSH clone URL. */
export function sshUrlBase(host: string, port: number): string {
  return `ssh://${host}${port === 22 ? '' : `:${port}`}`;
}

/**
 * The `~/.ssh/config` lines for this server under an alias (`ferry-HOST`), so that pasting them
 * never sends the user's own `ssh HOST` to Ferry's port; clone URLs then read `ssh://ferry-HOST/PATH`.
 */
export function sshConfigAlias(host: string): string {
  return `ferry-${host.replace(/[[\]]/g, '').replace(/:/g, '-')}`;
}

/** The snippet itself (OpenSSH ssh_config(5): Host, HostName, Port, IdentityFile). */
export function sshConfigSnippet(host: string, port: number): string {
  return `Host ${sshConfigAlias(host)}\n  HostName ${host.replace(/[[\]]/g, '')}\n  Port ${port}\n  IdentityFile ~/.ssh/id_ed25519`;
}

/** Whether `[http] tls_cert` and `tls_key` are set: the HTTP port then speaks HTTPS only. */
export function tlsEnabled(config: Pick<Config, 'http'>): boolean {
  return config.http.tls_cert !== '' && config.http.tls_key !== '';
}

/** `https` when the HTTP port speaks TLS, else `http`: the scheme of every HTTP URL Ferry hands out. */
export function httpScheme(config: Pick<Config, 'http'>): 'http' | 'https' {
  return tlsEnabled(config) ? 'https' : 'http';
}

/**
 * The HTTP server's public URL: `[http] base_url`, else `SCHEME://HOST:PORT` with the public host
 * (`https` when TLS is on; the port left out when it is the scheme's own, 80 or 443).
 */
export function httpUrlBase(config: Pick<Config, 'ssh' | 'http'>, port: number): string {
  if (config.http.base_url !== '') return config.http.base_url;
  const scheme = httpScheme(config);
  const defaultPort = scheme === 'https' ? 443 : 80;
  return `${scheme}://${publicHost(config)}${port === defaultPort ? '' : `:${port}`}`;
}
