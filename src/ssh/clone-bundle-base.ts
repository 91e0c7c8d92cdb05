import { BlockList, isIP } from 'node:net';
import type { Config } from '../config/load.js';
import { httpUrlBase } from '../config/public-host.js';

const WILDCARD = new Set(['0.0.0.0', '::', '']);

/** Addresses a client may reach only from inside some network (RFC 1918, RFC 6598, RFC 4193, link-local). */
const PRIVATE = new BlockList();
for (const [net, bits] of [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['100.64.0.0', 10], ['169.254.0.0', 16], ['127.0.0.0', 8]] as const) PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['fc00::', 7], ['fe80::', 10], ['::1', 128]] as const) PRIVATE.addSubnet(net, bits, 'ipv6');

/** The client connection an SSH session came in on (node's socket.localAddress / remoteAddress). */
export interface SshEndpoints {
  readonly local: string;
  readonly remote: string;
}

/**
 * The HTTP base URL that hg clone bundle links handed out over SSH point at, derived as the web
 * pages derive theirs (src/http/public-url.ts) so that no admin has to set `[http] base_url`;
 * undefined (no bundle offered: the client clones the usual way) where no URL is known to reach
 * this server, since hg aborts a clone whose bundle link fails (`ui.clonebundlefallback` is off
 * by default, hg help config):
 * - `[http] base_url` when set; else `http://PUBLIC_HOST:HTTP_PORT` with `[ssh] public_host` set;
 * - a loopback or specific HTTP listener: `http://HOST:HTTP_PORT` with the public host (publicHost);
 * - a wildcard HTTP listener (0.0.0.0, ::): SSH has no Host header, so the address this client
 *   reached, on the HTTP port, when that address is public or the client is in the same network
 *   (same /16, or /64 for IPv6). A private address seen from elsewhere is a NAT or a container's
 *   port mapping, where that address does not reach the server: no bundle then.
 */
export function cloneBundleBase(config: Pick<Config, 'ssh' | 'http'>, httpPort: number, endpoints?: SshEndpoints): string | undefined {
  if (config.http.base_url !== '' || config.ssh.public_host !== '' || !WILDCARD.has(config.http.listen)) return httpUrlBase(config, httpPort);
  if (endpoints === undefined) return undefined;
  const local = unmapped(endpoints.local);
  const remote = unmapped(endpoints.remote);
  const family = isIP(local) === 6 ? 'ipv6' : 'ipv4';
  if (PRIVATE.check(local, family) && !sameNetwork(local, remote)) return undefined;
  const host = family === 'ipv6' ? `[${local}]` : local;
  return `http://${host}${httpPort === 80 ? '' : `:${httpPort}`}`;
}

/** The start-up line saying where SSH clone bundle links go (the admin reads it to spot a wrong URL). */
export function describeCloneBundleBase(config: Pick<Config, 'ssh' | 'http'>, httpPort: number): string {
  const base = cloneBundleBase(config, httpPort);
  return base !== undefined
    ? `hg clone bundle links over ssh use ${base} (set [http] base_url if clients reach HTTP elsewhere)`
    : `hg clone bundle links over ssh use http://<the address each SSH client connected to>:${httpPort} when it is public or in the client's network, else none (set [http] base_url to always offer them)`;
}

function unmapped(address: string): string {
  return address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

/** Same IPv4 /16 or IPv6 /64: the client is on the server's side of any NAT. */
function sameNetwork(a: string, b: string): boolean {
  if (isIP(a) !== isIP(b)) return false;
  if (isIP(a) === 4) return a.split('.').slice(0, 2).join('.') === b.split('.').slice(0, 2).join('.');
  const prefix = (x: string) => expand(x).slice(0, 4).join(':');
  return prefix(a) === prefix(b);
}

/** The eight groups of an IPv6 address, `::` expanded. */
function expand(address: string): string[] {
  const [head = '', tail = ''] = address.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
}
