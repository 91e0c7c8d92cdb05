import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { createServer as createHttpServer, request } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Reply, RequestHead } from '../../src/http/reply.js';
import { FastHttpLane } from '../../src/cdn/workers/fast-http.js';
import { HotAnswers } from '../../src/cdn/workers/hot-answers.js';
import { NativeHotTable } from '../../src/cdn/workers/native-hot.js';
import { cdnSyscalls, cdnSyscallsUnavailable } from '../../src/cdn/workers/syscalls.js';

interface Exchange {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One request on a keep-alive connection of `agent`-less node http, so heads are identical each time. */
function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, method, headers: { Connection: 'keep-alive', ...headers } }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    })
      .on('error', reject)
      .end();
  });
}

/**
 * The lane on a real TCP server, both ways it can read: into the shared buffer (the connection's
 * handle wrapped anew), and through 'data' events (here forced by the first request already
 * waiting in the socket's read buffer, which wrapping would lose).
 */
for (const mode of ['shared buffer', 'data events', 'native table'] as const) {
  describe(`CDN fast lane over TCP (${mode})`, () => {
    let server: Server;
    let port: number;
    let lane: FastHttpLane;
    let hot: HotAnswers;
    const answered: string[] = [];
    let bigBody = `/* v1 */${'x'.repeat(64 * 1024)}`;
    const fallback = createHttpServer((req, res) => res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`fallback ${req.method} ${req.url}`));

    before(async () => {
      hot = new HotAnswers(1_000_000, 60_000);
      if (mode === 'native table') {
        const table = NativeHotTable.create();
        assert.ok(table, `the native addon has its reused-answer table (npm run build:native): ${cdnSyscallsUnavailable}`);
        hot.mirrorTo(table);
      }
      const answer = async (req: RequestHead): Promise<Reply | undefined> => {
        answered.push(`${req.method} ${req.url}`);
        if (req.url === '/cdn/not-mine') return undefined;
        const body = req.url === '/cdn/big.js' ? bigBody : `file ${req.url}`;
        return { status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length }, body };
      };
      lane = new FastHttpLane(answer, fallback, (err) => assert.fail(String(err)), hot);
      if (hot.nativeTable) lane.adoptInto(hot.nativeTable);
      server = createServer({ pauseOnConnect: true }, (socket: Socket) => {
        if (mode !== 'data events') lane.attach(socket, Buffer.alloc(0));
        else
          socket.once('readable', () => {
            assert.ok(socket.readableLength > 0, 'a request waits in the read buffer');
            lane.attach(socket, Buffer.alloc(0));
          });
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      port = (server.address() as AddressInfo).port;
    });
    after(async () => {
      await lane.close();
      server.close();
    });

    it('answers, reuses hot answers for identical heads, and keeps the Date header current', async () => {
      const before = answered.length;
      const first = await get(port, '/cdn/a.js');
      const second = await get(port, '/cdn/a.js');
      assert.deepEqual([first.status, first.body, second.body], [200, 'file /cdn/a.js', 'file /cdn/a.js']);
      assert.match(String(second.headers.date), /GMT$/);
      assert.equal(answered.filter((a, i) => i >= before && a === 'GET /cdn/a.js').length, 1, 'the second answer came from the hot answers');
      hot.invalidate();
      await get(port, '/cdn/a.js');
      assert.equal(answered.filter((a, i) => i >= before && a === 'GET /cdn/a.js').length, 2, 'a change makes the lane ask again');
    });

    it('sends a large hot answer whole every time (from memory, zero-copy), and the new one after a change', async () => {
      // Counts what sendfile(2) itself sent after the head: a memfd that exists but is never sent from proves nothing.
      assert.ok(cdnSyscalls?.sendHeadFile, `the native addon is built (npm run build:native): ${cdnSyscallsUnavailable}`);
      const addon = cdnSyscalls;
      const realSend = addon.sendHeadFile;
      const sends: number[] = [];
      const table = hot.nativeTable;
      const nativeBefore = table ? table.stats().sent + table.stats().adoptedSent : 0;
      addon.sendHeadFile = (socketFd, head, fileFd, length) => {
        const sent = (realSend as NonNullable<typeof realSend>)(socketFd, head, fileFd, length);
        sends.push(sent - head.length);
        return sent;
      };
      try {
        for (let i = 0; i < 20; i++) assert.equal((await get(port, '/cdn/big.js')).body, bigBody);
      } finally {
        addon.sendHeadFile = realSend;
      }
      const sentBytes = sends.filter((n) => n > 0).reduce((a, b) => a + b, 0);
      if (table) {
        // The native table sends from the memfd itself (native/cdn_hot.c).
        const sent = table.stats().sent + table.stats().adoptedSent - nativeBefore;
        assert.ok(sent >= 15, `the native table sent ${sent} of 20`);
      } else {
        // The first answer is made (and copied); the 19 after it come from the memfd.
        assert.ok(sends.filter((n) => n > 0).length >= 15, `sendfile sent ${sends.length} times: ${sends.join(' ')}`);
        assert.ok(sentBytes >= 15 * bigBody.length, `sendfile sent ${sentBytes} bytes`);
      }
      bigBody = `/* v2 */${'y'.repeat(70 * 1024)}`;
      hot.invalidate();
      for (let i = 0; i < 3; i++) assert.equal((await get(port, '/cdn/big.js')).body, bigBody);
    });

    it('hands a head with bare LF line ends to node’s server at once, which refuses it (400), not 408 after the head timeout', async () => {
      for (const head of ['GET /cdn/a.js HTTP/1.1\nHost: x\n\n', 'GET /cdn/a.js HTTP/1.1\r\nHost: x\r\n\n']) {
        const socket = connect(port, '127.0.0.1');
        socket.write(head, 'latin1');
        let got = '';
        socket.on('data', (chunk: Buffer) => (got += chunk.toString('latin1')));
        const started = Date.now();
        await Promise.race([once(socket, 'close'), sleep(5_000)]);
        socket.destroy();
        assert.match(got, /^HTTP\/1\.1 400 /, `${JSON.stringify(head)}: ${JSON.stringify(got.slice(0, 60))}`);
        assert.ok(Date.now() - started < 5_000, 'answered at once');
      }
    });

    it('answers HEAD with the length and no body, and hands other requests to node’s server', async () => {
      const head = await get(port, '/cdn/b.js', {}, 'HEAD');
      assert.equal(head.headers['content-length'], String('file /cdn/b.js'.length));
      assert.equal(head.body, '');
      const post = await get(port, '/cdn/b.js', {}, 'POST');
      assert.equal(post.body, 'fallback POST /cdn/b.js');
      const notMine = await get(port, '/cdn/not-mine');
      assert.equal(notMine.body, 'fallback GET /cdn/not-mine');
    });
  });
}

describe('CDN fast lane: idle connections', () => {
  it('closes a connection idle for the idle time, and not one that keeps asking', async () => {
    const answer = async (): Promise<Reply> => ({ status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'ok' });
    const lane = new FastHttpLane(answer, createHttpServer(), (err) => assert.fail(String(err)), undefined, 300);
    const server = createServer({ pauseOnConnect: true }, (socket: Socket) => lane.attach(socket, Buffer.alloc(0)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const open = async () => {
      const socket = connect(port, '127.0.0.1');
      await once(socket, 'connect');
      let closed = false;
      socket.on('close', () => (closed = true));
      socket.on('data', () => {});
      return { socket, ask: () => socket.write('GET /cdn/x HTTP/1.1\r\nHost: h\r\n\r\n'), closed: () => closed };
    };
    const idle = await open();
    const busy = await open();
    idle.ask();
    // The idle one goes after 300 ms (and a sweep): waited for up to 10 s, since timers run late
    // on a loaded machine; the busy one asks every 50 ms all the while, and for 700 ms at least.
    const started = Date.now();
    while (Date.now() - started < 700 || (!idle.closed() && Date.now() - started < 10_000)) {
      busy.ask();
      await sleep(50);
    }
    assert.ok(idle.closed(), 'the idle connection was closed');
    assert.ok(!busy.closed(), 'the busy one was not');
    busy.socket.destroy();
    await lane.close();
    server.close();
  });
});
