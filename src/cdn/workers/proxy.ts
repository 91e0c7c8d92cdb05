import { Agent, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { FORWARDED_CLIENT_HEADER, vouchFor } from '../../http/client-address.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'expect', 'te', 'trailer']);

/**
 * Forwards a request a CDN worker received but does not own (a browser reusing a /cdn connection
 * for a page) to the primary's internal port, streaming both ways.
 */
export function proxyToPrimary(port: number, secret: string, agent: Agent, req: IncomingMessage, res: ServerResponse): void {
  const headers: Record<string, string | string[]> = {};
  // An HTTP/2 request's pseudo-headers (`:path`, `:authority`, RFC 9113 §8.3) are no HTTP/1.1 fields.
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k) && !k.startsWith(':')) headers[k] = v;
  // The chain the client (or a load balancer in front) sent, with this hop appended: the primary
  // reads it only when the address the worker vouches for is a trusted proxy.
  const chain = req.headers['x-forwarded-for'];
  const before = Array.isArray(chain) ? chain.join(', ') : chain;
  headers['x-forwarded-for'] = before ? `${before}, ${req.socket.remoteAddress ?? ''}` : (req.socket.remoteAddress ?? '');
  headers[FORWARDED_CLIENT_HEADER] = vouchFor(secret, req.socket.remoteAddress ?? 'unknown');
  const upstream = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent }, (pres) => {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(pres.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
    res.writeHead(pres.statusCode ?? 502, out);
    pres.pipe(res);
  });
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8' }).end('the primary did not answer\n');
    else res.destroy();
  });
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}
