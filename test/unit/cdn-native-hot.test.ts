import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Reply, RequestHead } from '../../src/http/reply.js';
import { FastHttpLane } from '../../src/cdn/workers/fast-http.js';
import { HotAnswers } from '../../src/cdn/workers/hot-answers.js';
import { NativeHotTable } from '../../src/cdn/workers/native-hot.js';
import { cdnSyscallsUnavailable } from '../../src/cdn/workers/syscalls.js';

/** One parsed answer off a raw connection. */
interface Answer {
  readonly head: string;
  readonly status: number;
  readonly body: Buffer;
}

/** A raw keep-alive connection: writes heads byte for byte, reads answers framed by Content-Length. */
class Raw {
  private got = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.got = Buffer.concat([this.got, chunk]);
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async open(port: number): Promise<Raw> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new Raw(socket);
  }

  async ask(head: string, method = 'GET', readDelayMs = 0): Promise<Answer> {
    this.socket.write(head, 'latin1');
    if (readDelayMs > 0) {
      this.socket.pause();
      await sleep(readDelayMs);
      this.socket.resume();
    }
    for (;;) {
      const end = this.got.indexOf('\r\n\r\n');
      if (end >= 0) {
        const text = this.got.toString('latin1', 0, end);
        const length = method === 'HEAD' || / 304 /.test(text.split('\r\n')[0] ?? '') ? 0 : Number(/\r\ncontent-length: (\d+)/i.exec(text)?.[1] ?? 0);
        if (this.got.length >= end + 4 + length) {
          const body = this.got.subarray(end + 4, end + 4 + length);
          this.got = this.got.subarray(end + 4 + length);
          return { head: text, status: Number(text.split(' ')[1]), body: Buffer.from(body) };
        }
      }
      if (this.closed) throw new Error(`closed with ${this.got.length} bytes unread`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

/** The head without its Date line (the only part that may differ between two sends of one answer). */
const undated = (head: string) => head.replace(/\r\nDate: [^\r]*/, '');

const USER_AGENTS = ['Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0', 'Mozilla/5.0 (Macintosh) Safari/605.1.15', 'Mozilla/5.0 (Windows NT 10.0; rv:133.0) Firefox/133.0'];

/** A browser's head for `path`: user agent, referer, cookie and Sec-Fetch-* varying with `i`. */
function browserHead(path: string, i: number, extra: string[] = [], method = 'GET'): string {
  return [
    `${method} ${path} HTTP/1.1`,
    'Host: cdn.example',
    'Connection: keep-alive',
    `User-Agent: ${USER_AGENTS[i % USER_AGENTS.length]}`,
    `Referer: https://app${i}.example/page/${i * 7}`,
    'Accept: */*',
    'Accept-Encoding: gzip, deflate, br, zstd',
    ...(i % 2 === 0 ? [`Cookie: _ga=GA1.2.${i}; ferry_session=${i * 13}`] : []),
    `Sec-Fetch-Dest: ${['script', 'style', 'image'][i % 3]}`,
    ...extra,
    '',
    '',
  ].join('\r\n');
}

describe('CDN fast lane: the native reused-answer table', () => {
  let server: Server;
  let port: number;
  let lane: FastHttpLane;
  let hot: HotAnswers;
  let table: NativeHotTable;
  const answered: string[] = [];
  const checked: string[] = [];
  let revalidations = 0;
  let version = 1;
  const bigBody = Buffer.alloc(4 * 1024 * 1024, 'abcdefghij');
  /** Answers the table sent: for JavaScript's calls, and on its own on adopted connections. */
  const served = () => {
    const stats = table.stats();
    return stats.sent + stats.adoptedSent;
  };
  const IDLE_MS = 1_500;

  before(async () => {
    const made = NativeHotTable.create();
    assert.ok(made, `the native addon has its reused-answer table (npm run build:native): ${cdnSyscallsUnavailable}`);
    table = made;
    hot = new HotAnswers(64_000_000, 300, Date.now, undefined, async () => {
      revalidations++;
      return true;
    });
    hot.mirrorTo(table);
    const answer = async (req: RequestHead): Promise<Reply | undefined> => {
      answered.push(`${req.method} ${req.url}`);
      if (req.headers.authorization !== undefined && req.headers.authorization !== 'Bearer good') return { status: 401, headers: { 'Content-Type': 'text/plain' }, body: 'wrong credentials\n' };
      const body = req.url === '/cdn/big.bin' ? bigBody : `v${version} ${req.url}`;
      const etag = `"v${version}"`;
      const headers = { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'public, max-age=60', ETag: etag, Vary: 'Accept-Encoding' };
      if (req.headers['if-none-match'] === etag) return { status: 304, headers, reuseScope: { repoId: 7, path: 'a/b' } };
      return { status: 200, headers, body, reuseScope: { repoId: 7, path: 'a/b' } };
    };
    const credentialsOk = async (req: RequestHead): Promise<boolean> => {
      checked.push(String(req.headers.authorization));
      return req.headers.authorization === 'Bearer good';
    };
    lane = new FastHttpLane(answer, createHttpServer((_req, res) => res.writeHead(401).end('no')), (err) => assert.fail(String(err)), hot, IDLE_MS, undefined, credentialsOk);
    lane.adoptInto(table);
    server = createServer({ pauseOnConnect: true }, (socket: Socket) => lane.attach(socket, Buffer.alloc(0)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await lane.close();
    server.close();
  });

  it('answers browser heads that differ in user agent, referer, cookie and Sec-Fetch-* from the table, the same bytes as the first answer', async () => {
    const raw = await Raw.open(port);
    const before = answered.length;
    const sentBefore = served();
    const first = await raw.ask(browserHead('/cdn/a.js', 0));
    assert.equal(first.status, 200);
    for (let i = 1; i < 40; i++) {
      const again = await raw.ask(browserHead('/cdn/a.js', i));
      assert.equal(undated(again.head), undated(first.head));
      assert.deepEqual(again.body, first.body);
      assert.match(again.head, /\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT/);
    }
    assert.equal(answered.length - before, 1, 'answered once, reused 39 times');
    assert.ok(served() - sentBefore >= 30, `the native table sent ${served() - sentBefore} of 39 (the rest: the scope's revalidation)`);
    raw.socket.destroy();
  });

  it('keys revalidations and HEAD apart: a matching If-None-Match gets its 304, HEAD no body', async () => {
    const raw = await Raw.open(port);
    const full = await raw.ask(browserHead('/cdn/c.js', 0));
    const etag = /\r\nETag: ([^\r]*)/.exec(full.head)?.[1] ?? '';
    for (let i = 0; i < 10; i++) {
      const revalidated = await raw.ask(browserHead('/cdn/c.js', i, [`If-None-Match: ${etag}`]));
      assert.equal(revalidated.status, 304);
      assert.equal(revalidated.body.length, 0);
      const head = await raw.ask(browserHead('/cdn/c.js', i, [], 'HEAD'), 'HEAD');
      assert.equal(head.status, 200);
      assert.match(head.head, new RegExp(`\\r\\nContent-Length: ${full.body.length}`));
      assert.equal((await raw.ask(browserHead('/cdn/c.js', i))).body.toString(), full.body.toString());
    }
    raw.socket.destroy();
  });

  it('checks credentials on every request that carries them, never answering one from the table', async () => {
    const raw = await Raw.open(port);
    await raw.ask(browserHead('/cdn/d.js', 0));
    const before = checked.length;
    for (let i = 0; i < 5; i++) {
      const ok = await raw.ask(browserHead('/cdn/d.js', i, ['Authorization: Bearer good']));
      assert.equal(ok.status, 200);
    }
    assert.equal(checked.length - before, 5, 'each request with credentials was checked');
    const wrong = await raw.ask(browserHead('/cdn/d.js', 1, ['Authorization: Bearer wrong']));
    assert.equal(wrong.status, 401);
    raw.socket.destroy();
  });

  it('leaves repeated key fields, Connection: close and HTTP/1.0 to JavaScript, which answers as node joins them', async () => {
    const raw = await Raw.open(port);
    await raw.ask(browserHead('/cdn/e.js', 0));
    const sent = served();
    const repeated = await raw.ask(browserHead('/cdn/e.js', 1, ['Accept-Encoding: identity']));
    assert.equal(repeated.status, 200);
    assert.equal(served(), sent, 'a repeated Accept-Encoding was not answered by the table');
    const closing = await raw.ask('GET /cdn/e.js HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    assert.match(closing.head, /\r\nConnection: close/);
    await once(raw.socket, 'close');
    const old = await Raw.open(port);
    const http10 = await old.ask('GET /cdn/e.js HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    assert.match(http10.head, /\r\nConnection: keep-alive/);
    const again = await old.ask('GET /cdn/e.js HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    assert.equal(undated(again.head), undated(http10.head));
    old.socket.destroy();
  });

  it('sends a 4 MB answer whole to a reader that waits, the rest queued after what the socket took', async () => {
    const raw = await Raw.open(port);
    await raw.ask(browserHead('/cdn/big.bin', 0));
    const sent = served();
    for (let i = 1; i < 4; i++) {
      const got = await raw.ask(browserHead('/cdn/big.bin', i), 'GET', 200);
      assert.equal(got.body.length, bigBody.length);
      assert.ok(got.body.equals(bigBody), 'the body arrived intact');
      // And the connection goes on: a small answer right after.
      assert.equal((await raw.ask(browserHead('/cdn/a.js', i))).status, 200);
    }
    assert.ok(served() > sent, 'the big answers came from the table');
    raw.socket.destroy();
  });

  it('answers a scope due for its check while JavaScript checks it (once), and none overdue until it was checked', async () => {
    const raw = await Raw.open(port);
    await raw.ask(browserHead('/cdn/f.js', 0));
    await raw.ask(browserHead('/cdn/f.js', 1));
    // Due (past the 300 ms TTL, before twice it): answered at once, and the check asked for once.
    await sleep(400);
    let before = revalidations;
    let sent = served();
    for (let i = 0; i < 3; i++) await raw.ask(browserHead('/cdn/f.js', i));
    assert.equal(served() - sent, 3, 'the table answered all three while the scope was due');
    await sleep(20);
    assert.equal(revalidations - before, 1, 'and asked for one check');
    // Overdue (past twice the TTL since the last check): JavaScript answers, after the check.
    await sleep(700);
    before = revalidations;
    sent = served();
    await raw.ask(browserHead('/cdn/f.js', 1));
    assert.equal(served(), sent, 'the first request after twice the TTL went to JavaScript');
    assert.equal(revalidations - before, 1, 'which checked the scope');
    await sleep(20);
    await raw.ask(browserHead('/cdn/f.js', 2));
    assert.equal(served(), sent + 1, 'then the table answers again');
    raw.socket.destroy();
  });

  it('serves idle connections on its own (adopted), hands one back for a request it cannot answer, and takes it again', async () => {
    const raw = await Raw.open(port);
    await raw.ask(browserHead('/cdn/h.js', 0));
    await raw.ask(browserHead('/cdn/h.js', 1));
    const adopted = table.stats().adoptedSent;
    for (let i = 2; i < 12; i++) assert.equal((await raw.ask(browserHead('/cdn/h.js', i))).status, 200);
    assert.ok(table.stats().adoptedSent - adopted >= 9, `answered on the adopted connection: ${table.stats().adoptedSent - adopted} of 10`);
    assert.ok(table.stats().adopted >= 1, 'a connection is adopted');
    // A request it has no answer for goes back to JavaScript with the connection, in order.
    const before = answered.length;
    const fresh = await raw.ask(browserHead('/cdn/h-new.js', 0));
    assert.equal(fresh.body.toString(), `v${version} /cdn/h-new.js`);
    assert.equal(answered.length - before, 1);
    // Pipelined: both answered, in order.
    raw.socket.write(browserHead('/cdn/h.js', 3) + browserHead('/cdn/h-new.js', 4), 'latin1');
    const first = await raw.ask('');
    const second = await raw.ask('');
    assert.deepEqual([first.body.toString(), second.body.toString()], [`v${version} /cdn/h.js`, `v${version} /cdn/h-new.js`]);
    // A head that comes in pieces is JavaScript's to wait for.
    const head = browserHead('/cdn/h.js', 5);
    raw.socket.write(head.slice(0, 20), 'latin1');
    await sleep(50);
    const split = await raw.ask(head.slice(20));
    assert.equal(split.body.toString(), `v${version} /cdn/h.js`);
    // And then the connection is the table's again.
    const again = table.stats().adoptedSent;
    for (let i = 0; i < 5; i++) await raw.ask(browserHead('/cdn/h.js', i));
    assert.ok(table.stats().adoptedSent - again >= 4, 'adopted again once idle');
    raw.socket.destroy();
  });

  it('closes an adopted connection idle for the idle time, and not one that keeps asking', async () => {
    const idle = await Raw.open(port);
    const busy = await Raw.open(port);
    for (const raw of [idle, busy]) for (let i = 0; i < 3; i++) await raw.ask(browserHead('/cdn/i.js', i));
    const started = Date.now();
    while (!idle.closed && Date.now() - started < 10_000) {
      await busy.ask(browserHead('/cdn/i.js', 1));
      await sleep(100);
    }
    assert.ok(idle.closed, 'the idle connection was closed');
    assert.ok(Date.now() - started >= IDLE_MS - 200, 'not before its idle time');
    assert.ok(!busy.closed, 'the busy one was not');
    busy.socket.destroy();
  });

  it('forgets a repo’s answers on a change: the next request gets the new content', async () => {
    const raw = await Raw.open(port);
    assert.equal((await raw.ask(browserHead('/cdn/g.js', 0))).body.toString(), `v${version} /cdn/g.js`);
    assert.equal((await raw.ask(browserHead('/cdn/g.js', 1))).body.toString(), `v${version} /cdn/g.js`);
    version++;
    hot.invalidateRepo(7, 'a/b');
    assert.equal((await raw.ask(browserHead('/cdn/g.js', 2))).body.toString(), `v${version} /cdn/g.js`);
    assert.equal((await raw.ask(browserHead('/cdn/g.js', 3))).body.toString(), `v${version} /cdn/g.js`);
    version++;
    hot.invalidate();
    assert.equal((await raw.ask(browserHead('/cdn/g.js', 4))).body.toString(), `v${version} /cdn/g.js`);
    raw.socket.destroy();
  });
});

describe('CDN fast lane closing with the native table', () => {
  it('closes idle adopted connections at once, while an answer still in progress on another connection finishes', async () => {
    const table = NativeHotTable.create();
    assert.ok(table, `the native addon has its reused-answer table (npm run build:native): ${cdnSyscallsUnavailable}`);
    const hot = new HotAnswers(16_000_000, 60_000, Date.now, undefined, async () => true);
    hot.mirrorTo(table);
    let release = () => {};
    const slow = new Promise<void>((resolve) => (release = resolve));
    const answer = async (req: RequestHead): Promise<Reply | undefined> => {
      if (req.url === '/cdn/slow.bin') await slow;
      const headers = { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'public, max-age=60', ETag: '"c1"' };
      return { status: 200, headers, body: `c1 ${req.url}`, reuseScope: { repoId: 9, path: 'c/d' } };
    };
    const lane = new FastHttpLane(answer, createHttpServer((_req, res) => res.writeHead(401).end('no')), (err) => assert.fail(String(err)), hot, 60_000);
    lane.adoptInto(table);
    const server = createServer({ pauseOnConnect: true }, (socket: Socket) => lane.attach(socket, Buffer.alloc(0)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    try {
      const idle = await Raw.open(port);
      for (let i = 0; i < 4; i++) assert.equal((await idle.ask(browserHead('/cdn/c.js', i))).status, 200);
      const adoptedBefore = table.stats().adoptedSent;
      assert.equal((await idle.ask(browserHead('/cdn/c.js', 5))).status, 200);
      assert.equal(table.stats().adoptedSent, adoptedBefore + 1, 'the idle connection is the table’s');
      const busy = await Raw.open(port);
      const inProgress = busy.ask(browserHead('/cdn/slow.bin', 0));
      await sleep(100);
      const closed = lane.close();
      const started = Date.now();
      while (!idle.closed && Date.now() - started < 3_000) await sleep(20);
      assert.ok(idle.closed, 'the idle adopted connection was closed while the other answer was still in progress');
      assert.ok(!busy.closed, 'the connection with an answer in progress stays');
      release();
      const got = await inProgress;
      assert.equal(got.body.toString(), 'c1 /cdn/slow.bin');
      assert.match(got.head, /\r\nConnection: close/i);
      await closed;
    } finally {
      release();
      server.close();
    }
  });
});
