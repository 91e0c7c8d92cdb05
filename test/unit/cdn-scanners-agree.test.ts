import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import { parseRequestHead } from '../../src/cdn/workers/fast-http.js';
import { scanHead } from '../../src/cdn/workers/head-scan.js';
import { HotAnswers, hotKey } from '../../src/cdn/workers/hot-answers.js';
import { NativeHotTable } from '../../src/cdn/workers/native-hot.js';
import { cdnSyscallsUnavailable } from '../../src/cdn/workers/syscalls.js';

/**
 * The CDN keys a reused answer in two scanners that must agree: JavaScript's scanHead (with
 * hotKey of the general parser behind it) and the native table's scan_key (native/cdn_hot.c). A
 * head one keys and the other keys differently would be sent another request's answer. Each head
 * below goes through all three: where JS and C both key, the keys are equal; C never keys a head
 * JS declines; C may decline a head JS keys only for what native/cdn_hot.c says it deliberately
 * leaves to JavaScript (a repeated field it keys on, a Connection value other than keep-alive).
 */

/** The fields native/cdn_hot.c keys on or reads and refuses to see twice ("a repeat: JS joins them as node does"). */
const C_SINGLE_FIELDS = new Set(['host', 'connection', 'accept-encoding', 'if-none-match', 'if-modified-since', 'range', 'if-range']);

/** Why the C scan may decline a head JS keys (native/cdn_hot.c's header comment), or undefined when it may not. */
function deliberatelyNarrower(head: string): string | undefined {
  const names = head
    .split('\r\n')
    .slice(1)
    .map((line) => line.slice(0, line.indexOf(':')).toLowerCase());
  const repeated = names.find((name, i) => C_SINGLE_FIELDS.has(name) && names.indexOf(name) !== i);
  if (repeated !== undefined) return `a repeated ${repeated}`;
  const connection = /\r\nconnection:[ \t]*([^\r]*?)[ \t]*(?:\r\n|$)/i.exec(head)?.[1];
  if (connection !== undefined && connection.toLowerCase() !== 'keep-alive') return `Connection: ${connection}`;
  return undefined;
}

const BROWSERS = [
  [
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
    'Connection: keep-alive',
  ],
  [
    'GET /cdn/team/site@v1.2.3/img/logo%402x.png?v=9 HTTP/1.1',
    'Host: cdn.example',
    'Connection: keep-alive',
    'sec-ch-ua: "Chromium";v="131", "Not_A Brand";v="24"',
    'User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Chrome/131.0.0.0 Safari/537.36',
    'Accept: image/avif,image/webp,*/*;q=0.8',
    'Accept-Encoding: gzip, deflate, br',
    'Accept-Language: de-DE,de;q=0.9',
  ],
  ['HEAD /cdn/team/site/readme.md HTTP/1.1', 'host: h', 'accept-encoding: identity'],
  ['GET /cdn/team/site@main/ HTTP/1.0', 'Connection: Keep-Alive', 'Accept-Encoding: br'],
];

/** Variations added to each browser head. */
const EXTRAS: string[][] = [
  [],
  ['If-None-Match: "abc-123"'],
  ['If-None-Match: W/"abc", "def"'],
  ['If-Modified-Since: Mon, 30 Nov 2026 21:42:08 GMT'],
  ['If-None-Match: "abc"', 'If-Modified-Since: Mon, 30 Nov 2026 21:42:08 GMT'],
  ['Range: bytes=0-99'],
  ['Range: bytes=-5', 'If-Range: "abc"'],
  ['If-Range: Mon, 30 Nov 2026 21:42:08 GMT', 'Range: bytes=10-'],
  ['Cache-Control: no-cache', 'Pragma: no-cache'],
  // The preconditions no reused answer is keyed on: every scanner declines them.
  ['If-Match: "abc"'],
  ['If-Match: *'],
  ['if-match: "not-the-etag"', 'Range: bytes=0-1'],
  ['If-Unmodified-Since: Mon, 30 Nov 2026 21:42:08 GMT'],
  ['IF-UNMODIFIED-SINCE:Thu, 01 Jan 1970 00:00:00 GMT'],
  ['If-Match: "a"', 'If-Match: "b"'],
  ['If-None-Match: "abc"', 'If-Match: W/"abc"'],
  // Repeated fields.
  ['If-None-Match: "a"', 'If-None-Match: "b"'],
  ['If-Modified-Since: Mon, 30 Nov 2026 21:42:08 GMT', 'if-modified-since: Tue, 01 Dec 2026 01:00:00 GMT'],
  ['Range: bytes=0-1', 'range: bytes=5-'],
  ['If-Range: "x"', 'If-Range: "y"', 'Range: bytes=0-1'],
  ['Accept-Encoding: identity'],
  ['X-Forwarded-For: 10.0.0.1', 'x-forwarded-for: 10.0.0.2'],
  ['Host: second'],
  // Connection variants.
  ['Connection: close'],
  ['Connection: Keep-Alive'],
  ['Connection: keep-alive, Upgrade-Insecure'],
  ['Connection: TE'],
  // Credentials and bodies.
  ['Authorization: Bearer t'],
  ['authorization: token abc', 'If-Match: "abc"'],
  ['Content-Length: 0'],
  ['Transfer-Encoding: chunked'],
  ['Expect: 100-continue'],
  ['Upgrade: websocket'],
  // Odd casing and whitespace.
  ['iF-nOnE-mAtCh:"abc"'],
  ['If-None-Match: \t "abc" \t'],
  ['RANGE:bytes=0-0'],
  ['X-Empty:'],
  ['X-Obs-Text: caf\xe9'],
];

/** The whole head (request line and fields, blank line included) of `lines`, with `extra` before its end. */
function headOf(lines: string[], extra: string[]): string {
  return `${[...lines, ...extra].join('\r\n')}\r\n\r\n`;
}

describe('CDN: the JavaScript and the native scanner key the same heads alike', () => {
  let table: NativeHotTable;

  before(() => {
    const made = NativeHotTable.create();
    assert.ok(made, `the native addon has its reused-answer table (npm run build:native): ${cdnSyscallsUnavailable}`);
    table = made;
    // JS tells the table each Accept-Encoding value it negotiates (as a worker does once it mirrors).
    new HotAnswers(1_000_000, 1_000).mirrorTo(table);
  });

  /** [JS's key, the general parser's key, C's key] of a whole head. */
  function keys(head: string): [string | undefined, string | undefined, string | undefined] {
    const bytes = Buffer.from(head, 'latin1');
    const js = scanHead(bytes, bytes.length - 4);
    const req = parseRequestHead(head.slice(0, -4), '127.0.0.1');
    const parsed = req && req.headers.authorization === undefined ? hotKey(req) : undefined;
    return [js, parsed, table.keyOf(bytes)];
  }

  function agree(head: string): 'both' | 'neither' | 'js only' {
    const [js, parsed, c] = keys(head);
    const shown = JSON.stringify(head);
    if (js !== undefined) assert.equal(js, parsed, `scanHead and hotKey differ for ${shown}`);
    if (c !== undefined) {
      assert.notEqual(js, undefined, `C keys a head JS leaves to the general parser: ${shown}`);
      assert.equal(c, js, `C and JS key ${shown} differently`);
      return 'both';
    }
    if (js === undefined) return 'neither';
    assert.ok(deliberatelyNarrower(head), `C declines ${shown}, which JS keys, for no reason cdn_hot.c gives`);
    return 'js only';
  }

  it('agrees on browser heads with validators, ranges, repeated fields, Connection variants, credentials, odd casing', () => {
    const seen = { both: 0, neither: 0, 'js only': 0 };
    for (const lines of BROWSERS) {
      for (const extra of EXTRAS) seen[agree(headOf(lines, extra))]++;
      // The same with the varying fields in another order.
      for (const extra of EXTRAS) seen[agree(headOf([lines[0] as string, ...extra, ...lines.slice(1)], []))]++;
    }
    assert.ok(seen.both > 50, `both scanners keyed only ${seen.both} heads`);
    assert.ok(seen['js only'] > 0 && seen.neither > 0, JSON.stringify(seen));
  });

  it('neither scanner keys a head with If-Match or If-Unmodified-Since (its answer, 412 or not, is decided every time)', () => {
    for (const lines of BROWSERS) {
      for (const field of ['If-Match: "abc"', 'If-Match: *', 'if-match:W/"x"', 'If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT', 'IF-UNMODIFIED-SINCE:  Mon, 30 Nov 2026 21:42:08 GMT  ']) {
        const head = headOf(lines, [field]);
        assert.deepEqual(keys(head), [undefined, undefined, undefined], JSON.stringify(head));
      }
    }
  });

  it('agrees on random heads made of browser fields, validators, preconditions, repeats and Connection values', () => {
    const pieces = [
      'Host: h', 'host:h', 'Accept-Encoding: gzip, deflate, br', 'accept-encoding: identity', 'Accept-Encoding: br;q=0',
      'If-None-Match: "x"', 'if-none-match: W/"y", "z"', 'If-Modified-Since: Mon, 30 Nov 2026 21:42:08 GMT', 'Range: bytes=1-2',
      'range:bytes=-9', 'If-Range: "y"', 'If-Match: "m"', 'if-match: *', 'If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT',
      'Connection: close', 'connection: keep-alive', 'Connection: Keep-Alive, TE', 'Authorization: Basic eA==', 'Cookie: a=b',
      'User-Agent: x\ty', 'Referer: https://a.example/', 'Sec-Fetch-Mode: cors', 'X: \x80\xff', 'Content-Length: 0', 'Expect: x',
      'Cache-Control: no-cache', 'E: ', 'If-None-Match:   "pad"   ',
    ];
    const lines = ['GET /cdn/a@1/x HTTP/1.1', 'HEAD /cdn/a@1/y?z=1 HTTP/1.1', 'GET /cdn/b/c.js HTTP/1.0', 'GET /cdn/%20 HTTP/1.1'];
    // mulberry32: a small seeded generator (reproducible runs).
    let seed = 1234;
    const random = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const seen = { both: 0, neither: 0, 'js only': 0 };
    for (let n = 0; n < 20_000; n++) {
      const fields: string[] = [];
      for (let k = random(8); k > 0; k--) fields.push(pieces[random(pieces.length)] as string);
      seen[agree(headOf([lines[random(lines.length)] as string, ...fields], []))]++;
    }
    assert.ok(seen.both > 500 && seen['js only'] > 100 && seen.neither > 1000, JSON.stringify(seen));
  });

  it('agrees on HTTP/1.0 keep-alive, and declines bare LF line ends and broken heads in both', () => {
    for (const head of [
      'GET /cdn/a@1/x HTTP/1.0\r\n\r\n',
      'GET /cdn/a@1/x HTTP/1.0\r\nHost: h\r\n\r\n',
      'GET /cdn/a@1/x HTTP/1.0\r\nConnection: close\r\n\r\n',
      'GET /cdn/a@1/x HTTP/1.1\nHost: h\r\n\r\n',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\nIf-None-Match: "a"\r\n\r\n',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\nIf-Match: "a"\n\r\n\r\n',
      'GET /cdn/a@1/x HTTP/1.1\r\n\r\n',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\n folded: v\r\n\r\n',
      'GET /cdn/a@1/x HTTP/1.2\r\nHost: h\r\n\r\n',
      'POST /cdn/a@1/x HTTP/1.1\r\nHost: h\r\n\r\n',
      'GET /api/v1/x HTTP/1.1\r\nHost: h\r\n\r\n',
      'get /cdn/a@1/x HTTP/1.1\r\nHost: h\r\n\r\n',
      'GET /cdn/a@1/x HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n',
    ]) {
      assert.notEqual(agree(head), 'both', JSON.stringify(head));
    }
    assert.equal(agree('GET /cdn/a@1/x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'), 'both');
    assert.equal(agree('GET /cdn/a@1/x HTTP/1.0\r\nConnection: keep-alive\r\nIf-None-Match: "a"\r\n\r\n'), 'both');
    assert.equal(agree('GET /cdn/a@1/x HTTP/1.0\r\nConnection: keep-alive\r\nIf-Match: "a"\r\n\r\n'), 'neither');
  });
});
