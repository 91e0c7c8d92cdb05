import { once } from 'node:events';
import type { Server } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { App } from '../../main.js';
import type { CdnWorkerPool } from './pool.js';
import type { SecureFront } from '../../http/secure-front.js';
import { hasBareLf } from './head-scan.js';

const CDN_REQUEST = /^(GET|HEAD) \/cdn[/? ]/;
const MAX_PEEK = 16 * 1024;

/**
 * The public HTTP port when CDN workers run. The primary accepts each connection, reads its first
 * request head, and hands connections that start with `GET /cdn/…` to a worker (socket and bytes
 * read so far); every other connection is served here, so wire-protocol traffic never takes a
 * detour and keeps its client address.
 *
 * With TLS (`secure`), a request is known only after the handshake, which cannot move between
 * processes: every connection goes to a worker unread, round-robin, and the worker ends TLS and
 * answers /cdn itself, sending anything else to the primary as it does for a reused /cdn
 * connection (vouching for the client's address). Served here only while no worker is ready.
 */
export async function listenFront(app: App, http: Server, pool: CdnWorkerPool, secure?: SecureFront): Promise<{ port: number; close(): Promise<void> }> {
  // Connections whose first request head is still awaited here: nothing of them is in flight.
  const waiting = new Set<Socket>();
  const front = createServer({ pauseOnConnect: true }, (socket) => (secure ? dispatchSecure(socket, pool, secure) : dispatch(socket, http, pool, waiting)));
  front.listen(app.config.http.port, app.config.http.listen);
  await once(front, 'listening');
  return {
    port: (front.address() as AddressInfo).port,
    // Stop accepting, and close connections that have not sent a whole first request head (no
    // answer is in flight on them; they held a shutdown up to the head timeout). Connections
    // served here drain with the HTTP server, those handed to workers with the workers (waiting
    // on the listener's own drain would wait on workers that may already have exited).
    close: async () => {
      front.close();
      for (const socket of waiting) socket.destroy();
      waiting.clear();
    },
  };
}

const NOTHING_READ = Buffer.alloc(0);

function dispatchSecure(socket: Socket, pool: CdnWorkerPool, secure: SecureFront): void {
  const worker = pool.pick();
  if (worker) pool.hand(worker, NOTHING_READ, socket);
  else secure.accept(socket);
}

function dispatch(socket: Socket, http: Server, pool: CdnWorkerPool, waiting: Set<Socket>): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const onError = () => socket.destroy();
  socket.on('error', onError);
  waiting.add(socket);
  socket.once('close', () => {
    clearTimeout(deadline);
    waiting.delete(socket);
  });
  // The first request head must arrive whole within the head timeout (node's headersTimeout),
  // however its bytes trickle in: a deadline, not an idle timer.
  const deadline = setTimeout(() => {
    socket.off('data', onData);
    socket.end('HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 41\r\nConnection: close\r\n\r\nthe request head took too long to arrive\n', 'latin1');
    setTimeout(() => socket.destroy(), 1_000).unref();
  }, http.headersTimeout);
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    const head = chunks.length === 1 ? chunk : Buffer.concat(chunks, size);
    const text = head.subarray(0, Math.min(head.length, 64)).toString('latin1');
    const complete = head.includes('\r\n\r\n');
    const cdn = CDN_REQUEST.test(text);
    // Wait for the rest of the request head; one with a bare LF never ends in CRLF CRLF: node's
    // parser answers it (400) at once, where waiting ran into the head timeout (408 after 20 s).
    if (cdn && !complete && size < MAX_PEEK && !hasBareLf(head)) return;
    socket.off('data', onData);
    socket.pause();
    clearTimeout(deadline);
    waiting.delete(socket);
    const worker = cdn && complete ? pool.pick() : undefined;
    if (worker) {
      // Nothing more may be read here once the handle is on its way to the worker.
      (socket as unknown as { _handle?: { readStop?: () => number } })._handle?.readStop?.();
      pool.hand(worker, head, socket);
      return;
    }
    socket.off('error', onError);
    socket.unshift(head);
    http.emit('connection', socket);
    socket.resume();
  };
  socket.on('data', onData);
  socket.resume();
}
