import { strict as assert } from 'node:assert';
import { connect as connectTcp } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { startFerry, type FerryServer, waitForCdnWorkers } from './harness.js';
import { holdersOf } from './socket-holders.js';

/**
 * A CDN worker's node server is only ever handed connections (by the fast lane, or by HTTPS) and
 * never listens; node starts its head-timeout checks on 'listening', so without Ferry starting
 * them a request head could trickle in for ever on such a connection.
 */
describe('the head timeout on a connection a CDN worker handed to node\'s server (plain HTTP)', () => {
  let server: FerryServer;

  before(async () => {
    server = await startFerry({ env: { FERRY_CDN_WORKERS: '2', FERRY_LOG_LEVEL: 'info', FERRY_LIMITS_HEAD_TIMEOUT: '2s' } });
    await waitForCdnWorkers(server);
  });
  after(async () => {
    await server.stop();
  });

  it('answers a /cdn request head with bare LF line ends, first on its connection, with 400 at once (not 408 after the head timeout)', async () => {
    for (const head of ['GET /cdn/a/b@main/x HTTP/1.1\nHost: x\n\n', 'GET /cdn/a/b@main/x HTTP/1.1\r\nHost: x\r\n\n']) {
      const socket = connectTcp(server.httpPort, '127.0.0.1');
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      let answer = '';
      socket.on('data', (b: Buffer) => (answer += b.toString('latin1')));
      const started = Date.now();
      socket.write(head, 'latin1');
      for (let i = 0; i < 60 && answer === ''; i++) await sleep(50);
      socket.destroy();
      assert.match(answer, /^HTTP\/1\.1 400 /, `${JSON.stringify(head)}: ${JSON.stringify(answer.slice(0, 60))}`);
      assert.ok(Date.now() - started < 1_900, 'answered before the 2 s head timeout');
    }
  });

  it('refuses a trickled request head with 408 after a /cdn request and a page on the same connection', async () => {
    const socket = connectTcp(server.httpPort, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    let answer = '';
    socket.on('data', (b: Buffer) => (answer += b.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // The worker's fast lane answers /cdn, then hands the connection to node's server for /healthz.
    socket.write('GET /cdn/nothing@main/x HTTP/1.1\r\nHost: localhost\r\n\r\nGET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    for (let i = 0; i < 100 && !/\r\n\r\nok\n/.test(answer); i++) await sleep(50);
    assert.match(answer, /\r\n\r\nok\n/, `both answered: ${answer}`);
    assert.notEqual(holdersOf(server, socket.localPort as number)[0], server.process.pid, 'a worker holds the connection');
    const started = Date.now();
    answer = '';
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n');
    const trickle = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 300);
    const timedOut = await Promise.race([closed.then(() => false), sleep(15_000).then(() => true)]);
    clearInterval(trickle);
    socket.destroy();
    assert.equal(timedOut, false, 'the connection was closed');
    assert.match(answer, /^HTTP\/1\.1 408 /, `408 for the trickled head: ${answer.slice(0, 60)}`);
    assert.ok(Date.now() - started < 8_000, `after ${Date.now() - started} ms`);
  });
});

describe('shutting down with CDN workers while connections have sent nothing yet', () => {
  it('exits on SIGTERM without waiting out the head timeout for connections that never sent a request', async () => {
    const server = await startFerry({ env: { FERRY_CDN_WORKERS: '2', FERRY_LOG_LEVEL: 'info' } });
    await waitForCdnWorkers(server);
    const silent = [];
    for (let i = 0; i < 5; i++) {
      const socket = connectTcp(server.httpPort, '127.0.0.1');
      socket.on('error', () => {});
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      silent.push(socket);
    }
    await sleep(200);
    const started = Date.now();
    const code = await server.stop('SIGTERM');
    const took = Date.now() - started;
    for (const socket of silent) socket.destroy();
    assert.equal(code, 0);
    // The head timeout is 20 s by default: the silent connections held the exit that long.
    assert.ok(took < 10_000, `exited after ${took} ms`);
  });
});
