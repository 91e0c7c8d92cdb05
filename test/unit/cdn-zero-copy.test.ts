import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { HotAnswer, HotAnswers } from '../../src/cdn/workers/hot-answers.js';
import { cdnSyscalls, cdnSyscallsUnavailable } from '../../src/cdn/workers/syscalls.js';
import { MemfdBytes, ZERO_COPY_MIN_BYTES } from '../../src/cdn/workers/zero-copy.js';

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

  it('gives large hot answers a memfd made once per date, at most maxFiles of them, closed when dropped', () => {
    const hot = new HotAnswers(100_000_000, 60_000, Date.now, 2);
    const held = (key: string) => hot.get(key) as HotAnswer | undefined; // no revalidator: never a promise
    const big = Buffer.alloc(ZERO_COPY_MIN_BYTES, 'a');
    hot.put('small', hot.generation, 'H: ', Buffer.from('tiny'));
    for (const key of ['k1', 'k2', 'k3']) hot.put(key, hot.generation, 'HTTP/1.1 200 OK\r\nDate: ', big);
    assert.equal(hot.zeroCopyCount, 2);
    assert.equal(held('small')?.file('D1'), undefined);
    assert.equal(held('k3')?.file('D1'), undefined, 'over maxFiles: copied');
    const k1 = held('k1');
    assert.ok(k1);
    const d1 = k1.file('D1');
    assert.ok(d1);
    assert.equal(k1.file('D1'), d1);
    assert.equal(d1.length, k1.bytes('D1').length);
    const d2 = k1.file('D2');
    assert.ok(d2 && d2 !== d1 && d1.closed && !d2.closed, 'a new date, a new memfd; the old one closed');
    assert.ok(hot.stillHot(k1));
    hot.invalidate();
    assert.equal(hot.zeroCopyCount, 0);
    assert.ok(k1.closed && !hot.stillHot(k1));
    assert.ok(d2.closed);
  });
});
