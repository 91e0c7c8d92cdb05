import { strict as assert } from 'node:assert';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run, startFerry, tempDir, type FerryServer } from './harness.js';
import { makeTestCa } from './test-ca.js';

/** Writes `bytes` to host:port and collects what comes back until the server closes (or `ms`). */
function exchange(port: number, bytes: string | Buffer, ms = 15_000): Promise<{ reply: string; closed: boolean; elapsedMs: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ reply, closed: false, elapsedMs: Date.now() - started });
    }, ms);
    socket.on('data', (b: Buffer) => (reply += b.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ reply, closed: true, elapsedMs: Date.now() - started });
    });
    socket.write(bytes);
  });
}

/**
 * Issue 17 field report: plain HTTP sent to the HTTPS port got no answer (an empty reply). Ferry
 * answers as nginx does, 400 with the https:// URL to use (with and without CDN workers); the SSH
 * port given an HTTP request and the plain HTTP port given a TLS ClientHello close at once.
 */
for (const workers of ['2', '1']) {
  describe(`plain HTTP on the HTTPS port is answered 400 ([cdn] workers = ${workers})`, () => {
    let server: FerryServer;
    before(async () => {
      const ca = await makeTestCa();
      const dir = tempDir('ferry-plain-cert-');
      await ca.issue('4004', join(dir, 'server.pem'), join(dir, 'server.key'));
      server = await startFerry({ env: { FERRY_CDN_WORKERS: workers, FERRY_HTTP_TLS_CERT: join(dir, 'server.pem'), FERRY_HTTP_TLS_KEY: join(dir, 'server.key'), FERRY_LIMITS_HEAD_TIMEOUT: '2s' } });
      const https = await run('curl', ['-sS', '--cacert', ca.caCert, '-o', '/dev/null', '-w', '%{http_code}', `https://localhost:${server.httpPort}/healthz`]);
      assert.equal(https.stdout, '200', `HTTPS still works: ${https.stderr}`);
    });
    after(async () => {
      await server?.stop();
    });

    it('curl http://host:httpsport/ gets 400 naming the https:// URL', async () => {
      const r = await run('curl', ['-sS', '-i', '-m', '10', `http://localhost:${server.httpPort}/team/app/-/log?x=1`]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^HTTP\/1\.1 400 Bad Request\r\n/);
      assert.match(r.stdout, /the plain HTTP request was sent to the HTTPS port; use https:\/\/localhost:\d+\/team\/app\/-\/log\?x=1\n$/);
    });

    it('a client that sends nothing, or bytes that are neither TLS nor HTTP, is closed', async () => {
      const silent = await exchange(server.httpPort, Buffer.alloc(0));
      assert.ok(silent.closed && silent.elapsedMs < 10_000, `closed after the head timeout: ${JSON.stringify(silent)}`);
      const junk = await exchange(server.httpPort, Buffer.from([0x00, 0x01, 0x02, 0x03]));
      assert.ok(junk.closed && junk.elapsedMs < 5_000, JSON.stringify(junk));
    });

    it('the SSH port given an HTTP request closes at once after its banner', async () => {
      const r = await exchange(server.sshPort, 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      assert.ok(r.closed && r.elapsedMs < 5_000, JSON.stringify(r));
      assert.match(r.reply, /^SSH-2\.0-/);
    });
  });
}

describe('a TLS ClientHello on the plain HTTP port', () => {
  let server: FerryServer;
  before(async () => {
    server = await startFerry();
  });
  after(async () => {
    await server?.stop();
  });

  it('is answered at once (the handshake fails fast, nothing hangs)', async () => {
    const started = Date.now();
    const r = await run('curl', ['-sS', '-k', '-m', '10', `https://localhost:${server.httpPort}/`]);
    assert.notEqual(r.code, 0);
    assert.notEqual(r.code, 28, 'not a timeout');
    assert.ok(Date.now() - started < 5_000);
  });
});
