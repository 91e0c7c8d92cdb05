import { randomBytes, timingSafeEqual } from 'node:crypto';
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

  constructor(secret: string = randomBytes(24).toString('base64url')) {
    this.secret = secret;
  }

  of(req: RequestHead): string {
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

export function vouchFor(secret: string, address: string): string {
  return `${secret} ${address}`;
}
