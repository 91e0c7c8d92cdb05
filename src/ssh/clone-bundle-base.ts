import { isIP } from 'node:net';
import type { Config } from '../config/load.js';
import { httpUrlBase } from '../config/public-host.js';

const WILDCARD = new Set(['0.0.0.0', '::', '']);

/**
 * The HTTP base URL that hg clone bundle links handed out over SSH point at, derived as the web
 * pages derive theirs (src/http/public-url.ts) so that no admin has to set `[http] base_url`:
 * - `[http] base_url` when set;
 * - else, with `[ssh] public_host` set, `http://PUBLIC_HOST:HTTP_PORT` (httpUrlBase);
 * - else, when the HTTP port listens on every address (0.0.0.0, ::), the address this SSH client
 *   reached the server at, on the HTTP port: SSH has no Host header, and the socket's local
 *   address is what the client certainly routes to (the machine's host name may not resolve
 *   outside it, in a container for one);
 * - else `http://HOST:HTTP_PORT` with the public host (publicHost: localhost for loopback).
 * `localAddress` is the SSH socket's local address (node's `socket.localAddress`), if known.
 */
export function cloneBundleBase(config: Pick<Config, 'ssh' | 'http'>, httpPort: number, localAddress?: string): string {
  if (config.http.base_url !== '' || config.ssh.public_host !== '' || !WILDCARD.has(config.http.listen) || localAddress === undefined) return httpUrlBase(config, httpPort);
  const address = localAddress.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  const host = isIP(address) === 6 ? `[${address}]` : address;
  return `http://${host}${httpPort === 80 ? '' : `:${httpPort}`}`;
}

/** The start-up line saying where SSH clone bundle links go (the admin reads it to spot a wrong URL). */
export function describeCloneBundleBase(config: Pick<Config, 'ssh' | 'http'>, httpPort: number): string {
  const derived = config.http.base_url === '' && config.ssh.public_host === '' && WILDCARD.has(config.http.listen);
  const base = derived ? `http://<the address each SSH client connected to>:${httpPort}` : httpUrlBase(config, httpPort);
  return `hg clone bundle links over ssh use ${base} (set [http] base_url if clients reach HTTP elsewhere)`;
}
