import { strict as assert } from 'node:assert';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as connectH2 } from 'node:http2';
import { Agent, request } from 'node:https';
import { connect as connectTcp } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { launchChromium } from './browser.js';
import { PLAIN_GIT_ENV, expectOk, ferryCli, makeClient, run, startFerry, tempDir, type Client, type FerryServer, waitForCdnWorkers, waitForOutput } from './harness.js';
import { holdersOf } from './socket-holders.js';
import { makeTestCa, type TestCa } from './test-ca.js';

/** `curl --cacert CA`: status, negotiated HTTP version and body of one request. */
async function curl(ca: string, url: string, extra: readonly string[] = []): Promise<{ status: number; version: string; body: string }> {
  const r = await run('curl', ['-sS', '--cacert', ca, ...extra, '-w', '\n%{http_code} %{http_version}', url]);
  assert.equal(r.code, 0, `curl ${extra.join(' ')} ${url}: ${r.stderr}`);
  const cut = r.stdout.lastIndexOf('\n');
  const [status, version] = r.stdout.slice(cut + 1).split(' ');
  return { status: Number(status), version: version as string, body: r.stdout.slice(0, cut) };
}

/** The serial number (upper-case hex) of the certificate a new TLS connection to `port` is shown. */
async function serialOfNewConnection(ca: string, port: number): Promise<string> {
  const socket = connectTls({ host: '127.0.0.1', port, servername: 'localhost', ca: readFileSync(ca), ALPNProtocols: ['http/1.1'] });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  const serial = socket.getPeerCertificate().serialNumber.toUpperCase();
  socket.destroy();
  return serial;
}

/** Waits until `server` printed something matching `pattern`. */

/** A GET on a keep-alive HTTPS connection of `agent`: status, body, the socket's local port and the certificate serial it saw. */
function httpsGet(agent: Agent, ca: Buffer, port: number, path: string): Promise<{ status: number; body: string; localPort: number; serial: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', servername: 'localhost', port, path, agent, ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => {
        const socket = req.socket as TLSSocket;
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), localPort: socket.localPort ?? 0, serial: socket.getPeerCertificate().serialNumber.toUpperCase() });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Commits one file in a new local git repo; returns its directory. */
async function gitWork(name: string, text: string): Promise<string> {
  const dir = join(tempDir('ferry-https-git-'), name);
  await expectOk(run('git', ['init', '-q', '-b', 'main', dir], { env: PLAIN_GIT_ENV }));
  writeFileSync(join(dir, 'hello.txt'), text);
  await expectOk(run('git', ['-C', dir, 'add', 'hello.txt'], { env: PLAIN_GIT_ENV }));
  await expectOk(run('git', ['-C', dir, 'commit', '-q', '-m', 'hello'], { env: PLAIN_GIT_ENV }));
  return dir;
}

describe('HTTPS: [http] tls_cert and tls_key, through the CDN workers', () => {
  let ca: TestCa;
  let certDir: string;
  let server: FerryServer;
  let client: Client;
  let token: string;
  let base: string;
  let gitEnv: NodeJS.ProcessEnv;

  before(async () => {
    ca = await makeTestCa();
    certDir = tempDir('ferry-https-cert-');
    await ca.issue('1001', join(certDir, 'server.pem'), join(certDir, 'server.key'));
    // From ferry.toml (a relative path is the data dir's), the rest from the environment.
    const dataDir = tempDir('ferry-https-data-');
    copyFileSync(join(certDir, 'server.key'), join(dataDir, 'server.key'));
    server = await startFerry({
      dataDir,
      toml: `[http]\ntls_cert = "${join(certDir, 'server.pem')}"\ntls_key = "server.key"\n[limits]\nhead_timeout = "2s"\nbody_timeout = "2s"\n`,
      env: { FERRY_CDN_WORKERS: '2', FERRY_LOG_LEVEL: 'info' },
    });
    await waitForCdnWorkers(server);
    base = `https://localhost:${server.httpPort}`;
    client = await makeClient(server, 'alice');
    await server.cliOk(['user', 'add', 'alice', '--admin']);
    token = (await server.cliOk(['token', 'add', 'alice'])).stdout.trim().split('\n').pop() as string;
    await server.cliOk(['repo', 'create', 'team/site', '--git', '--public']);
    await server.cliOk(['repo', 'create', 'team/hgrepo', '--public']);
    gitEnv = { ...client.env, GIT_SSL_CAINFO: ca.caCert };
    const work = await gitWork('site', 'hello over tls\n');
    await expectOk(client.git(['-C', work, 'push', '-q', `https://alice:${token}@localhost:${server.httpPort}/team/site.git`, 'main'], { env: gitEnv }), 'git push over https');
  });
  after(async () => {
    await server.stop();
  });

  it('says https:// in the URLs it hands out: start-up line, clone URLs on pages, clone commands', async () => {
    assert.match(server.output(), new RegExp(`web pages at https://localhost:${server.httpPort}/`));
    assert.match(server.output(), /https only on port \d+ \(HTTP\/2 and HTTP\/1\.1\), certificate serial 1001/);
    const page = await curl(ca.caCert, `${base}/team/site`);
    assert.equal(page.status, 200);
    assert.ok(page.body.includes(`https://localhost:${server.httpPort}/team/site`), 'the page shows the https clone URL');
    assert.ok(!page.body.includes(`http://localhost:${server.httpPort}`), 'no http:// URL of this server on the page');
  });

  it('answers every kind of route alike over HTTP/1.1 and over HTTP/2 (ALPN), with curl --cacert', async () => {
    const routes: [string, number][] = [
      ['/healthz', 200],
      ['/metrics', 200],
      ['/', 200],
      ['/team/site', 200],
      ['/team/site/-/log', 200],
      ['/team/site/-/raw/main/hello.txt', 200],
      ['/api/v1/mirrors/team/site/sync', 400],
      ['/cdn/team/site@main/hello.txt', 200],
      ['/cdn/team/site@main/', 200],
      ['/team/site.git/info/refs?service=git-upload-pack', 200],
      ['/team/hgrepo?cmd=capabilities', 200],
      ['/no/such/repo', 404],
    ];
    for (const [path, status] of routes) {
      const h1 = await curl(ca.caCert, `${base}${path}`, ['--http1.1']);
      const h2 = await curl(ca.caCert, `${base}${path}`, ['--http2']);
      assert.equal(h1.version, '1.1', `${path}: HTTP/1.1 when asked`);
      assert.equal(h2.version, '2', `${path}: HTTP/2 negotiated by ALPN`);
      assert.equal(h1.status, status, `${path} over HTTP/1.1`);
      assert.equal(h2.status, status, `${path} over HTTP/2`);
      if (status === 200 && path !== '/metrics') assert.equal(h2.body, h1.body, `${path}: the same answer over both`);
    }
    assert.equal((await curl(ca.caCert, `${base}/cdn/team/site@main/hello.txt`, ['--http2'])).body, 'hello over tls\n');
    // Plain HTTP on the HTTPS port is not served: it is told to use https:// (https-plain-http.test.ts).
    const plain = await run('curl', ['-sS', '--max-time', '5', '-w', '%{http_code}', `http://127.0.0.1:${server.httpPort}/healthz`]);
    assert.match(plain.stdout, /the plain HTTP request was sent to the HTTPS port; use https:\/\/127\.0\.0\.1:\d+\/healthz\n400$/, 'plain HTTP is not served on the TLS port');
  });

  it('clones and pushes with git over https (GIT_SSL_CAINFO), on HTTP/2 and on HTTP/1.1', async () => {
    let text = 'hello over tls\n';
    for (const version of ['HTTP/2', 'HTTP/1.1']) {
      const dir = join(tempDir('ferry-https-clone-'), 'site');
      const traced = await client.git(['-c', `http.version=${version}`, 'clone', `${base}/team/site.git`, dir], { env: { ...gitEnv, GIT_TRACE_CURL: '1', GIT_TRACE_CURL_NO_DATA: '1' } });
      assert.equal(traced.code, 0, traced.stderr);
      assert.match(traced.stderr, version === 'HTTP/2' ? /using HTTP\/2/ : /GET \/team\/site\.git\/info\/refs\?service=git-upload-pack HTTP\/1\.1/);
      assert.equal(readFileSync(join(dir, 'hello.txt'), 'utf8'), text);
      text = `pushed on ${version}\n`;
      writeFileSync(join(dir, 'hello.txt'), text);
      await expectOk(client.git(['-C', dir, 'commit', '-q', '-am', `over ${version}`], { env: gitEnv }));
      await expectOk(client.git(['-C', dir, '-c', `http.version=${version}`, 'push', '-q', `https://alice:${token}@localhost:${server.httpPort}/team/site.git`, 'main'], { env: gitEnv }), `git push on ${version}`);
      // The CDN (in the workers) sees the push: the file's new text over HTTPS.
      assert.equal((await curl(ca.caCert, `${base}/cdn/team/site@main/hello.txt`, ['--http2'])).body, `pushed on ${version}\n`);
    }
  });

  it('clones and pushes with hg over https (web.cacerts)', async () => {
    const work = join(tempDir('ferry-https-hg-'), 'work');
    await expectOk(client.hg(['init', work]));
    writeFileSync(join(work, 'a.txt'), 'hg over tls\n');
    await expectOk(client.hg(['-R', work, 'commit', '-A', '-m', 'one']));
    await expectOk(client.hg(['-R', work, 'push', '--config', `web.cacerts=${ca.caCert}`, `https://alice:${token}@localhost:${server.httpPort}/team/hgrepo`]), 'hg push over https');
    const copy = join(tempDir('ferry-https-hg-'), 'copy');
    await expectOk(client.hg(['clone', '--config', `web.cacerts=${ca.caCert}`, `${base}/team/hgrepo`, copy]), 'hg clone over https');
    assert.equal(readFileSync(join(copy, 'a.txt'), 'utf8'), 'hg over tls\n');
    // Without the CA, hg refuses the certificate: the server really speaks TLS with the test CA's cert.
    const untrusted = await client.hg(['clone', `${base}/team/hgrepo`, join(tempDir('ferry-https-hg-'), 'x')]);
    assert.notEqual(untrusted.code, 0);
    assert.match(untrusted.stderr, /certificate/i);
  });

  it('ends TLS in a CDN worker, which answers /cdn on HTTP/1.1 and HTTP/2', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const got = await httpsGet(agent, readFileSync(ca.caCert), server.httpPort, '/cdn/team/site@main/hello.txt');
      assert.equal(got.status, 200);
      const holders = holdersOf(server, got.localPort);
      assert.equal(holders.length, 1, `one process holds the connection: ${holders.join(' ')}`);
      assert.notEqual(holders[0], server.process.pid, 'a CDN worker, not the primary, holds the TLS connection');
      // A page on the same connection: the worker hands it to the primary.
      assert.equal((await httpsGet(agent, readFileSync(ca.caCert), server.httpPort, '/team/site')).status, 200);
    } finally {
      agent.destroy();
    }
    const session = connectH2(base, { ca: readFileSync(ca.caCert) });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const stream = session.request({ ':path': '/cdn/team/site@main/hello.txt' });
        let text = '';
        stream.setEncoding('utf8');
        stream.on('data', (s: string) => (text += s));
        stream.on('end', () => resolve(text));
        stream.on('error', reject);
      });
      assert.match(body, /^pushed on|^hello over tls/);
      const local = (session.socket as unknown as { localPort: number }).localPort;
      assert.notEqual(holdersOf(server, local)[0], server.process.pid, 'an HTTP/2 session is a worker\'s too');
    } finally {
      session.close();
    }
  });

  it('shows a page over HTTP/2 to Chromium', async () => {
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      const response = await page.goto(`${base}/team/site`);
      assert.equal(response?.status(), 200);
      assert.equal(await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol), 'h2');
      assert.ok((await page.content()).includes(`https://localhost:${server.httpPort}/team/site`));
    } finally {
      await browser.close();
    }
  });

  it('bounds the TLS handshake, the request head and a stalled body by the head and body timeouts', async () => {
    // No ClientHello at all: closed after the head timeout (2s).
    const started = Date.now();
    const silent = connectTcp(server.httpPort, '127.0.0.1');
    await new Promise<void>((resolve) => silent.once('close', () => resolve()).on('error', () => {}));
    const silentMs = Date.now() - started;
    assert.ok(silentMs >= 1_500 && silentMs < 8_000, `a silent TCP connection closed after ${silentMs} ms`);

    // A request head that trickles in: 408 after the head timeout, however often bytes come.
    const tls = connectTls({ host: '127.0.0.1', port: server.httpPort, servername: 'localhost', ca: readFileSync(ca.caCert), ALPNProtocols: ['http/1.1'] });
    await new Promise<void>((resolve, reject) => tls.once('secureConnect', resolve).once('error', reject));
    let answer = '';
    tls.on('data', (b: Buffer) => (answer += b.toString('latin1')));
    const closed = new Promise<void>((resolve) => tls.once('close', () => resolve()));
    const headStart = Date.now();
    tls.write('GET /team/site HTTP/1.1\r\nHost: localhost\r\n');
    const trickle = setInterval(() => tls.writable && tls.write('X-Slow: 1\r\n'), 300);
    await closed;
    clearInterval(trickle);
    const headMs = Date.now() - headStart;
    assert.match(answer, /^HTTP\/1\.1 408 /, `the trickled head is refused: ${answer.slice(0, 80)}`);
    assert.ok(headMs < 8_000, `refused after ${headMs} ms`);

    // A body that stalls, on HTTP/1.1: 408 after the body timeout.
    const post = connectTls({ host: '127.0.0.1', port: server.httpPort, servername: 'localhost', ca: readFileSync(ca.caCert), ALPNProtocols: ['http/1.1'] });
    await new Promise<void>((resolve, reject) => post.once('secureConnect', resolve).once('error', reject));
    let postAnswer = '';
    post.on('data', (b: Buffer) => (postAnswer += b.toString('latin1')));
    const postClosed = new Promise<void>((resolve) => post.once('close', () => resolve()));
    const bodyStart = Date.now();
    post.write(`POST /team/site.git/git-receive-pack HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-git-receive-pack-request\r\nContent-Length: 1000\r\n\r\n0000`);
    await postClosed;
    const bodyMs = Date.now() - bodyStart;
    assert.ok(bodyMs >= 1_500 && bodyMs < 10_000, `the stalled body was cut after ${bodyMs} ms`);

    // A body that stalls, on HTTP/2: the stream is ended after the body timeout (after the
    // refusal of the anonymous push, what is left of the body is read and bounded alike).
    const session = connectH2(base, { ca: readFileSync(ca.caCert) });
    session.on('error', () => {});
    try {
      const h2Start = Date.now();
      await new Promise<void>((resolve) => {
        const stream = session.request({ ':method': 'POST', ':path': '/team/site.git/git-receive-pack', 'content-type': 'application/x-git-receive-pack-request', 'content-length': '1000' }, { endStream: false });
        stream.write('0000');
        stream.on('close', () => resolve());
        stream.on('error', () => {});
        stream.resume();
      });
      const h2Ms = Date.now() - h2Start;
      assert.ok(h2Ms >= 1_500 && h2Ms < 10_000, `the stalled HTTP/2 body was cut after ${h2Ms} ms`);
    } finally {
      session.close();
    }
  });

  it('reloads the certificate on SIGHUP: new connections get the new one, an open one goes on; a bad one is refused and the old kept', async () => {
    const caPem = readFileSync(ca.caCert);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const before = await httpsGet(agent, caPem, server.httpPort, '/team/site');
      assert.equal(before.serial, '1001');
      await ca.issue('2002', join(certDir, 'next.pem'), join(certDir, 'next.key'));
      copyFileSync(join(certDir, 'next.pem'), join(certDir, 'server.pem'));
      copyFileSync(join(certDir, 'next.key'), join(server.dataDir, 'server.key'));
      const mark = server.output().length;
      server.process.kill('SIGHUP');
      await waitForOutput(server, /certificate reloaded \(serial 2002/, mark);
      // Connections go to both workers (and the primary while none is ready): ask a few times.
      for (let i = 0; i < 4; i++) assert.equal(await serialOfNewConnection(ca.caCert, server.httpPort), '2002', `new connection ${i}`);
      const again = await httpsGet(agent, caPem, server.httpPort, '/cdn/team/site@main/hello.txt');
      assert.equal(again.status, 200, 'the connection opened before the reload still works');
      assert.equal(again.localPort, before.localPort, 'on the very same connection');
      assert.equal(again.serial, '1001', 'which keeps the certificate it was made with');
      assert.equal(server.process.exitCode, null, 'the server still runs');

      writeFileSync(join(certDir, 'server.pem'), 'not a certificate\n');
      const mark2 = server.output().length;
      server.process.kill('SIGHUP');
      const said = await waitForOutput(server, /still serving the certificate loaded before \(serial 2002\)/, mark2);
      assert.match(said, /tls_cert .*server\.pem holds no PEM certificate/);
      for (let i = 0; i < 3; i++) assert.equal(await serialOfNewConnection(ca.caCert, server.httpPort), '2002', 'the old certificate is kept');
      assert.equal((await curl(ca.caCert, `${base}/healthz`, ['--http2'])).status, 200);
    } finally {
      agent.destroy();
      copyFileSync(join(certDir, 'next.pem'), join(certDir, 'server.pem'));
    }
  });
});

describe('HTTPS without CDN workers ([cdn] workers = 1), from FERRY_HTTP_TLS_* variables', () => {
  let ca: TestCa;
  let server: FerryServer;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    ca = await makeTestCa();
    const dir = tempDir('ferry-https-cert-');
    await ca.issue('3003', join(dir, 'server.pem'), join(dir, 'server.key'));
    env = { FERRY_CDN_WORKERS: '1', FERRY_HTTP_TLS_CERT: join(dir, 'server.pem'), FERRY_HTTP_TLS_KEY: join(dir, 'server.key'), FERRY_LIMITS_HEAD_TIMEOUT: '2s' };
    server = await startFerry({ env });
    await server.cliOk(['repo', 'create', 'pub', '--git', '--public']);
  });
  after(async () => {
    await server.stop();
  });

  it('serves HTTP/1.1 and HTTP/2 from the primary, clones with git, bounds the handshake and reloads on SIGHUP', async () => {
    const base = `https://localhost:${server.httpPort}`;
    assert.equal((await curl(ca.caCert, `${base}/healthz`, ['--http1.1'])).version, '1.1');
    assert.equal((await curl(ca.caCert, `${base}/healthz`, ['--http2'])).version, '2');
    assert.equal((await curl(ca.caCert, `${base}/pub/info/refs?service=git-upload-pack`, ['--http2'])).status, 200);
    const client = await makeClient(server, 'bob');
    const dir = join(tempDir('ferry-https-clone-'), 'pub');
    await expectOk(client.git(['clone', `${base}/pub.git`, dir], { env: { ...client.env, GIT_SSL_CAINFO: ca.caCert } }), 'git clone of an empty repo over https');
    const started = Date.now();
    const silent = connectTcp(server.httpPort, '127.0.0.1');
    await new Promise<void>((resolve) => silent.once('close', () => resolve()).on('error', () => {}));
    assert.ok(Date.now() - started < 8_000, 'a connection that never says hello is closed after the head timeout');
    assert.equal(await serialOfNewConnection(ca.caCert, server.httpPort), '3003');
  });

  it('refuses to start with a clear one-line error for a bad certificate or key', async () => {
    const dir = tempDir('ferry-https-bad-');
    writeFileSync(join(dir, 'garbage.pem'), 'not a certificate\n');
    const other = await makeTestCa();
    await other.issue('4004', join(dir, 'other.pem'), join(dir, 'other.key'));
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{ FERRY_HTTP_TLS_CERT: join(dir, 'missing.pem') }, /^ferry: \[http\] tls_cert \S+missing\.pem: cannot read it \(no such file\); point it at a PEM file Ferry may read$/],
      [{ FERRY_HTTP_TLS_CERT: join(dir, 'garbage.pem') }, /^ferry: \[http\] tls_cert \S+garbage\.pem holds no PEM certificate .*; give the server certificate/],
      [{ FERRY_HTTP_TLS_KEY: join(dir, 'other.key') }, /^ferry: \[http\] tls_key \S+other\.key does not belong to the certificate in \S+ \(.+\); give the key the certificate was made for$/],
      [{ FERRY_HTTP_TLS_KEY: env.FERRY_HTTP_TLS_CERT }, /^ferry: \[http\] tls_key \S+ holds no usable private key/],
      [{ FERRY_HTTP_TLS_KEY: '' }, /^ferry: \[http\] tls_cert and tls_key go together: set both \(PEM files\) for HTTPS, or neither for plain HTTP \(only tls_cert is set\)$/],
    ];
    for (const [change, expected] of cases) {
      const r = await ferryCli(tempDir('ferry-https-baddata-'), ['serve'], { env: { ...env, FERRY_HTTP_PORT: '0', FERRY_SSH_PORT: '0', ...change }, timeoutMs: 30_000 });
      assert.equal(r.code, 1, `exit 1 for ${JSON.stringify(change)}: ${r.stdout}${r.stderr}`);
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('ferry: [http]'));
      assert.equal(errors.length, 1, `one error line: ${r.stderr}`);
      assert.match(errors[0] as string, expected);
      assert.doesNotMatch(r.stdout, /listening/, 'nothing listened');
    }
  });
});
