import { once } from 'node:events';
import { closeSync } from 'node:fs';
import { STATUS_CODES, type IncomingHttpHeaders, type Server } from 'node:http';
import { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TLSSocket } from 'node:tls';
import type { Reply, RequestHead } from '../../http/reply.js';
import { combineFieldLine } from '../../http/repeated-fields.js';
import { CORS_HEADERS } from '../cors.js';
import { hotKey, wireBytes, type HotAnswer, type HotAnswers } from './hot-answers.js';
import { hasBareLf, keptAlive, scanHead } from './head-scan.js';
import { NativeServe, type NativeHotTable } from './native-hot.js';
import { SHARED_READ_BUFFER } from './read-buffer.js';
import { rewrap } from './rewrap.js';
import { directFd, writeDirect } from './zero-copy.js';
import { yieldAfterThisTurn } from './yield-cpu.js';

/** Where a request head ends. */
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
/**
 * The longest request head parsed here. A longer one (an hg client's X-HgArg headers on a
 * keep-alive connection) goes to node's server, whose limit is MAX_REQUEST_HEAD_BYTES.
 */
const MAX_HEAD = 16 * 1024;
/** How long close() waits for an idle connection's peer to close after our FIN, in ms. */
const CLOSE_GRACE_MS = 2_000;
/** How long close() lets an answer in flight finish, in ms (`[limits] shutdown_grace`'s default). */
const BUSY_CLOSE_GRACE_MS = 30_000;
/** An idle keep-alive connection is closed after this long (node's server uses the same). */
const IDLE_MS = 65_000;
/** Idle connections are looked for this many times per IDLE_MS (so closed up to 1/13 of it late). */
const IDLE_SWEEPS = 13;
/** The longest a request head may take from its first byte to its end ([limits] head_timeout). */
const HEAD_MS = 20_000;
/** A head is looked at this many times per head timeout at least. */
const HEAD_SWEEPS = 4;

const REQUEST_LINE = /^(GET|HEAD) (\/cdn\/[\x21-\x7e]*) HTTP\/1\.([01])$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** Ferry's own hop header: a client's repeat never joins the first line (it is vouched for as sent). */
const OWN_FIRST_WINS = 'x-ferry-forwarded-client';

/** Answers a parsed request; undefined hands the connection, this request included, to node's server. */
export type FastAnswer = (req: RequestHead) => Promise<Reply | undefined>;

/** Whether a request's credentials (`Authorization`) are good: checked on every request that carries them. */
export type CredentialCheck = (req: RequestHead) => Promise<boolean>;

interface FastRequest extends RequestHead {
  readonly method: 'GET' | 'HEAD';
  readonly url: string;
  readonly keepAlive: boolean;
  /** HTTP/1.0 keep-alive must be confirmed in the answer. */
  readonly http10: boolean;
}

/**
 * HTTP/1.1 for the CDN's hot path: GET and HEAD of `/cdn/…` with no body, parsed and answered
 * straight on the socket, one request after the other (pipelining keeps its order). Through node's
 * server a worker answered about a third as many small files per second (bench/cdn.ts); this is
 * where a CDN worker spends its time.
 * Anything else on a connection — another method or path, a body, an upgrade, a head this strict
 * parser refuses — hands the connection, unread bytes included, to node's server for good.
 */
export class FastHttpLane {
  private readonly connections = new Set<FastConnection>();
  private closing = false;
  /**
   * Idle connections are closed by one sweep for all, not a timer per socket: node refreshes a
   * socket's timer on every read and write, 4% of a worker's CPU per small file.
   */
  private readonly sweeper: NodeJS.Timeout;

  /** The native table idle connections are handed to (adoptInto), shared with every connection. */
  private readonly adoption: Adoption = {};

  constructor(
    private readonly answer: FastAnswer,
    private readonly fallback: Server,
    private readonly onError: (err: unknown) => void,
    private readonly hot?: HotAnswers,
    private readonly idleMs = IDLE_MS,
    headMs = HEAD_MS,
    /** Without it, requests with credentials are never answered from `hot`. */
    private readonly credentialsOk?: CredentialCheck,
  ) {
    const every = Math.ceil(Math.min(idleMs / IDLE_SWEEPS, headMs / HEAD_SWEEPS));
    this.limits = { idleSweeps: Math.ceil(idleMs / every), headSweeps: Math.ceil(headMs / every) };
    this.sweeper = setInterval(() => {
      for (const connection of this.connections) connection.sweep();
    }, every).unref();
  }

  /** How many sweeps a connection may stay idle, and a request head stay incomplete. */
  private readonly limits: SweepLimits;

  /** Serves `socket`, whose first bytes (`initial`) were already read by the primary. */
  attach(socket: Socket, initial: Buffer): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const connection: FastConnection = new FastConnection(socket, this.answer, this.fallback, this.onError, this.hot, this.limits, () => this.connections.delete(connection), this.credentialsOk, this.adoption);
    this.connections.add(connection);
    connection.start(initial);
  }

  /**
   * From now on, a plain TCP connection that is idle after an answer is handed to `table`, which
   * answers its reused answers on its own, without JavaScript per request (native/cdn_hot.c); the
   * first request it cannot answer comes back here with the connection (attachFd). `table` must
   * mirror this lane's hot answers.
   */
  adoptInto(table: NativeHotTable): void {
    table.adoptInit((fd, bytes) => this.attachFd(fd, bytes), this.idleMs);
    this.adoption.table = table;
  }

  /** Serves the connection on file descriptor `fd` (handed back by the native table), `initial` already read from it. */
  private attachFd(fd: number, initial: Buffer): void {
    let socket: Socket;
    try {
      socket = new Socket({ fd, readable: true, writable: true });
    } catch (err) {
      this.onError(err);
      closeSync(fd);
      return;
    }
    this.attach(socket, initial);
  }

  /** Ends idle connections now and busy ones after their answer; resolves when all are gone. */
  async close(): Promise<void> {
    this.closing = true;
    const table = this.adoption.table;
    this.adoption.table = undefined;
    // Adopted connections: idle ones go now, those sending an answer when it is sent (at most the
    // grace) — alongside the lane's own, not after them: an idle connection left open while a
    // download drains takes requests that are never answered (a fresh tester's find).
    const adopted = async () => {
      if (!table) return;
      const until = Date.now() + BUSY_CLOSE_GRACE_MS;
      while (table.closeConnections(false) > 0 && Date.now() < until) await sleep(50);
      table.closeConnections(true);
    };
    await Promise.all([...[...this.connections].map((c) => c.close()), adopted()]);
    clearInterval(this.sweeper);
  }
}

/** Where idle connections go (FastHttpLane.adoptInto): the native table, once there is one. */
interface Adoption {
  table?: NativeHotTable;
}

interface SweepLimits {
  readonly idleSweeps: number;
  readonly headSweeps: number;
}

class FastConnection {
  private pending: Buffer | undefined;
  private busy = false;
  private closing = false;
  private handedOver = false;
  private readonly onData = (chunk: Buffer) => this.onChunk(chunk, false);
  private readonly onSocketError = () => this.socket.destroy();
  /** Sweeps since the last read or drain; reset on every request, so a plain store. */
  private idleSweeps = 0;
  /** Sweeps while part of a request head waited here; a head that trickles in is refused (408). */
  private headSweeps = 0;
  /** The hot answer this connection sent last, for the request head it answered (`lastHeadLength` bytes of `lastHead`). */
  private lastHot: HotAnswer | undefined;
  private lastHead: Buffer | undefined;
  private lastHeadLength = 0;

  private socket: Socket;
  /** Reads land in SHARED_READ_BUFFER (else: 'data' events, one Buffer each). */
  private readonly sharedReads: boolean;

  constructor(
    received: Socket,
    private readonly answer: FastAnswer,
    private readonly fallback: Server,
    private readonly onError: (err: unknown) => void,
    private readonly hot: HotAnswers | undefined,
    private readonly limits: SweepLimits,
    private readonly onGone: () => void,
    private readonly credentialsOk: CredentialCheck | undefined,
    private readonly adoption: Adoption,
  ) {
    const reading = rewrap(received, {
      buffer: SHARED_READ_BUFFER,
      callback: (length) => {
        this.onSharedRead(length);
        return true;
      },
    });
    this.socket = reading ?? received;
    this.sharedReads = reading !== undefined;
    if (!reading) this.socket.on('data', this.onData);
  }

  start(initial: Buffer): void {
    const socket = this.socket;
    socket.setNoDelay(true);
    socket.on('error', this.onSocketError);
    socket.once('close', this.onGone);
    this.pending = initial.length > 0 ? initial : undefined;
    void this.pump();
    socket.resume();
  }

  /**
   * Closes the connection when nothing was read or drained for too many sweeps, and refuses a
   * request head still incomplete after its time (however often its bytes come: one byte a second
   * is not progress).
   */
  sweep(): void {
    if (this.pending !== undefined && !this.busy && !this.handedOver) {
      if (++this.headSweeps > this.limits.headSweeps) {
        this.pending = undefined;
        this.refuse(408, 'the request head took too long to arrive\n');
        setTimeout(() => this.socket.destroy(), 1_000).unref();
        return;
      }
    } else {
      this.headSweeps = 0;
    }
    if (++this.idleSweeps > this.limits.idleSweeps) this.socket.destroy();
  }

  /**
   * `length` bytes were read into the shared buffer: the native table answers them when it can
   * (no Buffer made, nothing else in JavaScript), else they go the way of any other read.
   */
  private onSharedRead(length: number): void {
    if (!this.busy && this.pending === undefined && !this.closing) {
      const table = this.hot?.nativeTable;
      if (table !== undefined && this.answerNative(table, length)) {
        this.idleSweeps = 0;
        yieldAfterThisTurn();
        this.adopt();
        return;
      }
    }
    this.onChunk(SHARED_READ_BUFFER.subarray(0, length), true);
  }

  /**
   * The request head in SHARED_READ_BUFFER[0, length) answered by the native table, when the
   * socket is free to be written to directly: whether it was (sent, queued in part, or the socket
   * failed and was destroyed).
   */
  private answerNative(table: NativeHotTable, length: number): boolean {
    const fd = directFd(this.socket);
    if (fd === undefined) return false;
    const served = table.serve(fd, length);
    if (served === NativeServe.Miss) return false;
    (this.hot as HotAnswers).sent++;
    if (served < 0) this.socket.destroy();
    else if (served === NativeServe.Partial && !this.writeRest(SHARED_READ_BUFFER.subarray(0, length), table.partial)) this.socket.destroy();
    else if (served === NativeServe.Partial) this.afterHot();
    return true;
  }

  /** `borrowed`: `chunk` is the shared read buffer, overwritten by the next read; keep a copy. */
  private onChunk(chunk: Buffer, borrowed: boolean): void {
    this.idleSweeps = 0;
    yieldAfterThisTurn();
    if (!this.busy && !this.pending && this.answerHot(chunk)) return;
    this.pending = this.pending ? Buffer.concat([this.pending, chunk]) : borrowed ? Buffer.from(chunk) : chunk;
    if (!this.busy) void this.pump();
    else if (this.pending.length > MAX_HEAD) this.socket.pause(); // a pipelined flood waits in the kernel
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.handedOver) return;
    if (!this.busy) this.socket.end();
    if (this.socket.destroyed) return;
    // A peer that never closes its side, or a close event lost with a handle wrapped anew, must
    // not hold the lane's close for ever (a unit test hung so in CI): an idle connection gets
    // CLOSE_GRACE_MS after our FIN, one in the middle of an answer the shutdown grace's default.
    const timer = setTimeout(() => this.socket.destroy(), this.busy ? BUSY_CLOSE_GRACE_MS : CLOSE_GRACE_MS);
    try {
      await once(this.socket, 'close');
    } finally {
      clearTimeout(timer);
    }
  }

  /** Answers every complete request head buffered, in order. */
  private async pump(): Promise<void> {
    this.busy = true;
    try {
      while (this.pending && !this.socket.destroyed) {
        const buffer = this.pending;
        const end = buffer.indexOf(HEAD_END);
        if (end < 0 || end + 4 > MAX_HEAD) {
          // A head whose lines end in a bare LF never holds CRLF CRLF: node's parser refuses it
          // (400) at once, where waiting here for an end that never comes answered 408 after the
          // head timeout.
          if (buffer.length > MAX_HEAD || (end < 0 && hasBareLf(buffer))) return this.handOver();
          return;
        }
        // A reused answer's key read straight from the bytes (no credentials, keep-alive): most
        // requests end here. Anything else, and a miss, is parsed whole.
        const scanned = this.hot && !this.closing ? scanHead(buffer, end) : undefined;
        const early = scanned === undefined ? undefined : (this.hot as HotAnswers).get(scanned);
        const earlyHot = early instanceof Promise ? await early : early;
        if (earlyHot) {
          this.sendReused(earlyHot, buffer, end, true);
        } else {
          const head = buffer.toString('latin1', 0, end);
          const req = parseRequestHead(head, this.socket.remoteAddress);
          if (!req) return this.handOver();
          const key = this.closing ? undefined : this.hot && hotKey(req);
          const found = key === undefined ? undefined : this.reusable(req, key);
          const hot = found instanceof Promise ? await found : found;
          if (hot) {
            this.sendReused(hot, buffer, end, req.headers.authorization === undefined);
          } else {
            const generation = this.hot?.generation ?? 0;
            const reply = await this.answer(req).catch((err: unknown) => {
              this.onError(err);
              return INTERNAL_ERROR;
            });
            if (!reply) return this.handOver();
            this.consume(end);
            if (this.socket.destroyed) return;
            const keepAlive = req.keepAlive && !this.closing;
            const headUntilDate = serializeHead(reply, req, keepAlive);
            const body = req.method === 'HEAD' || reply.body === undefined ? undefined : typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body;
            this.socket.write(wireBytes(headUntilDate, httpDate(), body));
            if (!keepAlive) {
              this.socket.end();
              return;
            }
            if (this.hot && key !== undefined && reusable(req, reply)) this.hot.put(key, generation, headUntilDate, body, reply.reuseScope);
          }
        }
        if (this.socket.writableNeedDrain) {
          await once(this.socket, 'drain').catch(() => undefined);
          this.idleSweeps = 0;
        }
      }
    } catch (err) {
      this.onError(err);
      this.socket.destroy();
    } finally {
      this.busy = false;
      if (this.handedOver) {
        // node's server owns the socket now
      } else if (this.closing && !this.socket.destroyed) this.socket.end();
      else if (this.socket.isPaused() && !this.socket.destroyed) this.socket.resume();
      if (this.pending === undefined) this.adopt();
    }
  }

  /**
   * Hands this connection to the native table (FastHttpLane.adoptInto) when it is idle — no request
   * waiting or being answered, nothing queued to write — and plain TCP: the table watches a copy
   * of its descriptor, and this socket is closed without its connection.
   */
  private adopt(): void {
    const table = this.adoption.table;
    if (table === undefined || this.busy || this.pending !== undefined || this.closing || this.handedOver || this.socket.destroyed) return;
    if ((this.socket as Partial<TLSSocket>).encrypted === true) return;
    const fd = directFd(this.socket);
    if (fd === undefined || !table.adopt(fd)) return;
    this.handedOver = true;
    this.socket.off('data', this.onData);
    this.socket.off('close', this.onGone);
    this.onGone();
    this.socket.destroy();
  }

  /**
   * The reused answer for `key`, if any may be sent for `req`: for a request with credentials,
   * only once they were checked (wrong ones get their 401 the long way).
   */
  private reusable(req: FastRequest, key: string): HotAnswer | undefined | Promise<HotAnswer | undefined> {
    const found = this.hot?.get(key);
    if (req.headers.authorization === undefined || found === undefined) return found;
    const check = this.credentialsOk;
    if (!check) return undefined;
    return Promise.all([found, check(req)]).then(
      ([hot, ok]) => (ok && hot && this.hot?.stillHot(hot) ? hot : undefined),
      () => undefined,
    );
  }

  /**
   * Sends the reused answer `hot` for the request whose head ends at `end` in `buffer`, and drops
   * that head from `pending`. `rememberHead`: keep the head for answerHot (never one with credentials).
   */
  private sendReused(hot: HotAnswer, buffer: Buffer, end: number, rememberHead: boolean): void {
    if (rememberHead) this.remember(hot, buffer, end + 4);
    this.consume(end);
    if (this.hot) this.hot.sent++;
    sendHot(this.socket, hot);
  }

  /**
   * Keeps the head just answered from `hot` (the first `length` bytes of `buffer`): the next
   * identical head on this connection is answered without reading it (answerHot). Copied into a
   * buffer the connection keeps, not a new one per request.
   */
  private remember(hot: HotAnswer, buffer: Buffer, length: number): void {
    if (this.lastHead === undefined || this.lastHead.length < length) this.lastHead = Buffer.allocUnsafe(Math.max(1024, length));
    buffer.copy(this.lastHead, 0, 0, length);
    this.lastHeadLength = length;
    this.lastHot = hot;
  }

  /** Drops the request whose head ends at `end` from `pending` (data that came while it was answered stays). */
  private consume(end: number): void {
    const rest = (this.pending as Buffer).subarray(end + 4);
    this.pending = rest.length > 0 ? rest : undefined;
    this.headSweeps = 0;
  }

  /**
   * The common case without a detour: `chunk` is exactly one request head whose answer is hot and
   * may be sent at once. Anything else (part of a head, pipelined requests, a miss) goes the long
   * way, through pump.
   */
  private answerHot(chunk: Buffer): boolean {
    const answers = this.hot;
    if (!answers || this.closing) return false;
    let hot = this.lastHot;
    // The same head, byte for byte, as the last one answered from `hot` on this connection (a
    // client polling one file; never one with credentials): no reading at all.
    if (!hot || chunk.length !== this.lastHeadLength || !answers.stillHot(hot) || chunk.compare(this.lastHead as Buffer, 0, this.lastHeadLength) !== 0) {
      // Another head, whole and alone in this read (a browser's next request): keyed from its
      // bytes and answered here when the answer is hot and known valid, without copying the read
      // or going through pump. Anything else (part of a head, pipelined heads, a miss, a check
      // to wait for) goes the long way.
      const end = chunk.length - 4;
      if (end <= 0 || chunk.length > MAX_HEAD || chunk.indexOf(HEAD_END) !== end) return false;
      const key = scanHead(chunk, end);
      const found = key === undefined ? undefined : answers.get(key);
      if (found === undefined || found instanceof Promise) return false;
      hot = found;
      this.remember(hot, chunk, chunk.length);
    }
    answers.sent++;
    sendHot(this.socket, hot);
    this.afterHot();
    return true;
  }

  /**
   * Queues the rest of an answer the native table sent in part: `sent` bytes of the answer for the
   * head in `chunk`, dated `second`. False when that answer is not at hand (never expected: the
   * table sent it from the same state, in this same turn).
   */
  private writeRest(chunk: Buffer, partial: { readonly sent: number; readonly second: number }): boolean {
    const key = scanHead(chunk, chunk.length - 4);
    const found = key === undefined ? undefined : this.hot?.get(key);
    if (found === undefined || found instanceof Promise) return false;
    this.socket.write(found.bytes(new Date(partial.second * 1000).toUTCString()).subarray(partial.sent));
    return true;
  }

  /** After a hot answer was sent or queued: waits for the socket to drain before reading on. */
  private afterHot(): void {
    if (this.socket.writableNeedDrain) {
      this.busy = true;
      this.socket.pause();
      this.socket.once('drain', () => {
        this.idleSweeps = 0;
        this.busy = false;
        if (this.closing) this.socket.end();
        else if (this.pending) void this.pump();
        else this.socket.resume();
      });
    }
  }

  /** Answers `status` with a plain-text `message` and closes the connection. */
  private refuse(status: number, message: string): void {
    const head = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${message.length}\r\nConnection: close\r\n\r\n`;
    this.socket.end(head + message, 'latin1');
  }

  /** node's server takes the connection from the request at the front of `pending` on. */
  private handOver(): void {
    const own = this.socket;
    this.handedOver = true;
    own.pause();
    own.off('data', this.onData);
    own.off('error', this.onSocketError);
    own.off('close', this.onGone);
    this.onGone();
    // node's server reads with streams: a socket reading into the shared buffer is wrapped anew.
    const socket = this.sharedReads ? rewrap(own) : own;
    if (!socket) {
      own.destroy();
      return;
    }
    if (this.pending) socket.unshift(this.pending);
    this.pending = undefined;
    this.fallback.emit('connection', socket);
    socket.resume();
  }
}

/**
 * Sends a hot answer. When nothing waits to be written on the socket, straight to the kernel: the
 * head (dated this second) then the body from its memfd, or the whole answer in one write(); what
 * did not fit, and everything when the socket is busy or the addon missing, the usual way.
 */
function sendHot(socket: Socket, hot: HotAnswer): void {
  const date = httpDate();
  const wire = hot.bytes(date);
  const fd = directFd(socket);
  if (fd === undefined) {
    socket.write(wire);
    return;
  }
  const file = hot.file();
  const sent = (file && file.sendAfter(fd, hot.headBytes(date))) ?? writeDirect(fd, wire);
  if (sent < 0) socket.destroy();
  else if (sent < wire.length) socket.write(wire.subarray(sent));
}

/** The status line and headers of `reply`, up to the `Date` value the writer adds. */
function serializeHead(reply: Reply, req: FastRequest, keepAlive: boolean): string {
  let head = `HTTP/1.1 ${reply.status} ${reply.reason ?? STATUS_CODES[reply.status] ?? ''}\r\n`;
  for (const name in reply.headers) {
    if (name === 'Content-Length') continue;
    const value = String(reply.headers[name]);
    if (BAD_VALUE.test(value)) throw new Error(`header ${name} holds a character HTTP does not allow`);
    head += `${name}: ${value}\r\n`;
  }
  if (reply.status !== 204 && reply.status !== 304) head += `Content-Length: ${reply.body === undefined ? 0 : Buffer.byteLength(reply.body)}\r\n`;
  if (!keepAlive) head += 'Connection: close\r\n';
  else if (req.http10) head += 'Connection: keep-alive\r\n';
  return `${head}Date: `;
}

/**
 * Plain 200/304 answers may be reused for requests with the same key. An answer to a request with
 * credentials (a token, a password, a session cookie) only when it is `public` (RFC 9111 §3.5: a
 * shared cache reuses an answer to an authorized request only then): the same answer anyone gets, never a private repo's file.
 */
function reusable(req: FastRequest, reply: Reply): boolean {
  if (reply.status !== 200 && reply.status !== 304) return false;
  if (reply.reason !== undefined) return false;
  return !carriesCredentials(req) || /^public\b/.test(String(reply.headers['Cache-Control'] ?? ''));
}

/**
 * Whether a request may have been answered for someone: it has an `Authorization` header, or a
 * `Cookie` header (the web session cookie reads private repos' files as well).
 */
function carriesCredentials(req: FastRequest): boolean {
  return req.headers.authorization !== undefined || req.headers.cookie !== undefined;
}

/** Whether `buffer` holds a line feed not preceded by a carriage return (RFC 9112 section 2.2: not a line end here). */

const INTERNAL_ERROR: Reply = {
  status: 500,
  headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', ...CORS_HEADERS },
  body: 'internal error; the server log has details\n',
};

/**
 * A request head this lane answers, or undefined for node's server to handle (and to refuse when
 * malformed): anything but GET/HEAD of /cdn/…, a body, an upgrade, obsolete line folding,
 * characters HTTP forbids, HTTP/1.1 without Host.
 */
export function parseRequestHead(head: string, remoteAddress: string | undefined): FastRequest | undefined {
  const lineEnd = head.indexOf('\r\n');
  const m = REQUEST_LINE.exec(lineEnd < 0 ? head : head.slice(0, lineEnd));
  if (!m) return undefined;
  const headers: IncomingHttpHeaders = Object.create(null) as IncomingHttpHeaders;
  const fields = headers as Record<string, string>;
  for (let pos = lineEnd < 0 ? head.length : lineEnd + 2; pos < head.length; ) {
    let next = head.indexOf('\r\n', pos);
    if (next < 0) next = head.length;
    const line = head.slice(pos, next);
    pos = next + 2;
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!TOKEN.test(name) || BAD_VALUE.test(value)) return undefined;
    const existing = fields[name];
    // A second Host is refused (400) by node's server, which checks framing (RFC 9112 section 3.2).
    if (existing !== undefined && name === 'host') return undefined;
    // Repeated lines as node's parser combines them (Cookie with "; ", lists with ", ").
    if (existing === undefined || name !== OWN_FIRST_WINS) fields[name] = combineFieldLine(name, existing, value);
  }
  const http10 = m[3] === '0';
  if (fields['transfer-encoding'] !== undefined || fields.upgrade !== undefined || fields.expect !== undefined) return undefined;
  if (fields['content-length'] !== undefined) return undefined;
  if (!http10 && fields.host === undefined) return undefined;
  const keepAlive = keptAlive(http10, fields.connection);
  return { method: m[1] as 'GET' | 'HEAD', url: m[2] as string, headers, socket: { remoteAddress }, keepAlive, http10 };
}

let dateText = '';
let dateSecond = 0;

/** The `Date` header, made once a second. */
function httpDate(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}
