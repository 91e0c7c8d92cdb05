import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { parseRequestHead } from '../../src/cdn/workers/fast-http.js';
import { scanHead } from '../../src/cdn/workers/head-scan.js';
import { hotKey } from '../../src/cdn/workers/hot-answers.js';

/** The key scanHead reads from `head` (the text before the blank line). */
function scan(head: string): string | undefined {
  const bytes = Buffer.from(`${head}\r\n\r\n`, 'latin1');
  return scanHead(bytes, bytes.length - 4);
}

/** What the general parser and hotKey make of the same head. */
function parsedKey(head: string): { accepted: boolean; key: string | undefined } {
  const req = parseRequestHead(head, '127.0.0.1');
  if (!req) return { accepted: false, key: undefined };
  return { accepted: true, key: req.headers.authorization === undefined ? hotKey(req) : undefined };
}

const BROWSER = [
  'GET /cdn/team/site@main/dist/app.js HTTP/1.1',
  'Host: cdn.example:8080',
  'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Accept: */*',
  'Accept-Language: en-US,en;q=0.9',
  'Accept-Encoding: gzip, deflate, br, zstd',
  'Referer: https://app.example/page/12',
  'Cookie: _ga=GA1.2.3; ferry_session=abc',
  'Sec-Fetch-Dest: script',
  'Sec-Fetch-Mode: no-cors',
  'Sec-Fetch-Site: cross-site',
  'If-None-Match: "abc-123"',
  'Connection: keep-alive',
].join('\r\n');

describe('CDN fast lane: the reuse key read from the bytes', () => {
  it('reads a browser head to the same key as the general parser, whatever the fields that do not matter', () => {
    const key = scan(BROWSER);
    assert.ok(key, 'a plain browser head is keyed here');
    assert.equal(key, parsedKey(BROWSER).key);
    const other = BROWSER.replace('Firefox/133.0', 'Chrome/131').replace('abc; ', 'xyz; ').replace('page/12', 'page/99');
    assert.equal(scan(other), key, 'User-Agent, Cookie and Referer change nothing');
    assert.notEqual(scan(BROWSER.replace('"abc-123"', '"abc-124"')), key, 'a validator does');
    assert.notEqual(scan(BROWSER.replace('gzip, deflate, br, zstd', 'identity')), key, 'an encoding does');
    assert.equal(scan(BROWSER.replace('gzip, deflate, br, zstd', 'br, gzip')), key, 'another spelling of the same encoding does not');
  });

  it('joins repeated fields as node does: lists with ", ", Cookie with "; ", the first If-Modified-Since wins', () => {
    const parsed = parseRequestHead('GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\ncookie: ferry_session=s\r\nRange: bytes=0-1\r\nRange: bytes=5-\r\nIf-Modified-Since: one\r\nIf-Modified-Since: two\r\nCache-Control: no-cache\r\nCache-Control: max-age=0', '127.0.0.1');
    assert.equal(parsed?.headers.cookie, 'a=1; ferry_session=s');
    assert.equal(parsed?.headers.range, 'bytes=0-1, bytes=5-');
    assert.equal(parsed?.headers['if-modified-since'], 'one');
    assert.equal(parsed?.headers['cache-control'], 'no-cache, max-age=0');
    for (const head of [
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: Mon, 30 Nov 2026 21:42:08 GMT\r\nIf-Modified-Since: Tue, 01 Dec 2026 01:00:00 GMT',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\nCookie: ferry_session=s\r\nIf-None-Match: "a"\r\nIf-None-Match: "b"',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\nAccept-Encoding: identity\r\naccept-encoding: br',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\nIf-None-Match: "a"\r\nIf-None-Match:   "b"  ',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1\r\nRange: bytes=5-\r\nIf-Range: "x"\r\nif-range: "y"',
      'HEAD /cdn/a@1/x HTTP/1.1\r\nHOST: h\r\nIF-MODIFIED-SINCE: Mon, 30 Nov 2026 21:42:08 GMT',
      'GET /cdn/a@1/x HTTP/1.0\r\nConnection: Keep-Alive',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\nConnection: upgrade-insecure, keep-alive',
    ]) {
      const key = scan(head);
      assert.ok(key, JSON.stringify(head));
      assert.equal(key, parsedKey(head).key, JSON.stringify(head));
    }
  });

  it('leaves to the general parser every head it would refuse, carrying credentials, or closing', () => {
    for (const head of [
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\nAuthorization: token abc',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\nConnection: close',
      'GET /cdn/a@1/x HTTP/1.0',
      'GET /cdn/a@1/x HTTP/1.1',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\nHost: h',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\nContent-Length: 0',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\nUpgrade: websocket',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\n folded: value',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\nBad Name: v',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\n: empty',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\nX-Ctl: a\x01b',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\nX-Cr: a\rb',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\nX-Lf: a\nb',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\nX-Del: a\x7fb',
      'GET /cdn/a@1/x\x80 HTTP/1.1\r\nHost: h',
      'GET /cdn/a@1/x HTTP/1.2\r\nHost: h',
      'GET /cdn/a@1/x HTTP/1.1 \r\nHost: h',
      'POST /cdn/a@1/x HTTP/1.1\r\nHost: h',
      'GET /api/v1/x HTTP/1.1\r\nHost: h',
      'GET  /cdn/a@1/x HTTP/1.1\r\nHost: h',
      'get /cdn/a@1/x HTTP/1.1\r\nHost: h',
    ]) {
      assert.equal(scan(head), undefined, JSON.stringify(head));
    }
  });

  it('never keys a head the general parser refuses or keys otherwise (random heads)', () => {
    const pieces = [
      'Host: h', 'host:h', 'Accept-Encoding: gzip', 'accept-encoding: br;q=0', 'If-None-Match: "x"', 'Range: bytes=1-2',
      'If-Range: "y"', 'If-Modified-Since: Mon, 30 Nov 2026 21:42:08 GMT', 'Connection: close', 'connection: keep-alive',
      'Authorization: Basic eA==', 'Content-Length: 1', 'User-Agent: x\ty', 'X: \x80\xff', 'X-Bad: \x00', 'Bad Name: x',
      ' lead: x', 'Colon:: x', 'Host: other', 'Cookie: a=b; c=d', 'Expect: x', 'Upgrade: h2c', 'E: ', 'Range:  bytes=0-  ',
      // Fields that repeat: a second line of each.
      'cookie: ferry_session=abc', 'If-None-Match: "z", W/"w"', 'Accept-Encoding: identity', 'If-Modified-Since: Tue, 01 Dec 2026 01:00:00 GMT',
      'Range: bytes=3-4', 'if-range: "q"', 'Cache-Control: no-cache', 'cache-control: max-age=0',
    ];
    const lines = ['GET /cdn/a@1/x HTTP/1.1', 'HEAD /cdn/a@1/y?z=1 HTTP/1.0', 'GET /cdn/%20 HTTP/1.1', 'GET /cdnx HTTP/1.1'];
    // mulberry32 (seeded): the LCG this was, seed * 1103515245 in doubles, lost precision and cycled
    // through a few values, so few distinct heads were tried.
    let seed = 42;
    const random = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    let keyed = 0;
    for (let n = 0; n < 20_000; n++) {
      const fields: string[] = [];
      for (let k = random(7); k > 0; k--) fields.push(pieces[random(pieces.length)] as string);
      const head = [lines[random(lines.length)] as string, ...fields].join('\r\n');
      const key = scan(head);
      if (key === undefined) continue;
      keyed++;
      const parsed = parsedKey(head);
      assert.ok(parsed.accepted, `scanned but refused by the parser: ${JSON.stringify(head)}`);
      assert.equal(key, parsed.key, JSON.stringify(head));
    }
    assert.ok(keyed > 1000, `only ${keyed} random heads were keyed`);
  });

  it("reads repeated lines of every field as node's own server does (random heads)", async () => {
    const pieces = [
      'Cookie: a=b', 'cookie: ferry_session=abc; c=d', 'Accept-Encoding: gzip', 'accept-encoding: br;q=0', 'If-None-Match: "x"', 'If-None-Match: W/"y", "z"',
      'Cache-Control: no-cache', 'cache-control: max-age=0', 'If-Modified-Since: Mon, 30 Nov 2026 21:42:08 GMT', 'If-Modified-Since: Tue, 01 Dec 2026 01:00:00 GMT',
      'Range: bytes=0-1', 'range: bytes=5-', 'If-Range: "r"', 'User-Agent: one', 'User-Agent: two', 'Authorization: Basic eA==', 'Authorization: token t',
      'Referer: http://a/', 'X-Other: 1', 'x-other: 2',
    ];
    const FIELDS = ['cookie', 'accept-encoding', 'if-none-match', 'cache-control', 'if-modified-since', 'range', 'if-range', 'user-agent', 'authorization', 'referer', 'x-other'];
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(204, { Connection: 'close' }).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    // mulberry32 (seeded): the LCG this was, seed * 1103515245 in doubles, lost precision and cycled
    // through a few values, so few distinct heads were tried.
    let seed = 7;
    const random = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    try {
      for (let n = 0; n < 150; n++) {
        const fields = ['Host: h'];
        for (let k = 2 + random(8); k > 0; k--) fields.push(pieces[random(pieces.length)] as string);
        const head = ['GET /cdn/a@1/x HTTP/1.1', ...fields].join('\r\n');
        const ours = parseRequestHead(head, '127.0.0.1');
        assert.ok(ours, JSON.stringify(head));
        const socket = connect(port, '127.0.0.1');
        socket.end(`${head}\r\n\r\n`);
        socket.resume();
        await once(socket, 'close');
        const nodes = seen.pop();
        assert.ok(nodes, `node read ${JSON.stringify(head)}`);
        for (const name of FIELDS) assert.equal(ours.headers[name], nodes[name], `${name} of ${JSON.stringify(head)}`);
        const key = scan(head);
        if (key !== undefined) assert.equal(key, parsedKey(head).key, JSON.stringify(head));
      }
    } finally {
      server.close();
    }
  });
});
