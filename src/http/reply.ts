import type { IncomingHttpHeaders, ServerResponse } from 'node:http';

/**
 * What a handler needs to know of a request: node's `IncomingMessage` is one, and so is the CDN
 * workers' own parse of a request head (src/cdn/workers/fast-http.ts).
 */
export interface RequestHead {
  readonly method?: string | undefined;
  /** The raw request target, as the client sent it. */
  readonly url?: string | undefined;
  /** Lower-case names, as node gives them. */
  readonly headers: IncomingHttpHeaders;
  readonly socket: { readonly remoteAddress?: string | undefined };
}

/** A whole answer, decided before a byte is written: any HTTP writer can send it. */
export interface Reply {
  readonly status: number;
  /** A reason phrase other than the standard one (Mercurial prints only this). */
  readonly reason?: string;
  readonly headers: Readonly<Record<string, string | number>>;
  /** Omitted from HEAD answers by the writer; Content-Length stays. */
  readonly body?: Buffer | string;
  /**
   * The repo a CDN answer was read from (never written on the wire): a CDN worker reuses the
   * answer while that repo stays as it was (src/cdn/workers/hot-answers.ts).
   */
  readonly reuseScope?: { readonly repoId: number; readonly path: string };
}

/** Sends `reply` through node's HTTP server. */
export function writeReply(res: ServerResponse, reply: Reply): void {
  if (reply.reason !== undefined) res.writeHead(reply.status, reply.reason, reply.headers);
  else res.writeHead(reply.status, reply.headers);
  res.end(reply.body);
}
