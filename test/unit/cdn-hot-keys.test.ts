import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { createServer as createHttpServer, request } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Reply, RequestHead } from '../../src/http/reply.js';
import { FastHttpLane } from '../../src/cdn/workers/fast-http.js';
import { HotAnswers, hotKey } from '../../src/cdn/workers/hot-answers.js';

interface Exchange {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers: { Connection: 'keep-alive', ...headers } }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    })
      .on('error', reject)
      .end();
  });
}

const GOOD = 'Basic Z29vZDp0b2tlbg==';
const ETAG = '"0123456789abcdef0123456789abcdef01234567"';

/** Browser-like headers that differ on every request and change nothing in the CDN's answer. */
function browserNoise(i: number): Record<string, string> {
  return {
    'User-Agent': ['Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0', 'Mozilla/5.0 (Macintosh) Safari/605.1.15', 'Mozilla/5.0 Firefox/133.0'][i % 3] as string,
    Referer: `https://site.example/page/${i}`,
    Cookie: `_ga=GA1.${i}; ferry_session=s${i}`,
    'Sec-Fetch-Dest': i % 2 ? 'script' : 'style',
    'Sec-Fetch-Mode': 'no-cors',
    'Sec-Fetch-Site': 'cross-site',
    'Accept-Language': i % 2 ? 'en-US,en;q=0.9' : 'de',
    Accept: '*/*',
  };
}

describe('CDN reused answers are keyed on what the answer depends on (issue 14)', () => {
  let server: Server;
  let port: number;
  let lane: FastHttpLane;
  let hot: HotAnswers;
  const answered: string[] = [];
  let checks = 0;
  let version = 'v1';
  const fallback = createHttpServer((_req, res) => res.writeHead(500).end());

  before(async () => {
    hot = new HotAnswers(1_000_000, 60_000);
    // A CDN in miniature: a public file (ETag, 304, gzip), and a private one needing GOOD.
    const answer = async (req: RequestHead): Promise<Reply> => {
      const enc = /br/.test(String(req.headers['accept-encoding'] ?? '')) ? 'br' : /gzip/.test(String(req.headers['accept-encoding'] ?? '')) ? 'gzip' : 'identity';
      answered.push(`${req.url} ${enc} ${req.headers['if-none-match'] ?? ''} ${req.headers.range ?? ''} ${req.headers.authorization ?? ''}`);
      const auth = req.headers.authorization;
      if (auth !== undefined && auth !== GOOD) return { status: 401, headers: { 'Content-Type': 'text/plain' }, body: 'wrong token\n' };
      const isPrivate = (req.url ?? '').startsWith('/cdn/private/');
      if (isPrivate && auth !== GOOD) return { status: 401, headers: { 'Content-Type': 'text/plain' }, body: 'sign in\n' };
      const headers = { 'Cache-Control': isPrivate ? 'private, max-age=10' : 'public, max-age=10', ETag: ETAG, 'X-Enc': enc };
      if (req.headers['if-none-match'] === ETAG) return { status: 304, headers };
      return { status: 200, headers, body: `${isPrivate ? 'secret' : 'public'} ${version} ${req.url} ${enc}` };
    };
    const credentialsOk = async (req: RequestHead) => {
      checks++;
      return req.headers.authorization === undefined || req.headers.authorization === GOOD;
    };
    lane = new FastHttpLane(answer, fallback, (err) => assert.fail(String(err)), hot, undefined, undefined, credentialsOk);
    server = createServer({ pauseOnConnect: true }, (socket: Socket) => lane.attach(socket, Buffer.alloc(0)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await lane.close();
    server.close();
  });

  it('ignores User-Agent, Referer, Cookie, Accept-Language and Sec-Fetch-*: one answer serves them all (cookie-bearing included)', async () => {
    const before = answered.length;
    for (let i = 0; i < 30; i++) {
      const res = await get(port, '/cdn/pub/a.js', { ...browserNoise(i), 'Accept-Encoding': 'gzip, deflate, br, zstd' });
      assert.equal(res.body, 'public v1 /cdn/pub/a.js br');
    }
    assert.equal(answered.length - before, 1, 'answered once, reused 29 times');
  });

  it('keys on the negotiated encoding, validators and Range', async () => {
    const before = answered.length;
    const variants: [Record<string, string>, number, string][] = [
      [{ 'Accept-Encoding': 'br' }, 200, 'public v1 /cdn/pub/b.js br'],
      [{ 'Accept-Encoding': 'gzip, deflate, br' }, 200, 'public v1 /cdn/pub/b.js br'],
      [{ 'Accept-Encoding': 'gzip, deflate' }, 200, 'public v1 /cdn/pub/b.js gzip'],
      [{ 'Accept-Encoding': 'gzip' }, 200, 'public v1 /cdn/pub/b.js gzip'],
      [{ 'Accept-Encoding': 'identity' }, 200, 'public v1 /cdn/pub/b.js identity'],
      [{}, 200, 'public v1 /cdn/pub/b.js identity'],
      [{ 'Accept-Encoding': 'br', 'If-None-Match': ETAG }, 304, ''],
      [{ 'Accept-Encoding': 'br', 'If-None-Match': '"other"' }, 200, 'public v1 /cdn/pub/b.js br'],
      [{ 'Accept-Encoding': 'identity', Range: 'bytes=0-3' }, 200, 'public v1 /cdn/pub/b.js identity'],
    ];
    for (let round = 0; round < 3; round++) {
      for (const [i, [headers, status, body]] of variants.entries()) {
        const res = await get(port, '/cdn/pub/b.js', { ...browserNoise(round * 10 + i), ...headers });
        assert.deepEqual([res.status, res.body], [status, body], JSON.stringify(headers));
      }
    }
    // br (two spellings), gzip (two), identity (two), 304, another ETag, a Range.
    assert.equal(answered.length - before, 6);
    assert.notEqual(hotKey({ method: 'GET', url: '/cdn/x', headers: {}, keepAlive: true, http10: false }), hotKey({ method: 'HEAD', url: '/cdn/x', headers: {}, keepAlive: true, http10: false }));
    assert.equal(hotKey({ method: 'GET', url: '/cdn/x', headers: {}, keepAlive: false, http10: false }), undefined, 'an answer that closes the connection is never reused');
  });

  it('checks credentials on every request, and answers a public file to a signed-in client from the reused answers', async () => {
    const before = answered.length;
    const checksBefore = checks;
    for (let i = 0; i < 10; i++) {
      const res = await get(port, '/cdn/pub/a.js', { ...browserNoise(i), 'Accept-Encoding': 'br', Authorization: GOOD });
      assert.equal(res.body, 'public v1 /cdn/pub/a.js br');
    }
    assert.equal(checks - checksBefore, 10, 'the credentials were checked every time');
    assert.equal(answered.length - before, 0, 'the public answer was reused for the signed-in client');
    for (let i = 0; i < 3; i++) {
      const wrong = await get(port, '/cdn/pub/a.js', { 'Accept-Encoding': 'br', Authorization: 'Basic YmFkOmJhZA==' });
      assert.equal(wrong.status, 401, 'wrong credentials never get the reused answer');
    }
    assert.equal(answered.length - before, 3);
  });

  it('never reuses a private answer, for its owner or for anyone else', async () => {
    const before = answered.length;
    for (let i = 0; i < 3; i++) assert.equal((await get(port, '/cdn/private/s.txt', { Authorization: GOOD })).body, 'secret v1 /cdn/private/s.txt identity');
    for (let i = 0; i < 3; i++) assert.equal((await get(port, '/cdn/private/s.txt')).status, 401);
    assert.equal(answered.length - before, 6);
  });

  it('a change (push) invalidates answers keyed the new way: every header variant gets the new version', async () => {
    for (let i = 0; i < 3; i++) await get(port, '/cdn/pub/c.js', { ...browserNoise(i), 'Accept-Encoding': 'gzip' });
    version = 'v2';
    hot.invalidate();
    for (let i = 0; i < 3; i++) assert.equal((await get(port, '/cdn/pub/c.js', { ...browserNoise(i + 5), 'Accept-Encoding': 'gzip, deflate' })).body, 'public v2 /cdn/pub/c.js gzip');
  });
});
