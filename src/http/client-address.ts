import { randomBytes, timingSafeEqual } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { InvalidInputError } from '../domain/errors.js';
import type { RequestHead } from './reply.js';

/** Set by a CDN worker on a request it hands back to the primary: `SECRET ADDRESS`. */
export const FORWARDED_CLIENT_HEADER = 'x-ferry-forwarded-client';
/** How the primary gives its CDN workers the secret. */
export const FORWARD_SECRET_ENV = 'FERRY_INTERNAL_FORWARD_SECRET';

/**
 * Where a request really came from. A CDN worker that hands a request back to the primary
 * vouches for its client with a secret made at start-up; anything else, including a forged
 * header, counts as the socket's own address. The failed-login limiter keys on this, so
 * clients behind the workers do not share one limit.
 */
export class ClientAddresses {
  readonly secret: string;
  private readonly trusted: readonly [ipaddr.IPv4 | ipaddr.IPv6, number][];

  /**
   * `trustedProxies`: `[http] trusted_proxies` parsed by parseTrustedProxies — the load balancers
   * whose `X-Forwarded-For` names the client (as Gitea's REVERSE_PROXY_TRUSTED_PROXIES).
   */
  constructor(secret: string = randomBytes(24).toString('base64url'), trustedProxies: readonly [ipaddr.IPv4 | ipaddr.IPv6, number][] = []) {
    this.secret = secret;
    this.trusted = trustedProxies;
  }

  /**
   * The client's address: the socket's (or, for a request a CDN worker hands back, the one the
   * worker vouches for); when that is a trusted proxy, the right-most address of
   * `X-Forwarded-For` that is not a trusted proxy itself (RFC 7239 §5.2's reading of a chain
   * of proxies, applied to the de facto header; entries left of it are the client's word).
   */
  of(req: RequestHead): string {
    const peer = this.peerOf(req);
    if (this.trusted.length === 0 || !this.isTrusted(peer)) return peer;
    const header = req.headers['x-forwarded-for'];
    const chain = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((a) => a.trim()).filter(Boolean);
    for (let i = chain.length - 1; i >= 0; i--) {
      const address = chain[i] as string;
      if (!ipaddr.isValid(address)) return peer;
      if (!this.isTrusted(address)) return ipaddr.process(address).toString();
    }
    return peer;
  }

  private isTrusted(address: string): boolean {
    if (!ipaddr.isValid(address)) return false;
    const parsed = ipaddr.process(address);
    return this.trusted.some(([range, bits]) => parsed.kind() === range.kind() && parsed.match(range, bits));
  }

  private peerOf(req: RequestHead): string {
    const own = req.socket.remoteAddress ?? 'unknown';
    const header = req.headers[FORWARDED_CLIENT_HEADER];
    if (typeof header !== 'string') return own;
    const space = header.indexOf(' ');
    const offered = Buffer.from(space < 0 ? header : header.slice(0, space));
    const expected = Buffer.from(this.secret);
    if (space < 0 || offered.length !== expected.length || !timingSafeEqual(offered, expected)) return own;
    return header.slice(space + 1) || own;
  }
}

/**
 * Parses `[http] trusted_proxies`: addresses or CIDR ranges separated by spaces or commas
 * (`10.0.0.0/8 ::1`). IPv4-mapped IPv6 addresses count as IPv4.
 * @throws InvalidInputError naming the entry that is neither.
 */
export function parseTrustedProxies(value: string): [ipaddr.IPv4 | ipaddr.IPv6, number][] {
  return value
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((entry) => {
      try {
        if (entry.includes('/')) {
          const [range, bits] = ipaddr.parseCIDR(entry);
          // ::ffff:10.0.0.0/104 is 10.0.0.0/8, as ipaddr.process makes the addresses it is matched with.
          const mapped = range instanceof ipaddr.IPv6 && range.isIPv4MappedAddress();
          return mapped ? [(range as ipaddr.IPv6).toIPv4Address(), bits - 96] : [range, bits];
        }
        const address = ipaddr.process(entry);
        return [address, address.kind() === 'ipv4' ? 32 : 128];
      } catch {
        throw new InvalidInputError(`[http] trusted_proxies: ${JSON.stringify(entry)} is no IP address or CIDR range; write them like "10.0.0.5 10.1.0.0/16 ::1"`);
      }
    });
}

export function vouchFor(secret: string, address: string): string {
  return `${secret} ${address}`;
}
