import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { HotAnswer, HotAnswers } from '../../src/cdn/workers/hot-answers.js';
import { cdnSyscalls, cdnSyscallsUnavailable } from '../../src/cdn/workers/syscalls.js';
import { directFd, MemfdBytes, writeDirect, ZERO_COPY_MIN_BYTES } from '../../src/cdn/workers/zero-copy.js';

/** A connected pair over loopback: the server's socket and the client's. */
async function socketPair(): Promise<{ server: Socket; client: Socket; close: () => void }> {
  const listener = createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const accepted = once(listener, 'connection') as Promise<[Socket]>;
  const client = connect((listener.address() as AddressInfo).port, '127.0.0.1');
  const [server] = await accepted;
  await once(client, 'connect').catch(() => undefined);
  return {
    server,
    client,
    close: () => {
      server.destroy();
      client.destroy();
      listener.close();
    },
  };
}

/** Everything `client` receives until it has `length` bytes. */
async function receive(client: Socket, length: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  for await (const chunk of client as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    got += chunk.length;
    if (got >= length) break;
  }
  return Buffer.concat(chunks);
}

/** What the fast lane does: the memfd's bytes, then the rest of them copied if the socket filled. */
function sendAll(socket: Socket, file: MemfdBytes, bytes: Buffer): number | undefined {
  const sent = file.sendOn(socket);
  if (sent !== undefined && sent < bytes.length) socket.write(bytes.subarray(sent));
  return sent;
}

describe('CDN zero-copy sends', () => {
  it('has its native addon built (npm ci builds native/cdn_syscalls.c)', () => {
    assert.equal(cdnSyscallsUnavailable, undefined);
    assert.equal(cdnSyscalls?.yieldCpu(), 0);
  });

  it('sends a memfd’s bytes exactly, several times, on a socket', async () => {
    const pair = await socketPair();
    try {
      const bytes = randomBytes(100 * 1024);
      const file = MemfdBytes.from(bytes);
      assert.ok(file);
      const received = receive(pair.client, 3 * bytes.length);
      for (let i = 0; i < 3; i++) {
        assert.ok(sendAll(pair.server, file, bytes) !== undefined);
        if (pair.server.writableLength > 0) await once(pair.server, 'drain');
      }
      file.close();
      assert.ok((await received).equals(Buffer.concat([bytes, bytes, bytes])));
    } finally {
      pair.close();
    }
  });

  it('sends what the socket takes and leaves the rest to a copy, in order, when the reader is slow', async () => {
    const pair = await socketPair();
    try {
      pair.client.pause();
      const bytes = randomBytes(32 * 1024 * 1024);
      const file = MemfdBytes.from(bytes);
      assert.ok(file);
      const sent = sendAll(pair.server, file, bytes);
      assert.ok(sent !== undefined && sent > 0 && sent < bytes.length, `a part went (${sent} of ${bytes.length})`);
      // Bytes now wait in node's queue: another send would overtake them, so none is made.
      assert.equal(file.sendOn(pair.server), undefined);
      const tail = Buffer.from('after\n');
      pair.server.write(tail);
      file.close();
      pair.client.resume();
      const received = await receive(pair.client, bytes.length + tail.length);
      assert.ok(received.equals(Buffer.concat([bytes, tail])));
    } finally {
      pair.close();
    }
  });

  it('sends nothing once closed, or on a socket that has ended', async () => {
    const pair = await socketPair();
    try {
      const file = MemfdBytes.from(Buffer.from('x'.repeat(100)));
      assert.ok(file);
      pair.server.end();
      assert.equal(file.sendOn(pair.server), undefined);
      file.close();
      file.close();
      assert.ok(file.closed);
    } finally {
      pair.close();
    }
  });

  it('gives large hot answers a memfd of the body made once, at most maxFiles of them, closed when dropped', () => {
    const hot = new HotAnswers(100_000_000, 60_000, Date.now, 2);
    const held = (key: string) => hot.get(key) as HotAnswer | undefined; // no revalidator: never a promise
    const big = Buffer.alloc(ZERO_COPY_MIN_BYTES, 'a');
    hot.put('small', hot.generation, 'H: ', Buffer.from('tiny'));
    for (const key of ['k1', 'k2', 'k3']) hot.put(key, hot.generation, 'HTTP/1.1 200 OK\r\nDate: ', big);
    assert.equal(hot.zeroCopyCount, 2);
    assert.equal(held('small')?.file(), undefined);
    assert.equal(held('k3')?.file(), undefined, 'over maxFiles: copied');
    const k1 = held('k1');
    assert.ok(k1);
    const d1 = k1.file();
    assert.ok(d1);
    assert.equal(k1.file(), d1, 'one memfd, whatever the date');
    assert.equal(d1.length, big.length, 'the body only: the dated head is sent before it');
    assert.ok(hot.stillHot(k1));
    hot.invalidate();
    assert.equal(hot.zeroCopyCount, 0);
    assert.ok(k1.closed && !hot.stillHot(k1));
    assert.ok(d1.closed);
  });

  it('sends a dated head and then the memfd body, whole, on a socket', async () => {
    const pair = await socketPair();
    try {
      const hot = new HotAnswers(100_000_000, 60_000, Date.now, 2);
      const body = randomBytes(ZERO_COPY_MIN_BYTES * 3);
      hot.put('k', hot.generation, 'HTTP/1.1 200 OK\r\nDate: ', body);
      const answer = hot.get('k') as HotAnswer;
      const date = new Date(0).toUTCString();
      const fd = directFd(pair.server);
      assert.ok(fd !== undefined, 'nothing queued: the socket is free for a direct send');
      const file = answer.file();
      assert.ok(file);
      const head = answer.headBytes(date);
      assert.equal(head.toString('latin1'), `HTTP/1.1 200 OK\r\nDate: ${date}\r\n\r\n`);
      const sent = file.sendAfter(fd, head);
      assert.ok(sent !== undefined && sent > 0, `sent ${sent}`);
      const wire = answer.bytes(date);
      if (sent < wire.length) pair.server.write(wire.subarray(sent));
      assert.deepEqual(await receive(pair.client, wire.length), Buffer.concat([head, body]));
    } finally {
      pair.close();
    }
  });

  it('writes a small answer in one direct write', async () => {
    const pair = await socketPair();
    try {
      const fd = directFd(pair.server);
      assert.ok(fd !== undefined);
      const bytes = Buffer.from('HTTP/1.1 304 Not Modified\r\n\r\n');
      assert.equal(writeDirect(fd, bytes, 9), bytes.length - 9);
      assert.equal((await receive(pair.client, bytes.length - 9)).toString(), '304 Not Modified\r\n\r\n');
      pair.server.write('queued');
      assert.equal(pair.server.writableLength > 0 ? directFd(pair.server) : undefined, undefined, 'bytes waiting in node: no direct send');
    } finally {
      pair.close();
    }
  });
});
