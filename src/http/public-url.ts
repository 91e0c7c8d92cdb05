import type { Config } from '../config/load.js';
import { httpScheme, httpUrlBase } from '../config/public-host.js';
import type { RequestHead } from './reply.js';

/** A Host header fit to put in a URL: name or address and port, nothing else. */
const HOST = /^[A-Za-z0-9.:[\]-]+$/;

/**
 * Where clients reach this server, for URLs Ferry hands out (clone commands on pages, clone
 * bundle links): `[http] base_url`, else the Host the client used, else the bound address; the
 * scheme is `https` when the HTTP port speaks TLS (also for a request a CDN worker forwarded).
 */
export function publicBaseUrl(config: Pick<Config, 'http' | 'ssh'>, req: RequestHead): string {
  if (config.http.base_url !== '') return config.http.base_url;
  const host = req.headers.host;
  return typeof host === 'string' && HOST.test(host) ? `${httpScheme(config)}://${host}` : httpUrlBase(config, config.http.port);
}
