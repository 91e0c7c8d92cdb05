import type { Server } from 'node:http';
import { createServer as createH2Server, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from '../log/logger.js';
import { KEEP_ALIVE_MS, boundHandedConnections, type HttpTimeouts } from './connection-limits.js';
import { MAX_REQUEST_HEAD_BYTES } from './limits.js';
import type { TlsPair } from './tls.js';

/** ALPN (RFC 7301) protocols offered, best first: HTTP/2 (RFC 9113 §3.2), then HTTP/1.1. */
const ALPN = ['h2', 'http/1.1'];

/**
 * HTTPS in front of one of Ferry's HTTP servers (`createBoundedServer`): TLS is ended here, then
 * a connection that chose `h2` by ALPN becomes an HTTP/2 session whose requests (node's
 * compatibility API) are emitted on that server, and any other connection (HTTP/1.1, or a client
 * that offers no ALPN) is given to that server whole. So every route, the framing checks, the
 * head and body bounds and the response metrics are the very ones plain HTTP has; only the TLS
 * handshake gets its own bound, the head timeout ([limits] head_timeout).
 */
export class SecureFront {
  /** Listen on it, or hand it accepted TCP connections with `accept`. */
  readonly server: TlsServer;
  private readonly h2;
  private readonly sockets = new Set<TLSSocket>();
  private readonly sessions = new Set<ServerHttp2Session>();
  private pair: TlsPair;

  constructor(
    private readonly http: Server,
    pair: TlsPair,
    timeouts: HttpTimeouts,
    private readonly log: Logger,
  ) {
    this.pair = pair;
    boundHandedConnections(http);
    this.h2 = createH2Server({
      // One HEADERS block may not exceed what an HTTP/1.1 request head may (RFC 9113 §6.5.2).
      maxSendHeaderBlockLength: MAX_REQUEST_HEAD_BYTES,
      settings: { maxHeaderListSize: MAX_REQUEST_HEAD_BYTES },
    });
    // A session with no frame in either direction for this long is closed, as an idle
    // keep-alive connection is; a transfer in progress is never idle.
    this.h2.setTimeout(KEEP_ALIVE_MS);
    this.h2.on('session', (session: ServerHttp2Session) => {
      this.sessions.add(session);
      session.once('close', () => this.sessions.delete(session));
      session.on('error', () => session.destroy());
    });
    this.h2.on('request', (req: Http2ServerRequest, res: Http2ServerResponse) => {
      // Handlers read the authority from Host, as HTTP/1.1 sends it (RFC 9113 §8.3.1: `:authority`).
      if (req.headers.host === undefined && req.authority !== undefined) req.headers.host = req.authority;
      this.http.emit('request', req, res);
    });
    this.server = createTlsServer(
      { cert: pair.cert, key: pair.key, ALPNProtocols: ALPN, minVersion: 'TLSv1.2', handshakeTimeout: timeouts.headMs, noDelay: true },
      (socket: TLSSocket) => this.route(socket),
    );
    // Every connection, listened for or handed over (accept), is first sniffed: plain HTTP sent
    // to this port is answered (answerPlainHttp) instead of dying in the TLS handshake.
    const tlsListeners = this.server.listeners('connection') as ((socket: Socket) => void)[];
    this.server.removeAllListeners('connection');
    this.server.on('connection', (socket: Socket) => sniffTls(socket, timeouts.headMs, () => {
      for (const listener of tlsListeners) listener.call(this.server, socket);
    }));
    // A listener here takes over node's default, which destroys the socket: so does this one
    // (a handshake that failed or took longer than the head timeout).
    this.server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      socket.destroy();
      this.log.debug({ err }, 'tls handshake failed');
    });
  }

  /** The certificate served now. */
  get current(): TlsPair {
    return this.pair;
  }

  /** Serves `socket`, a TCP connection accepted elsewhere (a CDN worker's, the primary's front). */
  accept(socket: Socket): void {
    // An answer's head and body are separate TLS records: with Nagle's algorithm the second waits
    // for the client's delayed ACK (40 ms a request). node sets this only on sockets it accepts.
    socket.setNoDelay(true);
    this.server.emit('connection', socket);
  }

  /**
   * New connections get `pair` from now on; connections already open keep the certificate they
   * were made with and go on (`tls.Server#setSecureContext`).
   */
  use(pair: TlsPair): void {
    this.server.setSecureContext({ cert: pair.cert, key: pair.key });
    this.pair = pair;
  }

  /**
   * Stops accepting; HTTP/2 sessions are told to go away (GOAWAY) and end after their streams.
   * Resolves when every TLS connection has closed, ending those still open after `graceMs`.
   */
  async close(graceMs: number): Promise<void> {
    if (this.server.listening) this.server.close();
    for (const session of this.sessions) session.close();
    if (this.sockets.size === 0) return;
    const timer = setTimeout(() => {
      for (const socket of this.sockets) socket.destroy();
    }, graceMs);
    await Promise.all([...this.sockets].map((s) => new Promise<void>((resolve) => (s.closed ? resolve() : s.once('close', () => resolve())))));
    clearTimeout(timer);
  }

  private route(socket: TLSSocket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    if (socket.alpnProtocol === 'h2') this.h2.emit('connection', socket);
    else this.http.emit('connection', socket);
  }
}

/** The first byte of a TLS record carrying a handshake (RFC 8446 §5.1, ContentType 22). */
const TLS_HANDSHAKE = 0x16;

/**
 * Reads a connection's first bytes and puts them back: a TLS handshake goes on to `tls`; what
 * looks like a plain HTTP request (a token of ASCII letters first, as every method is) gets
 * answerPlainHttp; anything else is closed. A client that sends nothing within `headMs` is
 * closed, as a handshake that takes too long is.
 */
export function sniffTls(socket: Socket, headMs: number, tls: () => void): void {
  const timer = setTimeout(() => socket.destroy(), headMs);
  socket.once('error', () => socket.destroy());
  socket.once('close', () => clearTimeout(timer));
  socket.once('data', (chunk: Buffer) => {
    clearTimeout(timer);
    socket.pause();
    socket.unshift(chunk);
    const first = chunk[0] ?? 0;
    if (first === TLS_HANDSHAKE) tls();
    else if (/^[A-Z]{3,16} /.test(chunk.subarray(0, 17).toString('latin1'))) answerPlainHttp(socket, chunk);
    else socket.destroy();
  });
  socket.resume();
}

/**
 * What nginx answers to plain HTTP on an HTTPS port (its error 497): 400 with a one-line text
 * that gives the https:// URL to use instead. Not a redirect: the request may carry a password
 * or token in the clear, and a redirect would have the client send it again, so the client is
 * told and must switch itself (docs/https.md).
 */
export function answerPlainHttp(socket: Socket, firstBytes: Buffer): void {
  const head = firstBytes.toString('latin1');
  const host = /\r\nhost:[ \t]*([A-Za-z0-9.:[\]-]{1,255})[ \t]*\r\n/i.exec(head)?.[1];
  const target = /^[A-Z]+ (\/[\x21-\x7e]{0,2000}) HTTP\//.exec(head)?.[1] ?? '/';
  const url = host === undefined ? 'https:// with this host and port' : `https://${host}${target}`;
  const body = `400 Bad Request: the plain HTTP request was sent to the HTTPS port; use ${url}\n`;
  socket.on('data', () => {});
  socket.resume();
  socket.end(
    `HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n${body}`,
    'latin1',
  );
  setTimeout(() => socket.destroy(), 5_000).unref();
}
