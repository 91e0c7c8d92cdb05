import { request, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { FerryError } from '../../domain/errors.js';
import type { RepoPath } from '../../domain/repo-path.js';
import type { HgHttpBackend } from '../../vcs/hg/http-backend.js';
import { relayBody } from './relay.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'host',
  'authorization',
]);

export interface HgForward {
  readonly repo: RepoPath;
  /** The wire command Ferry authorised: the only `cmd` hgweb gets. */
  readonly command: string;
  /** The caller may push: hgweb checks this again for every write command. */
  readonly push: boolean;
  /** Runs after a successful response body, before the client gets its last bytes. */
  readonly beforeEnd?: () => Promise<void>;
  /** Rewrites a successful (small) response body before it is sent, e.g. to add a capability. */
  readonly rewrite?: (body: Buffer) => Buffer;
}

/** Headers of every answer relayed from hgweb: none of it is a page to render. */
const RELAYED_HEADERS = { 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; sandbox" } as const;

/**
 * What hgweb answers to a wire command (mercurial/wireprototypes.py HGTYPE, HGTYPE2, HGERRTYPE;
 * text/plain for errors of hgweb's and of Ferry's hgweb script).
 */
const WIRE_TYPES = /^(application\/(mercurial-0\.[12]|hg-error)|text\/plain)(;|$)/i;

/**
 * The query hgweb gets: the command Ferry authorised, once, and the client's other arguments
 * re-encoded (hgweb parses `&`-separated, percent-decoded pairs as URLSearchParams does; `style`,
 * which only picks hgweb's HTML templates, is dropped).
 */
export function hgwebQuery(url: URL, command: string): string {
  const params = new URLSearchParams();
  params.set('cmd', command);
  for (const [name, value] of url.searchParams) if (name !== 'cmd' && name !== 'style') params.append(name, value);
  return `?${params.toString()}`;
}

/**
 * Forwards an authorized hg wire request to the hgweb server and streams both bodies with
 * backpressure. Only the query string travels, rebuilt by Ferry (hgwebQuery): the repository is
 * named by Ferry, not the URL. An answer that is not the wire protocol's (an HTML page of hgweb's
 * own) is never relayed: 502.
 */
export async function forwardToHgweb(backend: HgHttpBackend, req: IncomingMessage, res: ServerResponse, url: URL, forward: HgForward): Promise<void> {
  const hasBody = req.method === 'POST' || req.method === 'PUT';
  if (hasBody && req.headers['content-length'] === undefined) {
    throw new FerryError('FERRY_INVALID_INPUT', 'a Mercurial request body needs a Content-Length');
  }
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    // CGI turns `-` and `_` alike into `_`: a client's X_Ferry_Repo would become Ferry's own
    // X-Ferry-Repo on the other side, so no header with `_` (no hg client sends one) goes through.
    // An HTTP/2 request's pseudo-headers (`:path`, RFC 9113 §8.3) are no HTTP/1.1 fields either.
    if (value === undefined || HOP_BY_HOP.has(name) || name.startsWith('x-ferry-') || name.includes('_') || name.startsWith(':')) continue;
    headers[name] = value;
  }
  if (!hasBody) {
    // A GET's body is never read here: hgweb must not wait for one the head announced.
    delete headers['content-length'];
    delete headers['transfer-encoding'];
  }
  headers.host = 'ferry';
  // Not `Connection: close` (node's default without an agent): hgweb would close its end as soon
  // as it has answered, and node's last, empty write of a body that was still queued when the
  // socket connected then fails with EPIPE and loses the answer (a race every small POST lost now
  // and then: hg's httppostargs requests). Node closes this connection itself once the answer
  // has arrived (a request without a keep-alive agent is never reused).
  headers.connection = 'keep-alive';
  headers['x-ferry-repo'] = forward.repo;
  headers['x-ferry-push'] = forward.push ? '1' : '0';
  const lease = await backend.acquire();
  const upstream = request({ socketPath: lease.socket, method: req.method, path: `/${hgwebQuery(url, forward.command)}`, headers, agent: false });
  upstream.once('close', () => lease.release());
  const responded = new Promise<IncomingMessage>((resolve, reject) => {
    upstream.once('response', resolve);
    upstream.once('error', (err) => reject(new FerryError('FERRY_VCS_FAILED', `the Mercurial HTTP server failed: ${err.message}`, { cause: err })));
  });
  res.once('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  // A client that goes away (or is cut off for stalling) before its body is whole: hgweb must not
  // wait for the rest for ever (its request would hold a thread, a spool file and shutdown).
  req.once('close', () => {
    if (hasBody && !req.complete) upstream.destroy();
  });
  if (hasBody) {
    pipeline(req, upstream).catch(() => upstream.destroy());
  } else {
    upstream.end();
  }
  const answer = await responded;
  const status = answer.statusCode ?? 502;
  if (!WIRE_TYPES.test(String(answer.headers['content-type'] ?? ''))) {
    answer.destroy();
    upstream.destroy();
    // hgweb answers a wire command it could not even parse (a missing or malformed argument, bytes
    // that are not UTF-8) with a bare 500 from Python's server: the request's fault, not Ferry's.
    if (status >= 500) throw new FerryError('FERRY_INVALID_INPUT', `Mercurial could not read this ${forward.command} request: an argument is missing or malformed`);
    throw new FerryError('FERRY_VCS_FAILED', 'the Mercurial HTTP server answered with something other than the wire protocol');
  }
  const out: OutgoingHttpHeaders = { ...RELAYED_HEADERS };
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'server') continue;
    out[name] = value;
  }
  if (forward.rewrite && status === 200) {
    const chunks: Buffer[] = [];
    for await (const chunk of answer) chunks.push(chunk as Buffer);
    const body = forward.rewrite(Buffer.concat(chunks));
    out['content-length'] = body.length;
    res.writeHead(status, answer.statusMessage ?? '', out).end(body);
    return;
  }
  res.writeHead(status, answer.statusMessage ?? '', out);
  await relayBody(answer, res, { beforeLast: status === 200 ? forward.beforeEnd : undefined });
}
