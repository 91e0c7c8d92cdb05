import { MAX_REQUEST_HEAD_BYTES } from './limits.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Settings } from '../config/schema.js';
import { checkFraming } from './framing.js';

/** How long each phase of an HTTP request may take ([limits] head_timeout, body_timeout). */
export interface HttpTimeouts {
  /** From the first byte of a request head to its blank line, in ms. */
  readonly headMs: number;
  /** How long a request body may stall (no byte while Ferry waits for one), in ms. */
  readonly bodyStallMs: number;
}

/** The HTTP timeouts of a loaded configuration. */
export function httpTimeoutsOf(config: { readonly limits: Settings['limits'] }): HttpTimeouts {
  return { headMs: config.limits.head_timeout, bodyStallMs: config.limits.body_timeout };
}

/** An idle keep-alive connection is closed after this long (ms). */
export const KEEP_ALIVE_MS = 65_000;

/**
 * node's HTTP server with every phase of a request bounded: the head (`headersTimeout`, checked
 * often enough that the bound holds, where node checks only every 30 s by default), a stalled body
 * (BodyStallGuard), an idle keep-alive connection. No bound on a whole request: a push may upload
 * for an hour, as long as its bytes keep coming. Requests whose framing RFC 9112 forbids are
 * answered 400 here (see `checkFraming`), and an absolute-form target is made origin-form, so
 * every handler sees `req.url` as a path.
 */
export function createBoundedServer(timeouts: HttpTimeouts, handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const bodies = new BodyStallGuard(timeouts.bodyStallMs);
  const server = createServer(
    {
      maxHeaderSize: MAX_REQUEST_HEAD_BYTES,
      headersTimeout: timeouts.headMs,
      requestTimeout: 0,
      keepAliveTimeout: KEEP_ALIVE_MS,
      connectionsCheckingInterval: Math.max(100, Math.min(5_000, Math.floor(timeouts.headMs / 4))),
    },
    (req, res) => {
      const refusal = checkFraming(req);
      if (refusal !== undefined) {
        const body = `${refusal}\n`;
        res.shouldKeepAlive = false;
        res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'X-Content-Type-Options': 'nosniff', Connection: 'close' }).end(body);
        return;
      }
      bodies.watch(req, res);
      handler(req, res);
    },
  );
  server.once('close', () => bodies.stop());
  return server;
}

/**
 * Makes `server` bound the heads of connections it is handed (`emit('connection')`) without ever
 * listening itself — a CDN worker's, or the one behind HTTPS (src/http/secure-front.ts). node
 * checks `headersTimeout` only from the server's 'listening' event on (setupConnectionsTracking in
 * node's lib/_http_server.js); before it, a request head may trickle in for ever. Starting the
 * checks twice is harmless: node restarts its one interval.
 */
export function boundHandedConnections(server: Server): void {
  if (!server.listening) server.emit('listening');
}

interface Watched {
  readonly res: ServerResponse;
  bytes: number;
  stalledSweeps: number;
}

/** Sweeps per stall bound: a stalled body is refused at most a quarter of the bound late. */
const SWEEPS = 4;

/**
 * Closes requests whose body stalls: no new byte for `stallMs` while nothing the client sent waits
 * to be read (a handler slow to read, or a slow destination, is not the client's stall). One sweep
 * for all requests, not a timer per request.
 */
export class BodyStallGuard {
  private readonly watched = new Map<IncomingMessage, Watched>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly stallMs: number) {}

  /** Watches `req` until its body has arrived (requests without a body are not watched). */
  watch(req: IncomingMessage, res: ServerResponse): void {
    const length = req.headers['content-length'];
    const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    if (!hasBody || req.complete) return;
    this.watched.set(req, { res, bytes: req.socket.bytesRead, stalledSweeps: 0 });
    // Answered before the body was read (a refusal, a GET that came with a body): what is left is
    // read and dropped, and from then on only the client can be slow, so the bound applies.
    res.once('finish', () => {
      if (!req.complete && !req.destroyed) req.resume();
    });
    const forget = () => this.watched.delete(req);
    req.once('end', forget);
    req.once('close', forget);
    this.timer ??= setInterval(() => this.sweep(), Math.max(50, Math.floor(this.stallMs / SWEEPS))).unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private sweep(): void {
    for (const [req, w] of this.watched) {
      const bytes = req.socket.bytesRead;
      if (req.complete || req.destroyed) {
        this.watched.delete(req);
      } else if (bytes !== w.bytes || (req.readableLength > 0 && !w.res.writableFinished)) {
        w.bytes = bytes;
        w.stalledSweeps = 0;
      } else if (++w.stalledSweeps >= SWEEPS) {
        this.watched.delete(req);
        refuseStalled(req, w.res, this.stallMs);
      }
    }
    if (this.watched.size === 0) this.stop();
  }
}

function refuseStalled(req: IncomingMessage, res: ServerResponse, stallMs: number): void {
  if (res.headersSent) {
    req.socket.destroy();
    return;
  }
  const body = `the request body stalled for ${Math.round(stallMs / 1000)}s; send it again\n`;
  res.shouldKeepAlive = false;
  res.writeHead(408, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close', 'X-Content-Type-Options': 'nosniff' });
  // The handler reading the body learns of it when the socket goes.
  res.end(body, () => req.socket.destroy());
}
