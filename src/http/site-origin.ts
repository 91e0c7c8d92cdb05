import type { Config } from '../config/load.js';
import { httpScheme } from '../config/public-host.js';
import type { RequestHead } from './reply.js';

/** A Host header fit to put in a URL: name or address and port, nothing else. */
const HOST = /^[A-Za-z0-9.:[\]-]+$/;

/**
 * The origins this site is reached at (RFC 6454 §4: scheme, host and port — all three), derived
 * the way `publicBaseUrl` derives the URLs Ferry hands out: the origin of `[http] base_url` when
 * set (behind a TLS-terminating proxy it says `https://…`; Ferry reads no `X-Forwarded-Proto`,
 * as Gitea takes its ROOT_URL), and — when the request was sent to another host than base_url's
 * (straight to the listener) — the Host it was sent to with the scheme this port speaks (`https`
 * when `[http] tls_cert`/`tls_key` are set, else `http`). Default ports are left out, as
 * `URL.origin` writes them (`http://h:80` is `http://h`).
 */
export function siteOrigins(config: Pick<Config, 'http'>, req: RequestHead): string[] {
  const out: string[] = [];
  const base = originOf(config.http.base_url);
  if (base !== undefined) out.push(base);
  const host = req.headers.host;
  // Reached at base_url's own host: only base_url's scheme is this site (behind a TLS proxy, a
  // plain-http page at the same host is not). Reached at another host (the listener, directly).
  if (typeof host === 'string' && HOST.test(host) && (base === undefined || new URL(base).host !== host.toLowerCase())) {
    const own = originOf(`${httpScheme(config)}://${host}`);
    if (own !== undefined && !out.includes(own)) out.push(own);
  }
  return out;
}

/**
 * Whether `value` (an `Origin` header, or a `Referer` URL) is one of `siteOrigins`: same scheme,
 * host and port. An opaque origin (`null`) or anything that is not an http(s) URL never is
 * (RFC 6454 §7.3, §6.2).
 */
export function isSiteOrigin(value: string, config: Pick<Config, 'http'>, req: RequestHead): boolean {
  const origin = originOf(value);
  return origin !== undefined && siteOrigins(config, req).includes(origin);
}

/** The origin of an http(s) URL (`https://h:8443`), lower-cased by the URL parser; else undefined. */
export function originOf(value: string): string | undefined {
  const text = value.trim();
  if (text === '' || text === 'null') return undefined;
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** How a refusal names where a request came from: its origin, or the header's first 100 characters, quoted. */
export function describeOrigin(value: string): string {
  if (value.trim() === 'null') return 'an opaque origin (Origin: null)';
  return originOf(value) ?? JSON.stringify(value.slice(0, 100));
}
